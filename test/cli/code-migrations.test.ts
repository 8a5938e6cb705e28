import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Report } from '../../src/core/index.js';
import { LOCAL_URL } from '../support/drill.js';
import { buildIfStale, ROOT } from '../support/build.js';
import { gitRepo } from '../support/git-repo.js';
import { runCli as cli } from '../support/cli.js';

const FIXTURES = 'test/fixtures/code-migrations';

/** The files under a fixture directory, by path relative to it. */
function filesOf(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else files[relative(dir, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(dir);
  return files;
}

/**
 * The fixture's tool installed from npm once per package.json (kept in the temp directory across
 * runs): the test repository links to it as its node_modules, as a CI job's `npm ci` would give it.
 */
function installed(packageJson: string): string {
  const key = createHash('sha256').update(packageJson).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'drillbot-code-migration-tools', key);
  if (!existsSync(join(dir, 'node_modules', '.installed'))) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), packageJson);
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: dir, stdio: 'pipe' });
    writeFileSync(join(dir, 'node_modules', '.installed'), '');
  }
  return join(dir, 'node_modules');
}

const repos: Array<{ remove: () => void }> = [];
afterAll(() => repos.forEach((r) => r.remove()));

function project(tool: string, change: Record<string, string>, config = ''): string {
  const base = filesOf(join(FIXTURES, tool, 'base'));
  const repo = gitRepo({ ...base, '.github/drillbot.yml': `migrations:\n  preset: ${tool}\n${config}` }, change);
  repos.push(repo);
  if (base['package.json']) symlinkSync(installed(base['package.json']), join(repo.dir, 'node_modules'), 'dir');
  return repo.dir;
}

/** Alembic comes from Debian's python3-alembic (and python3-psycopg2), not from npm: its test needs it installed. */
const hasAlembic = spawnSync('alembic', ['--version']).status === 0;
/** Django from Debian's python3-django, run by Debian's own python (the preset's `python3` may be another). */
const hasDjango = spawnSync('/usr/bin/python3', ['-c', 'import django, psycopg2']).status === 0;
/** Rails 6.1 and the pg gem from Debian's ruby-rails and ruby-pg (CI does not install them). */
const hasRails = spawnSync('ruby', ['-e', 'require "rails"; require "pg"']).status === 0;
if (!hasRails)
  console.warn('Skipping the Rails drills (change, transactions): `ruby -e \'require "rails"; require "pg"\'` fails (install ruby-rails and ruby-pg).');

/** Django's commands, run by Debian's python, with the reverse of the shop app's new migration (Django's preset has none). */
const DJANGO_COMMANDS =
  '  command:\n    up: /usr/bin/python3 manage.py migrate --no-input\n    down: /usr/bin/python3 manage.py migrate --no-input shop 0001\n';

/**
 * Each tool's transaction semantics, drilled on the four migrations of its fixture's
 * transactions/, one at a time, in file-name order: a CREATE INDEX CONCURRENTLY left in the
 * transaction the tool runs it in; one taken out of it by the tool's opt-out; a column added and
 * backfilled outside a transaction (the opt-out again); the same in a transaction. `optOut` is what
 * the fix of the first must name, `keepIn` what the fix of the third must name; `outside` is the
 * configuration of the opt-out where the tool has it in its command, not in the migration (Kysely).
 */
const TRANSACTIONS: ReadonlyArray<{ tool: string; optOut: RegExp; keepIn: RegExp; config?: string; outside?: string; installed?: boolean }> = [
  { tool: 'knex', optOut: /exports\.config = \{ transaction: false \}/, keepIn: /leave out `exports\.config = \{ transaction: false \}`/ },
  { tool: 'node-pg-migrate', optOut: /call `pgm\.noTransaction\(\)`/, keepIn: /do not call `pgm\.noTransaction\(\)`/ },
  {
    tool: 'typeorm',
    optOut: /`transaction = false` on that migration class, with `migrationsTransactionMode: 'each'`/,
    keepIn: /do not set `transaction = false`/,
  },
  {
    tool: 'kysely',
    optOut: /`migrations\.disableTransactions: true` in kysely\.config .* `kysely migrate:latest --no-transaction`/,
    keepIn: /without `disableTransactions` \/ `--no-transaction`/,
    outside: '  command:\n    up: npx kysely migrate:latest --no-transaction\n',
  },
  { tool: 'sequelize', optOut: /outside `queryInterface\.sequelize\.transaction`/, keepIn: /wrap the calls in `queryInterface\.sequelize\.transaction/ },
  { tool: 'alembic', optOut: /`with op\.get_context\(\)\.autocommit_block\(\):`/, keepIn: /out of `autocommit_block\(\)`/, installed: hasAlembic },
  { tool: 'django', optOut: /`atomic = False` on that Migration class/, keepIn: /leave out `atomic = False`/, config: DJANGO_COMMANDS, installed: hasDjango },
  { tool: 'rails', optOut: /`disable_ddl_transaction!` in that migration/, keepIn: /leave out `disable_ddl_transaction!`/, installed: hasRails },
];

/** The n-th migration of the tool's transactions/ (in file-name order) as a change, with the files there that are no migration (TypeORM's data source). */
function transactionChange(tool: string, n: number): { change: Record<string, string>; path: string; content: string } {
  const files = filesOf(join(FIXTURES, tool, 'transactions'));
  const isMigration = (path: string) => /(^|\/)(migrations|versions|migrate)\//.test(path);
  const path = Object.keys(files).filter(isMigration).sort()[n];
  const others = Object.entries(files).filter(([p]) => !isMigration(p));
  return { change: { ...Object.fromEntries(others), [path]: files[path] }, path, content: files[path] };
}

/** Whether the rollout plan runs the migration inside a transaction block or outside one. */
const runsIn = (report: Report, path: string) => report.rollout?.find((s) => s.kind === 'migrate' && s.path === path)?.transaction;

async function check(dir: string): Promise<{ status: number; report: Report; stderr: string }> {
  const { status, stdout, stderr } = await cli('check', '--repo', dir, '--base', 'main', '--database-url', LOCAL_URL, '--format', 'json');
  return { status, report: JSON.parse(stdout) as Report, stderr };
}

/** bin/drillbot.js in its own process, as CI runs it; `repo` relative to `cwd` when given, as a user types it. */
function spawned(repo: string, cwd?: string): Promise<{ status: number | null; report: Report }> {
  const argv = [join(ROOT, 'bin', 'drillbot.js'), 'check', '--repo', repo, '--base', 'main', '--database-url', LOCAL_URL, '--format', 'json', '--quiet'];
  return new Promise((resolve) => {
    execFile(process.execPath, argv, { cwd, maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, report: JSON.parse(stdout) as Report });
    });
  });
}

describe('code migrations run by their own tool (migrations.preset)', () => {
  // The spawned CLI runs dist/, which must be the code under test.
  beforeAll(buildIfStale, 180_000);

  it('Knex: the schema builder’s index on an existing table blocks writes, reported at its migration file and line', async () => {
    const dir = project('knex', filesOf(join(FIXTURES, 'knex', 'change')));
    const { status, report, stderr } = await check(dir);
    expect(stderr).toMatch(/history: npx knex migrate:latest at the base commit/);
    expect(report.findings).toEqual([
      expect.objectContaining({ hazard: 'blocking-index', path: 'migrations/20240201000000_index_users_email.js', line: 4, severity: 'error' }),
    ]);
    expect(report.findings[0].message).toMatch(/users_email_index on existing table public\.users under ShareLock/);
    expect(status).toBe(1);
    const forward = report.migrations.find((m) => m.direction === 'forward')!;
    expect(forward).toMatchObject({ path: 'migrations/20240201000000_index_users_email.js', status: 'applied' });
    // Only the migration's statement: Knex's own bookkeeping (knex_migrations, its lock) is left out.
    expect(forward.statements).toEqual([
      expect.objectContaining({
        status: 'applied',
        line: 4,
        locks: expect.arrayContaining([expect.objectContaining({ relation: 'public.users', mode: 'ShareLock' })]),
      }),
    ]);
    expect(report.migrations.map((m) => [m.direction, m.status])).toEqual([
      ['forward', 'applied'],
      ['reverse', 'applied'],
    ]);
    expect(report.drill).toMatchObject({ layout: 'command (knex)', baseMigrations: 1, newMigrations: 1, roundTrip: 'restored' });
    expect(report.drill!.seededRows).toBeGreaterThan(0);
  });

  it('node-pg-migrate, the CLI spawned: alterColumn to bigint rewrites the table, reported at its migration file', async () => {
    const dir = project('node-pg-migrate', filesOf(join(FIXTURES, 'node-pg-migrate', 'change')));
    const { status, report } = await spawned(dir);
    expect(report.findings).toEqual([expect.objectContaining({ hazard: 'rewrite', path: 'migrations/1700000000001_bigint-user-ids.js', line: 3 })]);
    expect(report.findings[0].message).toMatch(/Rewrites existing table public\.users/);
    expect(status).toBe(1);
    expect(report.drill).toMatchObject({ layout: 'command (node-pg-migrate)', newMigrations: 1, roundTrip: 'restored' });
  });

  it('Knex, the CLI spawned in the repository with `--repo .`: the tool is found through the repository’s node_modules and runs', async () => {
    const dir = project('knex', filesOf(join(FIXTURES, 'knex', 'change')));
    const { status, report } = await spawned('.', dir);
    expect(report.findings).toEqual([expect.objectContaining({ hazard: 'blocking-index', path: 'migrations/20240201000000_index_users_email.js', line: 4 })]);
    expect(status).toBe(1);
    expect(report.drill).toMatchObject({ layout: 'command (knex)', newMigrations: 1, roundTrip: 'restored' });
  });

  it('Sequelize: addIndex outside a transaction blocks writes, reported at its migration file and line', async () => {
    const dir = project('sequelize', filesOf(join(FIXTURES, 'sequelize', 'change')));
    const { status, report } = await check(dir);
    expect(report.findings).toEqual([expect.objectContaining({ hazard: 'blocking-index', path: 'migrations/20240201000000-index-users-email.js', line: 6 })]);
    expect(status).toBe(1);
    const forward = report.migrations.find((m) => m.direction === 'forward')!;
    expect(forward.statements).toEqual([
      expect.objectContaining({ lockView: 'sampled', locks: [expect.objectContaining({ relation: 'public.users', mode: 'ShareLock' })] }),
    ]);
    expect(report.drill).toMatchObject({ layout: 'command (sequelize)', baseMigrations: 1, newMigrations: 1, roundTrip: 'restored' });
  });

  it('TypeORM: a CREATE INDEX through queryRunner.query blocks writes, reported at its migration file and line', async () => {
    const dir = project('typeorm', filesOf(join(FIXTURES, 'typeorm', 'change')));
    const { status, report } = await check(dir);
    expect(report.findings).toEqual([expect.objectContaining({ hazard: 'blocking-index', path: 'migrations/1700000000001-IndexUsersEmail.js', line: 3 })]);
    expect(status).toBe(1);
    expect(report.drill).toMatchObject({ layout: 'command (typeorm)', baseMigrations: 1, newMigrations: 1, roundTrip: 'restored' });
  });

  it('Kysely (kysely-ctl): the schema builder’s createIndex blocks writes, reported at its migration file and line', async () => {
    const dir = project('kysely', filesOf(join(FIXTURES, 'kysely', 'change')));
    const { status, report } = await check(dir);
    expect(report.findings).toEqual([expect.objectContaining({ hazard: 'blocking-index', path: 'migrations/20240201000000_index_users_email.ts', line: 4 })]);
    expect(status).toBe(1);
    expect(report.drill).toMatchObject({ layout: 'command (kysely)', baseMigrations: 1, newMigrations: 1, roundTrip: 'restored' });
  });

  (hasAlembic ? it : it.skip)('Alembic: op.create_index on an existing table blocks writes, reported at its revision file and line', async () => {
    const dir = project('alembic', filesOf(join(FIXTURES, 'alembic', 'change')));
    const { status, report } = await check(dir);
    expect(report.findings).toEqual([
      expect.objectContaining({ hazard: 'blocking-index', path: 'alembic/versions/2b3c4d5e6f7a_index_users_email.py', line: 15 }),
    ]);
    expect(status).toBe(1);
    expect(report.drill).toMatchObject({ layout: 'command (alembic)', baseMigrations: 1, newMigrations: 1, roundTrip: 'restored' });
  });

  (hasDjango ? it : it.skip)(
    'Django: AddIndex on an existing table blocks writes, reported at its migration file and line; the reverse set in the configuration',
    async () => {
      const dir = project('django', filesOf(join(FIXTURES, 'django', 'change')), DJANGO_COMMANDS);
      const { status, report } = await check(dir);
      expect(report.findings).toEqual([expect.objectContaining({ hazard: 'blocking-index', path: 'shop/migrations/0002_user_email_index.py', line: 10 })]);
      expect(status).toBe(1);
      expect(report.drill).toMatchObject({ layout: 'command (django)', baseMigrations: 1, newMigrations: 1, roundTrip: 'restored' });
    },
  );

  (hasRails ? it : it.skip)(
    'Rails: add_index blocks writes and change_column to bigint rewrites, each at its migration file and line; pg_dump writing db/structure.sql is no step of them',
    async () => {
      const dir = project('rails', filesOf(join(FIXTURES, 'rails', 'change')));
      const { status, report, stderr } = await check(dir);
      expect(stderr).toMatch(/history: bin\/rails db:migrate at the base commit/);
      expect(report.findings).toEqual([
        expect.objectContaining({ hazard: 'blocking-index', path: 'db/migrate/20240201000000_index_users_email.rb', line: 3, severity: 'error' }),
        expect.objectContaining({ hazard: 'rewrite', path: 'db/migrate/20240202000000_widen_users_visits.rb', line: 3 }),
      ]);
      expect(report.findings[0].message).toMatch(/index_users_on_email on existing table public\.users under ShareLock/);
      expect(report.findings[1].message).toMatch(/Rewrites existing table public\.users/);
      expect(status).toBe(1);
      // Only each migration's statement: not Rails' bookkeeping, its DEALLOCATE, nor pg_dump's BEGIN, SET TRANSACTION and LOCK TABLE … IN ACCESS SHARE MODE.
      const forward = report.migrations.filter((m) => m.direction === 'forward');
      expect(forward.map((m) => [m.path, m.statements.map((s) => s.line)])).toEqual([
        ['db/migrate/20240201000000_index_users_email.rb', [3]],
        ['db/migrate/20240202000000_widen_users_visits.rb', [3]],
      ]);
      expect(forward[0].statements[0].locks).toContainEqual(expect.objectContaining({ relation: 'public.users', mode: 'ShareLock' }));
      // db:rollback once per new migration, newest first; `down`'s change_column at its own line.
      const reverse = report.migrations.filter((m) => m.direction === 'reverse');
      expect(reverse.map((m) => [m.path, m.status])).toEqual([
        ['db/migrate/20240202000000_widen_users_visits.rb', 'applied'],
        ['db/migrate/20240201000000_index_users_email.rb', 'applied'],
      ]);
      expect(reverse[0].statements.map((s) => s.line)).toEqual([7]);
      // The reverse of `change`: DROP INDEX of the name Rails made from add_index's arguments, at that add_index.
      expect(reverse[1].statements.map((s) => s.line)).toEqual([3]);
      expect(report.drill).toMatchObject({ layout: 'command (rails)', baseMigrations: 1, newMigrations: 2, roundTrip: 'restored' });
    },
    180_000,
  );
});

describe('each tool’s transaction semantics: one statement that must run outside a transaction, one that must not', () => {
  beforeAll(buildIfStale, 180_000);

  for (const { tool, optOut, keepIn, config = '', outside = '', installed = true } of TRANSACTIONS) {
    // Alembic, Django and Rails come from Debian packages, which CI does not install.
    const test = installed ? it : it.skip;

    test(`${tool}: CREATE INDEX CONCURRENTLY fails in the tool’s transaction, the fix naming its opt-out, and is drilled cleanly with it`, async () => {
      const inside = transactionChange(tool, 0);
      const failed = await check(project(tool, inside.change, config));
      expect(failed.report.findings).toEqual([
        expect.objectContaining({ hazard: 'concurrently-in-transaction', path: inside.path, evidence: 'SQLSTATE 25001' }),
      ]);
      expect(failed.report.findings[0].fix).toMatch(optOut);
      expect(failed.status).toBe(1);
      expect(runsIn(failed.report, inside.path)).toBe('inside');

      const alone = transactionChange(tool, 1);
      const applied = await check(project(tool, alone.change, config + outside));
      expect(applied.report.findings).toEqual([]);
      expect(applied.status).toBe(0);
      // It ran outside a transaction block: its locks were sampled while it built the index.
      const forward = applied.report.migrations.find((m) => m.direction === 'forward')!;
      expect(forward).toMatchObject({ path: alone.path, status: 'applied' });
      // The rollout plan says so, as the tool ran it, not as tools run migrations by default.
      expect(runsIn(applied.report, alone.path)).toBe('outside');
      expect(forward.statements).toContainEqual(
        expect.objectContaining({ lockView: 'sampled', locks: expect.arrayContaining([expect.objectContaining({ mode: 'ShareUpdateExclusiveLock' })]) }),
      );
    }, 180_000);

    test(`${tool}: a column added and backfilled outside a transaction is reported as committed piecemeal; in the tool’s transaction it is not`, async () => {
      const split = transactionChange(tool, 2);
      const warned = await check(project(tool, split.change, config + outside));
      const line = split.content.split('\n').findIndex((l) => l.includes('email_domain')) + 1;
      expect(warned.report.findings).toEqual([expect.objectContaining({ hazard: 'forward-error', severity: 'warning', path: split.path, line })]);
      expect(warned.report.findings[0].message).toMatch(/^2 statements of this migration ran outside a transaction, each committed on its own/);
      expect(warned.report.findings[0].fix).toMatch(keepIn);
      expect(warned.status).toBe(0);
      expect(runsIn(warned.report, split.path)).toBe('outside');

      const kept = transactionChange(tool, 3);
      const whole = await check(project(tool, kept.change, config));
      expect(whole.report.findings).toEqual([]);
      expect(runsIn(whole.report, kept.path)).toBe('inside');
      expect(whole.status).toBe(0);
      expect(whole.report.drill!.roundTrip).toBe('restored');
    }, 180_000);
  }
});
