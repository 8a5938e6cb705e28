import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { ShadowStartError } from '../../src/core/errors.js';
import { STAMP_FILE, findTree, placeTree } from '../../src/core/drill/providers/embedded-binaries.js';
import type { PostgresTree } from '../../src/core/drill/providers/embedded-binaries.js';
import { createEmbeddedProvider } from '../../src/core/drill/providers/embedded.js';
import type { EmbeddedProviderOptions, EmbeddedShadowServer } from '../../src/core/drill/providers/embedded.js';

/**
 * Where the embedded provider runs PostgreSQL from. As root it runs as the OS user postgres,
 * from a copy of the binaries in the cache dir; these tests start real servers from private
 * copies of the installed tree (real processes, no mocks).
 */
const execFileAsync = promisify(execFile);
const isRoot = process.getuid?.() === 0;
const signal = (): AbortSignal => AbortSignal.timeout(60_000);
const scratch: string[] = [];

/** A fresh dir, removed after the file's tests; `mode` 0o755 lets the OS user postgres in. */
async function tempDir(label: string, mode: number): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `drillbot-${label}-`));
  await fs.chmod(dir, mode);
  scratch.push(dir);
  return dir;
}

/** A copy of the installed PostgreSQL tree inside a 0700 dir, which only its owner can enter. */
async function privateTree(): Promise<PostgresTree> {
  const installed = await findTree();
  const dir = path.join(await tempDir('private-tree', 0o700), 'native');
  await fs.cp(installed.dir, dir, { recursive: true, verbatimSymlinks: true });
  return { dir, major: installed.major };
}

async function inode(file: string): Promise<number> {
  return (await fs.stat(file)).ino;
}

async function serverVersion(server: EmbeddedShadowServer): Promise<string> {
  const client = new pg.Client(server.adminConfig('postgres'));
  await client.connect();
  try {
    return (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v;
  } finally {
    await client.end();
  }
}

/** Starts a server, checks that it answers, and stops it. */
async function startAndQuery(opts: EmbeddedProviderOptions): Promise<EmbeddedShadowServer> {
  const server = await createEmbeddedProvider(opts).start({ signal: signal() });
  try {
    expect(await serverVersion(server)).toMatch(new RegExp(`^${server.major}\\.`));
  } finally {
    await server.close();
  }
  return server;
}

/** The rejection of a start, which must be a ShadowStartError. */
async function startFailure(opts: EmbeddedProviderOptions): Promise<string> {
  const error = await createEmbeddedProvider(opts)
    .start({ signal: signal() })
    .then(
      (server) => server.close().then(() => null),
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(ShadowStartError);
  return (error as Error).message;
}

afterAll(async () => {
  for (const dir of scratch) await fs.rm(dir, { recursive: true, force: true });
});

describe('placing the binaries in the cache dir', () => {
  let tree: PostgresTree;
  let cacheDir: string;
  let placed: PostgresTree;

  beforeAll(async () => {
    tree = await privateTree();
    cacheDir = await tempDir('place-cache', 0o755);
  });

  it('copies a private tree readable by all, relative links intact, concurrent placements agreeing on one copy', async () => {
    const copies = await Promise.all([placeTree(tree, cacheDir), placeTree(tree, cacheDir), placeTree(tree, cacheDir)]);
    placed = copies[0];
    expect(new Set(copies.map((c) => c.dir))).toEqual(new Set([placed.dir]));
    expect(path.dirname(placed.dir)).toBe(path.join(cacheDir, 'binaries'));
    expect(placed.major).toBe(tree.major);
    // Nothing left of the drafts: only the copy.
    expect(await fs.readdir(path.join(cacheDir, 'binaries'))).toEqual([path.basename(placed.dir)]);
    expect((await fs.stat(placed.dir)).mode & 0o777).toBe(0o755);
    expect((await fs.stat(path.join(placed.dir, 'bin', 'postgres'))).mode & 0o555).toBe(0o555);
    expect(await fs.readlink(path.join(placed.dir, 'lib', 'libpq.so.5'))).toBe(await fs.readlink(path.join(tree.dir, 'lib', 'libpq.so.5')));
    const [sourceFiles, copiedFiles] = await Promise.all([tree.dir, placed.dir].map((d) => fs.readdir(d, { recursive: true })));
    expect(copiedFiles.filter((f) => f !== STAMP_FILE).sort()).toEqual(sourceFiles.sort());
  });

  it('reuses a copy whose stamp matches, and replaces one whose stamp does not', async () => {
    const postgres = path.join(placed.dir, 'bin', 'postgres');
    const before = await inode(postgres);
    expect((await placeTree(tree, cacheDir)).dir).toBe(placed.dir);
    expect(await inode(postgres)).toBe(before);

    const stamp = path.join(placed.dir, STAMP_FILE);
    const goodStamp = await fs.readFile(stamp, 'utf8');
    await fs.writeFile(stamp, 'written by another layout');
    expect((await placeTree(tree, cacheDir)).dir).toBe(placed.dir);
    expect(await inode(postgres)).not.toBe(before);
    expect(await fs.readFile(stamp, 'utf8')).toBe(goodStamp);
    expect(await fs.readdir(path.join(cacheDir, 'binaries'))).toEqual([path.basename(placed.dir)]);
  });

  it('places another build (other sizes or modes) in its own dir, leaving the first in place', async () => {
    await fs.chmod(path.join(tree.dir, 'bin', 'pg_ctl'), 0o700);
    const other = await placeTree(tree, cacheDir);
    expect(other.dir).not.toBe(placed.dir);
    expect((await fs.readdir(path.join(cacheDir, 'binaries'))).sort()).toEqual([path.basename(placed.dir), path.basename(other.dir)].sort());
    // a+rX: the owner-only program becomes executable by the OS user postgres too.
    expect((await fs.stat(path.join(other.dir, 'bin', 'pg_ctl'))).mode & 0o777).toBe(0o755);
  });
});

describe('embedded provider as root, with binaries the OS user postgres cannot reach', () => {
  const rootOnly = isRoot ? it : it.skip;
  const title = (what: string): string => (isRoot ? what : `${what} (skipped: needs root, the only user that runs PostgreSQL as another user)`);
  let tree: PostgresTree;
  let cacheDir: string;
  let first: EmbeddedShadowServer;

  beforeAll(async () => {
    tree = await privateTree();
    cacheDir = await tempDir('root-cache', 0o755);
  });

  rootOnly(title('starts from the copy in the cache dir and answers queries'), async () => {
    // The situation of the issue: a checkout under /root or a 0700 dir.
    await expect(execFileAsync('runuser', ['-u', 'postgres', '--', 'test', '-x', path.join(tree.dir, 'bin', 'postgres')])).rejects.toThrow();
    first = await startAndQuery({ cacheDir, binariesDir: tree.dir });
    expect(path.dirname(first.binariesDir)).toBe(path.join(cacheDir, 'binaries'));
    expect(first.ephemeral).toBe(false);
  });

  rootOnly(title('reuses the copy on the next start, and replaces it when its stamp does not match'), async () => {
    const postgres = path.join(first.binariesDir, 'bin', 'postgres');
    const copied = await inode(postgres);
    expect((await startAndQuery({ cacheDir, binariesDir: tree.dir })).binariesDir).toBe(first.binariesDir);
    expect(await inode(postgres)).toBe(copied);

    await fs.writeFile(path.join(first.binariesDir, STAMP_FILE), 'partial');
    expect((await startAndQuery({ cacheDir, binariesDir: tree.dir })).binariesDir).toBe(first.binariesDir);
    expect(await inode(postgres)).not.toBe(copied);
  });

  rootOnly(title('names the dir to fix when the cache dir itself is out of reach of the OS user postgres'), async () => {
    const hidden = path.join(await tempDir('hidden', 0o700), 'cache');
    const message = await startFailure({ cacheDir: hidden, binariesDir: tree.dir });
    expect(message).toMatch(/OS user "postgres" that runs PostgreSQL cannot enter \/.*drillbot-hidden-[^/]+;.*DRILLBOT_CACHE_DIR/);
  });
});

describe('embedded provider, start failures', () => {
  const runAs = isRoot ? 'the OS user "postgres"' : 'the current user';
  let tree: PostgresTree;

  beforeAll(async () => {
    tree = await privateTree();
  });

  it('fails with a ShadowStartError naming the cache dir when it cannot be created', async () => {
    const notADir = path.join(await tempDir('file-cache', 0o755), 'cache');
    await fs.writeFile(notADir, '');
    const message = await startFailure({ cacheDir: notADir, binariesDir: tree.dir });
    expect(message).toContain(notADir);
    expect(message).toMatch(
      /(EEXIST|ENOTDIR).*choose another cache dir \(DRILLBOT_CACHE_DIR\)|(EEXIST|ENOTDIR).*must be writable \(DRILLBOT_CACHE_DIR chooses another\)/s,
    );
  });

  it('fails with a ShadowStartError naming initdb and the fix when initdb is not executable', async () => {
    await fs.chmod(path.join(tree.dir, 'bin', 'initdb'), 0o644);
    try {
      const message = await startFailure({ cacheDir: await tempDir('noexec-cache', 0o755), binariesDir: tree.dir });
      expect(message).toContain(`initdb failed for embedded PostgreSQL ${tree.major}: could not run /`);
      expect(message).toMatch(new RegExp(`/bin/initdb as ${runAs} \\(EACCES\\): permission denied: make it executable \\(chmod a\\+rx\\)`));
    } finally {
      await fs.chmod(path.join(tree.dir, 'bin', 'initdb'), 0o755);
    }
  });

  it('fails with a ShadowStartError naming postgres and the fix when postgres is not executable', async () => {
    // A cluster that exists already, so that postgres itself is spawned rather than checked by initdb.
    const cacheDir = await tempDir('noexec-cache', 0o755);
    await startAndQuery({ cacheDir, binariesDir: tree.dir });
    await fs.chmod(path.join(tree.dir, 'bin', 'postgres'), 0o644);
    const message = await startFailure({ cacheDir, binariesDir: tree.dir });
    expect(message).toContain(`embedded PostgreSQL ${tree.major} did not start (data dir ${path.join(cacheDir, `pg${tree.major}`, 'data')}): could not run`);
    expect(message).toMatch(new RegExp(`/bin/postgres as ${runAs} \\(EACCES\\): permission denied: make it executable`));
  });
});
