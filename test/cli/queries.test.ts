import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { Report } from '../../src/core/index.js';
import { runCli as cli } from '../support/cli.js';
import { LOCAL_URL } from '../support/drill.js';
import { gitRepo } from '../support/git-repo.js';
import { createScratchDatabase, dropScratchDatabase, LOCAL_SERVER, type ScratchDatabase } from '../support/scratch-database.js';

/**
 * The repository's own query files (`queries:`) planned against the change, on the embedded
 * PostgreSQL 18 and on the local PostgreSQL 15, which cannot plan them; and `drillbot stats` on a
 * server without pg_stat_statements loaded.
 */
const BASE = {
  'db/migrations/000001_users.up.sql':
    'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, nick text);\nCREATE INDEX users_email ON users (email);\n',
  'db/migrations/000001_users.down.sql': 'DROP TABLE users;\n',
  '.github/drillbot.yml': 'queries: app/queries/*.sql\nreviewer:\n  enabled: false\n',
  'app/queries/users.sql': '-- name: UserByEmail :one\nSELECT id, nick FROM users WHERE email = $1;\n\n-- name: CountUsers :one\nSELECT count(*) FROM users;\n',
};
const DROP_NICK = {
  'db/migrations/000002_drop_nick.up.sql': "SET lock_timeout = '2s';\nALTER TABLE users DROP COLUMN nick;\n",
  'db/migrations/000002_drop_nick.down.sql': 'ALTER TABLE users ADD COLUMN nick text;\n',
};
const CACHE = process.env.DRILLBOT_TEST_CACHE_DIR ?? join(os.tmpdir(), 'drillbot-test-cache');
const SLOW_MS = 300_000;

describe('queries: files planned against the change', () => {
  const repos: Array<{ remove: () => void }> = [];
  const repo = (change: Record<string, string>, base: Record<string, string> = BASE) => {
    const r = gitRepo(base, change);
    repos.push(r);
    return r.dir;
  };
  const previousCache = process.env.DRILLBOT_CACHE_DIR;
  beforeAll(() => (process.env.DRILLBOT_CACHE_DIR = CACHE));
  afterAll(() => {
    if (previousCache === undefined) delete process.env.DRILLBOT_CACHE_DIR;
    else process.env.DRILLBOT_CACHE_DIR = previousCache;
    repos.forEach((r) => r.remove());
  });
  const planFindings = (report: Report) => report.findings.filter((f) => f.source === 'drill').map((f) => `${f.hazard}:${f.severity}@${f.path}:${f.line}`);

  it(
    'on PostgreSQL 18, a dropped column the query file reads is a breaking-change naming the query and its file line',
    async () => {
      const dir = repo(DROP_NICK);
      const { status, stdout } = await cli(
        'check',
        '--repo',
        dir,
        '--base',
        'main',
        '--provider',
        'embedded',
        '--pg-major',
        '18',
        '--format',
        'json',
        '--quiet',
      );
      expect(status).toBe(1);
      const report = JSON.parse(stdout) as Report;
      // The code-reference scan sees the same statement (the query file names users.nick): its finding leads, the plan is its evidence.
      expect(report.findings.filter((f) => f.hazard === 'breaking-change').map((f) => `${f.rule}@${f.path}:${f.line}`)).toEqual([
        'code-reference@db/migrations/000002_drop_nick.up.sql:2',
      ]);
      const evidence = report.findings.find((f) => f.hazard === 'breaking-change')!.evidence;
      expect(evidence).toContain(
        'EXPLAIN (GENERIC_PLAN) of `SELECT id, nick FROM users WHERE email = $1` (app/queries/users.sql:2) planned on the base schema and fails after it: column "nick" does not exist',
      );
      expect(evidence).not.toContain('count(*)');
      expect(report.drill?.queryPlans).toEqual({ queries: 2, plannedAtBase: 2, checked: true });
    },
    SLOW_MS,
  );

  it('on PostgreSQL 15, says once that the queries need PostgreSQL ≥ 16, and drills as before', async () => {
    const dir = repo(DROP_NICK);
    const { stdout } = await cli('check', '--repo', dir, '--base', 'main', '--database-url', LOCAL_URL, '--format', 'json', '--quiet');
    const report = JSON.parse(stdout) as Report;
    expect(planFindings(report)).toEqual(['query-regression:notice@db/migrations/000002_drop_nick.up.sql:1']);
    expect(report.findings.find((f) => f.source === 'drill')?.message).toMatch(
      /^The 2 representative queries were not planned against the new schema: EXPLAIN \(GENERIC_PLAN\) needs PostgreSQL ≥ 16; the shadow runs 15\./,
    );
    expect(report.drill).toMatchObject({
      roundTrip: 'restored',
      queryPlans: { queries: 2, plannedAtBase: 0, checked: false, unsupported: expect.any(String) },
    });
  });

  it('plans nothing, and reports no plan facts, when no queries are configured', async () => {
    const dir = repo(DROP_NICK, { ...BASE, '.github/drillbot.yml': 'reviewer:\n  enabled: false\n' });
    const { stdout } = await cli('check', '--repo', dir, '--base', 'main', '--database-url', LOCAL_URL, '--format', 'json', '--quiet');
    const report = JSON.parse(stdout) as Report;
    expect(planFindings(report)).toEqual([]);
    expect(report.drill?.queryPlans).toBeUndefined();
  });

  it('fails naming a queries: pattern that matches no .sql file', async () => {
    const dir = repo(DROP_NICK, { ...BASE, '.github/drillbot.yml': 'queries:\n  - app/queries/*.sql\n  - sql/reports/**/*.sql\n' });
    const { status, stderr } = await cli('check', '--repo', dir, '--base', 'main', '--database-url', LOCAL_URL, '--quiet');
    expect(status).toBe(2);
    expect(stderr).toMatch(/queries: sql\/reports\/\*\*\/\*\.sql matches no \.sql file at the base commit/);
  });
});

describe('drillbot stats without pg_stat_statements', () => {
  let scratch: ScratchDatabase | undefined;
  let dir: string;
  beforeAll(async () => {
    scratch = await createScratchDatabase('drillbot_stats');
    await scratch.client.query('CREATE TABLE users (id bigint PRIMARY KEY)');
    dir = mkdtempSync(join(os.tmpdir(), 'drillbot-stats-'));
  });
  afterAll(async () => {
    await dropScratchDatabase(scratch);
    rmSync(dir, { recursive: true, force: true });
  });
  const url = () => `postgres://${LOCAL_SERVER.user}@${LOCAL_SERVER.host}:${LOCAL_SERVER.port}/${scratch!.name}`;

  it('says the extension is not installed, and still writes the sizes', async () => {
    const file = join(dir, 'not-installed.json');
    const { status, stdout } = await cli('stats', '--database-url', url(), '--output', file);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^wrote 1 tables and no queries: pg_stat_statements is not installed in this database/);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ tables: { 'public.users': { rows: 0 } }, queriesUnavailable: expect.any(String) });
  });

  it('says the extension is not loaded when it is installed but not in shared_preload_libraries', async () => {
    await scratch!.client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    const { status, stdout } = await cli('stats', '--database-url', url(), '--output', join(dir, 'not-loaded.json'));
    expect(status).toBe(0);
    expect(stdout).toMatch(/^wrote 1 tables and no queries: pg_stat_statements is installed but not loaded \(.*shared_preload_libraries.*\)/);
  });
});
