import { createHash } from 'node:crypto';
import { ConfigError } from '../errors.js';
import { listingTreesOnce, loadChangeSet, trimSlashes, type ChangeSetRequest, type RepositoryReader, type TreeEntry } from './load.js';

type Tree = Record<string, string>;

/** Two commits in memory, blob ids as git's content hashes would be; records every blob read. */
function repository(commits: Record<string, Tree>) {
  const blobs = new Map<string, string>();
  const reads: string[] = [];
  const trees = new Map(
    Object.entries(commits).map(([commit, files]) => [
      commit,
      Object.entries(files).map(([path, content]): TreeEntry => {
        const id = createHash('sha1').update(content).digest('hex');
        blobs.set(id, content);
        return { path, id, size: Buffer.byteLength(content) };
      }),
    ]),
  );
  const reader: RepositoryReader = {
    listTree: async (commit) => trees.get(commit) ?? [],
    readBlobs: async (entries) =>
      entries.map((e) => {
        reads.push(e.path);
        return Buffer.from(blobs.get(e.id) ?? '');
      }),
  };
  return { reader, reads };
}

const request = (changedPaths: string[], more: Partial<ChangeSetRequest> = {}): ChangeSetRequest => ({
  baseCommit: 'base',
  headCommit: 'head',
  changedPaths,
  changedListComplete: true,
  skipUntouched: true,
  migrations: { maxFileSize: 1024 * 1024 },
  ...more,
});

const goose = (body: string) => `-- +goose Up\n${body}\n-- +goose Down\nSELECT 2;\n`;
const base: Tree = { 'README.md': 'hi', 'db/migrations/001_a.sql': goose('CREATE TABLE a (id int);') };

describe('loadChangeSet', () => {
  it('finds the migrations directory and reads both sides of a change', async () => {
    const { reader } = repository({ base, head: { ...base, 'db/migrations/002_b.sql': goose('CREATE TABLE b (id int);') } });
    const result = await loadChangeSet(reader, request(['db/migrations/002_b.sql']));
    expect(result.kind).toBe('change');
    if (result.kind !== 'change') return;
    expect(result.root).toBe('db/migrations');
    expect(result.changeSet.base.files.map((f) => f.path)).toEqual(['db/migrations/001_a.sql']);
    expect(result.changeSet.head.files.map((f) => f.path)).toEqual(['db/migrations/001_a.sql', 'db/migrations/002_b.sql']);
    expect(result.changeSet.changedPaths).toEqual(['db/migrations/002_b.sql']);
  });

  it('takes the directory of a Liquibase master changelog, above the SQL it includes, or the one migrations.changelog names', async () => {
    const dir = 'src/main/resources/db/changelog';
    const master = (...files: string[]) =>
      `databaseChangeLog:\n${files.map((f) => `  - include:\n      file: ${f}\n      relativeToChangelogFile: true\n`).join('')}`;
    const sql = (id: string) => `--liquibase formatted sql\n--changeset ann:${id}\nCREATE TABLE t${id} (id int);\n`;
    const old: Tree = { [`${dir}/db.changelog-master.yaml`]: master('changes/001.sql'), [`${dir}/changes/001.sql`]: sql('1') };
    const now: Tree = { ...old, [`${dir}/db.changelog-master.yaml`]: master('changes/001.sql', 'changes/002.sql'), [`${dir}/changes/002.sql`]: sql('2') };
    const { reader } = repository({ base: old, head: now });
    const detected = await loadChangeSet(reader, request([`${dir}/db.changelog-master.yaml`, `${dir}/changes/002.sql`]));
    expect(detected.kind === 'change' && detected.root).toBe(dir);
    const named = await loadChangeSet(
      reader,
      request([`${dir}/changes/002.sql`], { migrations: { maxFileSize: 1024 * 1024, changelog: `${dir}/db.changelog-master.yaml` } }),
    );
    expect(named.kind === 'change' && named.root).toBe(dir);
  });

  it('answers "unchanged" without reading a blob when no directory with SQL was touched', async () => {
    const { reader, reads } = repository({ base, head: { ...base, 'README.md': 'hello' } });
    expect(await loadChangeSet(reader, request(['README.md']))).toEqual({ kind: 'unchanged', root: null });
    expect(reads).toEqual([]);
  });

  it('reads to decide when the list of changed files may be cut short', async () => {
    const { reader } = repository({ base, head: { ...base, 'README.md': 'hello' } });
    expect(await loadChangeSet(reader, request(['README.md'], { changedListComplete: false }))).toEqual({ kind: 'unchanged', root: 'db/migrations' });
  });

  it('compares blob ids: the same directory on both sides is unchanged, whatever else changed', async () => {
    const { reader, reads } = repository({ base, head: { ...base, 'README.md': 'hello' } });
    const result = await loadChangeSet(reader, request(['README.md'], { migrations: { path: './db/migrations/', maxFileSize: 1024 } }));
    expect(result).toEqual({ kind: 'unchanged', root: 'db/migrations' });
    expect(reads).toEqual([]);
  });

  it('says "no-migrations" as a result, and "undrilled" when SQL that looks like a migration changed', async () => {
    const plain = { 'README.md': 'hi', 'src/app.ts': '' };
    const none = repository({ base: plain, head: { ...plain, 'src/app.ts': 'x' } });
    expect(await loadChangeSet(none.reader, request(['src/app.ts'], { skipUntouched: false }))).toEqual({ kind: 'no-migrations' });
    const stray = repository({ base: plain, head: { ...plain, 'sql/migrations/add_index.sql': 'CREATE INDEX i ON a (id);' } });
    const result = await loadChangeSet(stray.reader, request(['sql/migrations/add_index.sql']));
    expect(result.kind).toBe('undrilled');
  });

  it('does not read a file over maxFileSize: it comes back as too large', async () => {
    const big = goose(`SELECT '${'x'.repeat(2000)}';`);
    const { reader, reads } = repository({ base, head: { ...base, 'db/migrations/002_b.sql': big } });
    const result = await loadChangeSet(reader, request(['db/migrations/002_b.sql'], { migrations: { path: 'db/migrations', maxFileSize: 1000 } }));
    if (result.kind !== 'change') throw new Error(`expected a change, got ${result.kind}`);
    expect(result.changeSet.head.files.find((f) => f.path.endsWith('002_b.sql'))?.problem).toMatchObject({ kind: 'too-large', limit: 1000 });
    expect(reads).not.toContain('db/migrations/002_b.sql');
  });

  it('rejects a configured directory with no files on either side', async () => {
    const { reader } = repository({ base, head: base });
    await expect(loadChangeSet(reader, request([], { migrations: { path: 'migrations', maxFileSize: 1024 } }))).rejects.toThrow(ConfigError);
  });
});

describe('trimSlashes', () => {
  it('names a directory one way', () => {
    expect(['./db/', 'db', '/db//', 'db/x/'].map(trimSlashes)).toEqual(['db', 'db', 'db', 'db/x']);
  });
});

describe('listingTreesOnce', () => {
  it('lists each commit once however often the review asks, and passes blob reads through', async () => {
    const { reader, reads } = repository({ head: { 'db/1.sql': 'SELECT 1;' }, base: {} });
    const listed: string[] = [];
    const once = listingTreesOnce({ ...reader, listTree: (commit) => (listed.push(commit), reader.listTree(commit)) });
    const [first, second] = await Promise.all([once.listTree('head'), once.listTree('head')]);
    await once.listTree('base');
    expect(second).toBe(first);
    expect(listed).toEqual(['head', 'base']);
    await once.readBlobs(first);
    expect(reads).toEqual(['db/1.sql']);
  });
});
