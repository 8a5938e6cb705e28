import type { FileTree, Layout, LayoutProblem, LayoutResult, Migration } from './layout.js';
import { groupBy } from '../collections.js';
import { compareBytes, findDuplicateVersions, listEntries, sortMigrations, sortProblems, type TreeEntry } from './util.js';

/**
 * Prisma Migrate (https://github.com/prisma/prisma-engines, schema-engine):
 * - one directory per migration, `<timestamp>_<name>/migration.sql`, beside `migration_lock.toml`;
 *   the directory name is the migration's name in `_prisma_migrations`, and `migrate deploy`
 *   applies the unapplied ones sorted by that name (byte order);
 * - the PostgreSQL connector's `apply_migration_script` sends the whole script with one
 *   `simple_query` (sql-schema-connector/src/flavour/postgres/connection.rs): no BEGIN/COMMIT of
 *   its own, so PostgreSQL runs a script of several statements as one implicit transaction and a
 *   lone `CREATE INDEX CONCURRENTLY` on its own — the only opt-out is a migration of one statement;
 * - no down migrations: Prisma is forward-only (`migrate diff --script` can write a down script
 *   that `db execute` runs by hand).
 */
export const comparePrismaVersions = compareBytes;

/** Files of migration directories: one level below the root (`<dir>/migration.sql`). */
function migrationFiles(tree: FileTree): TreeEntry[] {
  return listEntries(tree).filter((e) => e.dir !== '' && !e.dir.includes('/'));
}

function readDirectory(directory: string, files: readonly TreeEntry[], problems: LayoutProblem[]): Migration | null {
  const script = files.find((f) => f.name === 'migration.sql');
  if (!script) {
    // Prisma fails the whole deploy when a migration directory has no migration.sql.
    problems.push({ kind: 'unparsable', path: files[0]!.file.path, line: 1, detail: `Prisma migration directory ${directory} has no migration.sql` });
    return null;
  }
  const forward = { path: script.file.path, sql: script.file.content, startLine: 1, transaction: 'single-query' as const };
  return { version: directory, name: directory, forward, reverse: null };
}

function readPrisma(tree: FileTree): LayoutResult {
  const migrations: Migration[] = [];
  const problems: LayoutProblem[] = [];
  // Only directories holding SQL are migrations: editors' and tools' stray files are not.
  const directories = groupBy(migrationFiles(tree), (e) => e.dir);
  for (const [directory, files] of directories) {
    if (!files.some((f) => f.name.endsWith('.sql'))) continue;
    const migration = readDirectory(directory, files, problems);
    if (migration) migrations.push(migration);
  }
  sortMigrations(migrations, comparePrismaVersions);
  problems.push(...findDuplicateVersions(migrations, comparePrismaVersions));
  return { migrations, problems: sortProblems(problems, comparePrismaVersions) };
}

export const prisma: Layout = {
  id: 'prisma',
  supportsReverse: false,
  // migrate deploy applies every migration missing from _prisma_migrations, older ones included.
  outOfOrder: { kind: 'applies', tool: 'Prisma Migrate' },
  detect: (tree) => listEntries(tree).some((e) => e.rel === 'migration_lock.toml') || migrationFiles(tree).some((e) => e.name === 'migration.sql'),
  read: readPrisma,
};
