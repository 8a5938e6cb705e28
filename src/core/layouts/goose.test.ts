import { loadFixtureTree } from '../testing/file-tree.js';
import { goose } from './goose.js';
import type { MigrationScript } from './layout.js';

const fixture = (name: string, dir = 'migrations') => loadFixtureTree('goose', name, dir);

/** Line N of a script's sql must be line startLine+N-1 of its file, so findings point right. */
function expectLinesMatchFile(script: MigrationScript, content: string): void {
  const fileLines = content.split('\n');
  script.sql
    .split('\n')
    .slice(0, -1)
    .forEach((line, i) => expect(fileLines[script.startLine - 1 + i]).toBe(line));
}

describe('goose.read', () => {
  const tree = fixture('basic', 'db/migrations');
  const { migrations, problems } = goose.read(tree);
  const byName = new Map(migrations.map((m) => [m.name, m]));

  it('lists SQL migrations in numeric order and ignores other files', () => {
    expect(migrations.map((m) => [m.version, m.name])).toEqual([
      ['00001', '00001_create_users'],
      ['00002', '00002_add_trigger'],
      ['00010', '00010_index_email'],
      ['00011', '00011_backfill'],
      ['00012', '00012_seed'],
    ]);
  });

  it('cuts the Up and Down sections out with their file lines', () => {
    expect(byName.get('00001_create_users')).toEqual({
      version: '00001',
      name: '00001_create_users',
      forward: {
        path: 'db/migrations/00001_create_users.sql',
        sql: 'CREATE TABLE users (\n  id bigint PRIMARY KEY,\n  email text\n);\n\n',
        startLine: 2,
        transaction: 'transaction',
      },
      reverse: {
        path: 'db/migrations/00001_create_users.sql',
        sql: 'DROP TABLE users;\n',
        startLine: 8,
        transaction: 'transaction',
      },
    });
  });

  it('records StatementBegin/End blocks, annotations in any case', () => {
    const m = byName.get('00002_add_trigger')!;
    expect(m.forward).toMatchObject({ startLine: 3, statementBlocks: [{ startLine: 5, endLine: 10 }] });
    expect(m.reverse).toMatchObject({ startLine: 14, statementBlocks: [{ startLine: 15, endLine: 19 }] });
    expect(m.forward.sql.startsWith('ALTER TABLE users ADD COLUMN updated_at timestamptz;\n-- +goose StatementBegin\n')).toBe(true);
    expect(m.reverse!.sql.endsWith('ALTER TABLE users DROP COLUMN updated_at;\n')).toBe(true);
  });

  it('keeps every section on its file lines', () => {
    for (const m of migrations) {
      const content = tree.files.find((f) => f.path === m.forward.path)!.content;
      expectLinesMatchFile(m.forward, content);
      if (m.reverse) expectLinesMatchFile(m.reverse, content);
    }
  });

  it('runs NO TRANSACTION files without a transaction in both directions', () => {
    const m = byName.get('00010_index_email')!;
    expect(m.forward).toEqual({
      path: 'db/migrations/00010_index_email.sql',
      sql: 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n\n',
      startLine: 3,
      transaction: 'none',
    });
    expect(m.reverse).toMatchObject({ startLine: 6, transaction: 'none' });
    expect(migrations.filter((x) => x.forward.transaction === 'none').map((x) => x.name)).toEqual(['00010_index_email']);
  });

  it('reports a missing and an empty Down section', () => {
    expect(byName.get('00011_backfill')!.reverse).toBeNull();
    expect(byName.get('00012_seed')!.reverse).toBeNull();
    expect(problems).toEqual([
      {
        kind: 'missing-reverse',
        version: '00011',
        path: 'db/migrations/00011_backfill.sql',
        line: 1,
        detail: "no '-- +goose Down' section",
      },
      {
        kind: 'missing-reverse',
        version: '00012',
        path: 'db/migrations/00012_seed.sql',
        line: 4,
        detail: "the '-- +goose Down' section holds no statement",
      },
    ]);
  });

  it('reports files goose refuses to parse, and duplicate versions', () => {
    const result = goose.read(fixture('invalid'));
    expect(result.migrations.map((m) => m.name)).toEqual(['001_ok', '1_duplicate']);
    expect(result.problems).toEqual([
      { kind: 'duplicate-version', version: '001', paths: ['migrations/001_ok.sql', 'migrations/1_duplicate.sql'] },
      {
        kind: 'unparsable',
        path: 'migrations/002_no_annotation.sql',
        line: 1,
        detail: "goose cannot parse this file: SQL before '-- +goose Up'",
      },
      {
        kind: 'unparsable',
        path: 'migrations/003_unclosed_block.sql',
        line: 2,
        detail: "goose cannot parse this file: '-- +goose StatementBegin' without StatementEnd",
      },
      {
        kind: 'unparsable',
        path: 'migrations/004_missing_semicolon.sql',
        line: 3,
        detail: 'goose cannot parse this file: unfinished statement before Down: missing semicolon?',
      },
    ]);
  });
});

describe('goose.detect', () => {
  it('needs a numbered file with a goose Up annotation', () => {
    expect(goose.detect(fixture('basic', 'db/migrations'))).toBe(true);
    expect(goose.detect(loadFixtureTree('golang-migrate', 'basic', 'migrations'))).toBe(false);
  });
});
