import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Report } from '../../src/core/index.js';
import { LOCAL_URL } from '../support/drill.js';
import { gitRepo } from '../support/git-repo.js';
import { runCli as cli } from '../support/cli.js';

const BASE = {
  'db/migrations/000001_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n',
  'db/migrations/000001_users.down.sql': 'DROP TABLE users;\n',
};

describe('drillbot check', () => {
  const repos: Array<{ remove: () => void }> = [];
  const repo = (change: Record<string, string>, base: Record<string, string> = BASE) => {
    const r = gitRepo(base, change);
    repos.push(r);
    return r.dir;
  };
  afterAll(() => repos.forEach((r) => r.remove()));

  it('exits 1 and prints JSON findings with file and line for an unsafe change', async () => {
    const dir = repo({
      'db/migrations/000002_email_index.up.sql': '-- lookups by email\nCREATE INDEX users_email_idx ON users (email);\n',
      'db/migrations/000002_email_index.down.sql': 'DROP INDEX users_email_idx;\n',
    });
    const { status, stdout, stderr } = await cli('check', '--repo', dir, '--base', 'main', '--database-url', LOCAL_URL, '--format', 'json');
    expect(status).toBe(1);
    const report = JSON.parse(stdout) as Report;
    expect(report.verdict).toBe('fail');
    expect(report.findings).toEqual([
      expect.objectContaining({ hazard: 'blocking-index', severity: 'error', path: 'db/migrations/000002_email_index.up.sql', line: 2 }),
    ]);
    expect(report.migrations.map((m) => [m.direction, m.status])).toEqual([
      ['forward', 'applied'],
      ['reverse', 'applied'],
      ['redo', 'applied'],
    ]);
    expect(report.drill).toMatchObject({ layout: 'golang-migrate', baseMigrations: 1, newMigrations: 1, roundTrip: 'restored' });
    expect(stderr).toMatch(/forward 1\/1: 000002_email_index/);
  });

  it('exits 0 with the text report for a safe change', async () => {
    const dir = repo({
      'db/migrations/000002_nick.up.sql': "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN nick text;\n",
      'db/migrations/000002_nick.down.sql': 'ALTER TABLE users DROP COLUMN nick;\n',
    });
    const { status, stdout } = await cli('check', '--repo', dir, '--base', 'main', '--database-url', LOCAL_URL, '--quiet');
    expect(status).toBe(0);
    expect(stdout).toMatch(/^Drillbot: PASS, no findings \(PostgreSQL \d+\.\d+ via url, golang-migrate: 1 base migrations/);
    expect(stdout).toMatch(/Round trip: restored/);
  });

  it('estimates the lock time from a second, larger seeding when tableSizes says the table is large', async () => {
    const sizes = { generatedAt: '2026-01-01T00:00:00Z', serverVersion: '15', tables: { 'public.users': { rows: 2_000_000, bytes: 300 * 1024 ** 2 } } };
    const base = { ...BASE, '.github/drillbot.yml': 'tableSizes: .github/sizes.json\n', '.github/sizes.json': JSON.stringify(sizes) };
    const dir = repo(
      {
        'db/migrations/000002_email_index.up.sql': 'CREATE INDEX users_email_idx ON users (email);\n',
        'db/migrations/000002_email_index.down.sql': 'DROP INDEX users_email_idx;\n',
      },
      base,
    );
    const { status, stdout, stderr } = await cli('check', '--repo', dir, '--base', 'main', '--database-url', LOCAL_URL, '--format', 'json');
    expect(status).toBe(1);
    expect(stderr).toMatch(/timing the forward migrations again with public\.users at 100000 rows, for lock-time estimates/);
    const report = JSON.parse(stdout) as Report;
    expect(report.findings).toEqual([
      expect.objectContaining({
        hazard: 'blocking-index',
        message: expect.stringMatching(
          /about 2\.0 million rows \(300 MiB\); estimated lock time ≈ [\d.]+ (ms|s|min), assuming the time is a fixed part plus a part linear in the rows: measured [\d.]+ ms on 100 seeded rows and [\d.]+ (ms|s) on 100 thousand rows\.$/,
        ),
      }),
    ]);
  });

  it('--history-privileges superuser replays a history that needs superuser; the change still runs as the owner', async () => {
    const base = {
      ...BASE,
      // The foreign key's triggers are system triggers: only a superuser may disable them.
      'db/migrations/000002_backfill.up.sql': `-- ${Date.now()}\nALTER TABLE users ADD COLUMN invited_by bigint REFERENCES users;\nALTER TABLE users DISABLE TRIGGER ALL;\nALTER TABLE users ENABLE TRIGGER ALL;\n`,
      'db/migrations/000002_backfill.down.sql': 'SELECT 1;\n',
    };
    const dir = repo({ 'db/migrations/000003_x.up.sql': 'ALTER TABLE users DISABLE TRIGGER ALL;\n', 'db/migrations/000003_x.down.sql': 'SELECT 1;\n' }, base);
    const args = ['check', '--repo', dir, '--base', 'main', '--database-url', LOCAL_URL, '--format', 'json', '--quiet'];
    const asOwner = JSON.parse((await cli(...args)).stdout) as Report;
    expect(asOwner.findings.filter((f) => f.source !== 'rule').map((f) => `${f.hazard}@${f.path}`)).toEqual(['infra@db/migrations/000002_backfill.up.sql']);
    const { status, stdout } = await cli(...args, '--history-privileges', 'superuser');
    expect(status).toBe(1);
    const report = JSON.parse(stdout) as Report;
    expect(report.drill?.historyPrivileges).toBe('superuser');
    expect(report.findings.filter((f) => f.source === 'drill').map((f) => `${f.hazard}@${f.path}: ${f.message.slice(0, 40)}`)).toEqual([
      'forward-error@db/migrations/000003_x.up.sql: The forward migration needs superuser (D',
    ]);
    expect((await cli(...args, '--history-privileges', 'root')).stderr).toMatch(/--history-privileges: unknown value "root"/);
  });

  it('reads the configuration of the base commit and names the line of an unknown key', async () => {
    const dir = repo({ 'db/migrations/000002_x.up.sql': 'SELECT 1;\n' }, { ...BASE, '.github/drillbot.yml': 'migrations:\n  layot: goose\n' });
    const { status, stderr } = await cli('check', '--repo', dir, '--base', 'main', '--database-url', LOCAL_URL);
    expect(status).toBe(2);
    expect(stderr).toMatch(/\.github\/drillbot\.yml:2: unknown key "migrations\.layot"/);
  });

  it('replays shadow.baseline, read at the base commit, in place of a history that does not replay', async () => {
    const base = {
      '.github/drillbot.yml': 'shadow:\n  baseline: db/schema.sql\n',
      'db/schema.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n',
      'db/migrations/000000_ext.up.sql': 'CREATE EXTENSION no_such_extension;\n',
      'db/migrations/000000_ext.down.sql': 'DROP EXTENSION no_such_extension;\n',
      ...BASE,
    };
    const dir = repo(
      {
        'db/migrations/000002_idx.up.sql': 'CREATE INDEX users_email_idx ON users (email);\n',
        'db/migrations/000002_idx.down.sql': 'DROP INDEX users_email_idx;\n',
      },
      base,
    );
    const { status, stdout } = await cli(
      'check',
      '--repo',
      dir,
      '--base',
      'main',
      '--database-url',
      LOCAL_URL,
      '--format',
      'json',
      '--quiet',
      '--path',
      'db/migrations',
    );
    const report = JSON.parse(stdout) as Report;
    expect(report.findings.map((f) => f.hazard)).toEqual(['blocking-index']);
    expect(status).toBe(1);
  });

  it('exits 2 with a clear message for an unknown base ref', async () => {
    const { status, stderr } = await cli('check', '--repo', repo({}), '--base', 'nope', '--database-url', LOCAL_URL);
    expect(status).toBe(2);
    expect(stderr).toMatch(/unknown base ref "nope"/);
  });

  it('fails closed with an infra finding and exit 2 when the shadow server does not answer', async () => {
    const dir = repo({ 'db/migrations/000002_x.up.sql': 'SELECT 1;\n', 'db/migrations/000002_x.down.sql': 'SELECT 1;\n' });
    const { status, stdout } = await cli(
      'check',
      '--repo',
      dir,
      '--base',
      'main',
      '--database-url',
      'postgres://u:secret@127.0.0.1:1/postgres',
      '--format',
      'json',
      '--quiet',
    );
    expect(status).toBe(2);
    const report = JSON.parse(stdout) as Report;
    expect(report).toMatchObject({ verdict: 'fail', findings: [expect.objectContaining({ hazard: 'infra', path: 'db/migrations/000002_x.up.sql' })] });
    expect(stdout).not.toContain('secret');
  });

  it('rejects unknown options and commands with usage help', async () => {
    expect(await cli('check', '--frmat', 'json')).toMatchObject({ status: 2, stderr: expect.stringMatching(/Unknown option '--frmat'[\s\S]*drillbot help/) });
    expect(await cli('drill')).toMatchObject({ status: 2, stderr: expect.stringMatching(/unknown command "drill"/) });
    expect(await cli('help')).toMatchObject({ status: 0, stdout: expect.stringMatching(/^Usage: drillbot <command>/) });
  });
});

describe('drillbot demo', () => {
  // As root the embedded server runs as the postgres OS user, which must be able to enter the cache.
  const cacheDir = mkdtempSync(join(tmpdir(), 'drillbot-cache-'));
  chmodSync(cacheDir, 0o755);
  const saved = process.env.DRILLBOT_CACHE_DIR;
  beforeAll(() => (process.env.DRILLBOT_CACHE_DIR = cacheDir));
  afterAll(() => {
    if (saved === undefined) delete process.env.DRILLBOT_CACHE_DIR;
    else process.env.DRILLBOT_CACHE_DIR = saved;
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('drills the bundled example on the embedded PostgreSQL and shows its hazards', async () => {
    const { status, stdout } = await cli('demo', '--format', 'json', '--quiet');
    expect(status).toBe(0);
    const report = JSON.parse(stdout) as Report;
    expect(report.drill).toMatchObject({ provider: 'embedded', layout: 'golang-migrate', baseMigrations: 2, newMigrations: 2 });
    const at = report.findings.map((f) => `${f.hazard}@${f.path.split('/').pop()}:${f.line}`);
    expect(at).toEqual([
      'blocking-index@000003_order_lookups.up.sql:2',
      'reverse-mismatch@000003_order_lookups.up.sql:2',
      'lock-timeout@000003_order_lookups.up.sql:5',
      'rewrite@000003_order_lookups.up.sql:5',
      'rewrite@000003_order_lookups.up.sql:8',
      'missing-reverse@000004_user_plans.up.sql:1',
      'data-dependent@000004_user_plans.up.sql:2',
      'lock-timeout@000004_user_plans.up.sql:2',
    ]);
    // Where the rules and the drill saw the same thing, one finding carries both.
    const rewrite = report.findings.find((f) => f.line === 8);
    expect(rewrite).toMatchObject({ rule: 'changing-column-type', evidence: expect.stringMatching(/relfilenode of public\.orders changed/) });
  });
});

describe('drillbot stats', () => {
  it('exports row estimates and sizes from catalog statistics', async () => {
    const admin = new pg.Client(LOCAL_URL);
    await admin.connect();
    const database = `drillbot_stats_${process.pid}`;
    await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.query(`CREATE DATABASE ${database}`);
    const url = LOCAL_URL.replace(/\/[^/]*$/, `/${database}`);
    const db = new pg.Client(url);
    await db.connect();
    try {
      await db.query(
        'CREATE TABLE events (id bigint PRIMARY KEY, payload text); INSERT INTO events SELECT g, repeat($$x$$, 100) FROM generate_series(1, 5000) g; ANALYZE events;',
      );
      const { status, stdout } = await cli('stats', '--database-url', url);
      expect(status).toBe(0);
      const stats = JSON.parse(stdout);
      expect(stats.tables['public.events']).toEqual({ rows: 5000, bytes: expect.any(Number) });
      expect(stats.tables['public.events'].bytes).toBeGreaterThan(5000 * 100);
    } finally {
      await db.end();
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    }
  });
});
