/**
 * Code migrations run through the repository's own tool (`migrations.command` /
 * `migrations.preset`): the commands Drillbot runs in a checkout of the base and of the head.
 *
 * Every command runs with the shadow database in DATABASE_URL and in the libpq variables PGHOST,
 * PGPORT, PGUSER, PGPASSWORD and PGDATABASE; the project's configuration must read one of them
 * (node-pg-migrate and Rails read DATABASE_URL themselves; a knexfile, TypeORM data source,
 * Sequelize config, kysely.config, Django settings or Alembic env.py must be written to).
 *
 * - `up` applies every pending migration;
 * - `down` reverts the newest applied migration only (the drill runs it once per new migration);
 * - `status` lists applied and pending migrations (shown in the drill's progress).
 *
 * Sources of each preset's commands:
 * - Knex: https://knexjs.org/guide/migrations.html and bin/cli.js — `migrate:latest` runs all
 *   pending, `migrate:down` undoes the last migration run, `migrate:list` lists both; bookkeeping in
 *   knex_migrations and knex_migrations_lock.
 * - node-pg-migrate: https://salsita.github.io/node-pg-migrate/cli — `up` runs all, `down` one by
 *   default; reads DATABASE_URL; bookkeeping in pgmigrations.
 * - TypeORM: https://typeorm.io/docs/migrations/executing and /reverting — `migration:run`,
 *   `migration:revert` ("execute down in the latest executed migration"), `migration:show`; the
 *   data source path is the project's (`-d`), here data-source.js at the root; table `migrations`.
 * - Kysely: kysely-ctl (https://github.com/kysely-org/kysely-ctl, release notes 0.3.0) —
 *   `kysely migrate:latest`, `migrate:down`, `migrate:list`; tables kysely_migration(_lock).
 * - Sequelize: sequelize-cli (https://github.com/sequelize/cli) — `db:migrate`,
 *   `db:migrate:undo` (the last one), `db:migrate:status`; `--url` is not needed when the config uses
 *   `use_env_variable: DATABASE_URL`; table SequelizeMeta.
 * - Django: https://docs.djangoproject.com/en/stable/ref/django-admin/#migrate — `migrate` applies
 *   all, `showmigrations` lists; reverting is `migrate <app> <previous>`, which names an app and a
 *   migration, so the preset has no `down` (set migrations.command.down to drill the reverse);
 *   table django_migrations.
 * - Rails: https://guides.rubyonrails.org/active_record_migrations.html — `bin/rails db:migrate`,
 *   `db:rollback` (STEP=1), `db:migrate:status`; DATABASE_URL overrides database.yml; tables
 *   schema_migrations and ar_internal_metadata.
 * - Alembic: https://alembic.sqlalchemy.org/en/latest/tutorial.html — `alembic upgrade head`,
 *   `alembic downgrade -1`, `alembic history --indicate-current`; table alembic_version.
 */
export interface ToolCommand {
  readonly up: string;
  readonly down?: string;
  readonly status?: string;
}

export interface CommandPreset extends ToolCommand {
  /** Where the tool keeps its migration files by default (migrations.path overrides it). */
  readonly path: string;
  /** The tool's own bookkeeping tables: never seeded, and their statements are not the change's. */
  readonly tables: readonly string[];
}

export const PRESET_IDS = ['knex', 'typeorm', 'node-pg-migrate', 'kysely', 'sequelize', 'django', 'rails', 'alembic'] as const;
export type PresetId = (typeof PRESET_IDS)[number];

export const PRESETS: Readonly<Record<PresetId, CommandPreset>> = {
  knex: {
    up: 'npx knex migrate:latest',
    down: 'npx knex migrate:down',
    status: 'npx knex migrate:list',
    path: 'migrations',
    tables: ['knex_migrations', 'knex_migrations_lock'],
  },
  'node-pg-migrate': {
    up: 'npx node-pg-migrate up',
    down: 'npx node-pg-migrate down',
    status: 'npx node-pg-migrate up --dry-run',
    path: 'migrations',
    tables: ['pgmigrations'],
  },
  typeorm: {
    up: 'npx typeorm migration:run -d data-source.js',
    down: 'npx typeorm migration:revert -d data-source.js',
    status: 'npx typeorm migration:show -d data-source.js',
    path: 'migrations',
    tables: ['migrations'],
  },
  kysely: {
    up: 'npx kysely migrate:latest',
    down: 'npx kysely migrate:down',
    status: 'npx kysely migrate:list',
    path: 'migrations',
    tables: ['kysely_migration', 'kysely_migration_lock'],
  },
  sequelize: {
    up: 'npx sequelize-cli db:migrate',
    down: 'npx sequelize-cli db:migrate:undo',
    status: 'npx sequelize-cli db:migrate:status',
    path: 'migrations',
    tables: ['SequelizeMeta'],
  },
  django: {
    up: 'python3 manage.py migrate --no-input',
    status: 'python3 manage.py showmigrations',
    path: '',
    tables: ['django_migrations'],
  },
  rails: {
    up: 'bin/rails db:migrate',
    down: 'bin/rails db:rollback',
    status: 'bin/rails db:migrate:status',
    path: 'db/migrate',
    tables: ['schema_migrations', 'ar_internal_metadata'],
  },
  alembic: {
    up: 'alembic upgrade head',
    down: 'alembic downgrade -1',
    status: 'alembic history --indicate-current',
    path: 'alembic/versions',
    tables: ['alembic_version'],
  },
};

/**
 * How each tool runs one migration outside the transaction it wraps migrations in (`outside`: for
 * a statement PostgreSQL refuses in a transaction block, such as CREATE INDEX CONCURRENTLY), and how
 * it keeps a migration's statements in one transaction (`inside`: so that a failure half way leaves
 * nothing behind). Sources:
 * - Knex: https://knexjs.org/guide/migrations.html#transactions-in-migrations and
 *   lib/migrations/migrate/Migrator.js (`latest`, `_useTransaction`): the batch runs in one
 *   transaction when every pending migration uses one, else each in its own; a migration whose
 *   `config.transaction` is false (or all, with the knexfile's `disableTransactions`) runs outside.
 * - node-pg-migrate: https://salsita.github.io/node-pg-migrate/ ("pgm.noTransaction") and
 *   dist/migration.js `_apply`: `up` runs all pending migrations in one transaction
 *   (--single-transaction, the default); a migration that calls `pgm.noTransaction()` commits it
 *   first and sends its statements one by one.
 * - TypeORM: https://typeorm.io/docs/migrations/faking ("Transaction modes") and
 *   migration/MigrationInterface.d.ts: all migrations in one transaction by default (`all`); the
 *   migration's `transaction` property counts only with `migrationsTransactionMode` (or
 *   `migration:run --transaction`) `each` or `none`.
 * - Kysely: src/migration/migrator.ts (`MigrateOptions.disableTransactions`, Kysely 0.28.3+) runs all
 *   pending migrations in one transaction on PostgreSQL, with no per-migration switch; kysely-ctl
 *   0.14+ passes `migrations.disableTransactions` from kysely.config, or `--no-transaction`
 *   (src/arguments/migrate.mts, src/config/get-config.mts), to the whole run.
 * - Sequelize: sequelize-cli opens no transaction ("Sequelize does not use transactions by
 *   default", https://sequelize.org/docs/v6/other-topics/transactions/); a migration keeps its
 *   calls in one with `queryInterface.sequelize.transaction`, passing `{ transaction }` to each
 *   (https://sequelize.org/docs/v6/other-topics/migrations/).
 * - Django: https://docs.djangoproject.com/en/stable/howto/writing-migrations/#non-atomic-migrations
 *   (`atomic = False` on the Migration class) and
 *   https://docs.djangoproject.com/en/stable/ref/contrib/postgres/operations/#concurrent-index-operations
 *   (AddIndexConcurrently, which refuses to run in an atomic migration).
 * - Rails: https://api.rubyonrails.org/classes/ActiveRecord/Migration.html ("Transactional
 *   Migrations"): `disable_ddl_transaction!` in the migration class.
 * - Alembic: https://alembic.sqlalchemy.org/en/latest/api/runtime.html
 *   (`MigrationContext.autocommit_block`, Alembic 1.2+): commits the transaction env.py began, runs
 *   the block in autocommit and begins a new one.
 */
export interface TransactionAdvice {
  readonly outside: string;
  readonly inside: string;
}

export const TRANSACTION_ADVICE: Readonly<Record<PresetId, TransactionAdvice>> = {
  knex: {
    outside: 'With Knex: `exports.config = { transaction: false }` in that migration.',
    inside: 'With Knex: leave out `exports.config = { transaction: false }` (and the knexfile’s `disableTransactions`), so that Knex runs it in a transaction.',
  },
  'node-pg-migrate': {
    outside: 'With node-pg-migrate: call `pgm.noTransaction()` in that migration.',
    inside: 'With node-pg-migrate: do not call `pgm.noTransaction()` in it, so that node-pg-migrate runs it in a transaction.',
  },
  typeorm: {
    outside:
      "With TypeORM: `transaction = false` on that migration class, with `migrationsTransactionMode: 'each'` in the data source (or `migration:run --transaction each`).",
    inside: 'With TypeORM: do not set `transaction = false` on that migration class.',
  },
  kysely: {
    outside:
      'With Kysely: its migrator has no per-migration switch; `migrations.disableTransactions: true` in kysely.config (Kysely 0.28.3+) or `kysely migrate:latest --no-transaction` runs every migration of the run outside a transaction, so run that migration on its own.',
    inside: 'With Kysely: run it without `disableTransactions` / `--no-transaction`, so that the migrator runs it in a transaction.',
  },
  sequelize: {
    outside: 'With Sequelize: call it outside `queryInterface.sequelize.transaction` (sequelize-cli opens no transaction).',
    inside:
      'With Sequelize: sequelize-cli opens no transaction; wrap the calls in `queryInterface.sequelize.transaction(async (transaction) => …)` and pass `{ transaction }` to each.',
  },
  django: {
    outside: 'With Django: `atomic = False` on that Migration class (AddIndexConcurrently from django.contrib.postgres.operations builds an index so).',
    inside: 'With Django: leave out `atomic = False`, so that Django runs the migration in a transaction.',
  },
  rails: {
    outside: 'With Rails: `disable_ddl_transaction!` in that migration.',
    inside: 'With Rails: leave out `disable_ddl_transaction!`, so that Rails runs the migration in a transaction.',
  },
  alembic: {
    outside: 'With Alembic: run it inside `with op.get_context().autocommit_block():`.',
    inside: 'With Alembic: keep the statements out of `autocommit_block()`, in the transaction env.py begins.',
  },
};

/** The tool's advice, or none for commands of the configuration's own. */
export function transactionAdvice(tool: string): TransactionAdvice | undefined {
  return (PRESET_IDS as readonly string[]).includes(tool) ? TRANSACTION_ADVICE[tool as PresetId] : undefined;
}

/** The commands to run: the preset's, with any command the configuration sets in their place. */
export function resolveCommand(preset: PresetId | undefined, command: Partial<ToolCommand> | undefined, path: string | undefined): ResolvedCommand | null {
  if (!preset && !command) return null;
  const base = preset ? PRESETS[preset] : undefined;
  const up = command?.up ?? base?.up;
  if (!up) return null;
  return {
    up,
    down: command?.down ?? base?.down,
    status: command?.status ?? base?.status,
    path: path ?? base?.path ?? '',
    tables: base?.tables ?? [],
    tool: preset ?? 'command',
  };
}

export interface ResolvedCommand extends ToolCommand {
  readonly path: string;
  readonly tables: readonly string[];
  /** The preset's name, or `command` for commands of the configuration's own. */
  readonly tool: string;
}

const CODE_FILE = /\.(?:[cm]?[jt]s|py|rb|sql)$/;
const DJANGO_MIGRATION = /(?:^|\/)migrations\/\d{4}_\w+\.py$/;

/**
 * Whether a repository path is one of the tool's migration files: a source file directly in the
 * migrations directory (not a dotfile, `__init__.py` or helper named with a leading underscore);
 * with Django, whose migrations live in each app, `<app>/migrations/NNNN_name.py`.
 */
export function isCodeMigration(path: string, command: Pick<ResolvedCommand, 'path' | 'tool'>): boolean {
  if (command.tool === 'django' && command.path === '') return DJANGO_MIGRATION.test(path);
  const dir = command.path.replace(/\/+$/, '');
  const name = path.slice(dir === '' ? 0 : dir.length + 1);
  return (dir === '' || path.startsWith(`${dir}/`)) && !name.includes('/') && !/^[._]/.test(name) && CODE_FILE.test(name);
}

/**
 * What the GitHub App says where migrations are code: it never runs a repository's code, so the
 * drill of code migrations is the CLI's, in the repository's own CI.
 */
export function codeMigrationsNeedCli(command: Pick<ResolvedCommand, 'tool'>): string {
  return (
    `This repository's migrations are code, run by ${command.tool === 'command' ? 'its own migration command' : command.tool} (migrations.${command.tool === 'command' ? 'command' : 'preset'} in .github/drillbot.yml). ` +
    'The Drillbot App never runs a repository’s code, so it does not drill them here: run `npx drillbot check --base origin/<base branch>` in CI instead, ' +
    'after installing the project’s dependencies, with a PostgreSQL service as the shadow server (`--database-url`). See “Code migrations” in the README.'
  );
}

/** Added to the App's "no migrations" answer: code migrations are not found by file layouts. */
export const CODE_MIGRATIONS_HINT =
  'If the migrations are code (Knex, TypeORM, Sequelize, Kysely, node-pg-migrate, Django, Rails, Alembic), set migrations.preset in .github/drillbot.yml and run `drillbot check` in CI: the App does not run repository code.';
