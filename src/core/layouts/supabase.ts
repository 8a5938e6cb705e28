import type { FileTree, Layout, LayoutProblem, LayoutResult, Migration } from './layout.js';
import { compareBytes, findDuplicateVersions, listTopLevel, sortMigrations, sortProblems } from './util.js';

// pkg/migration/file.go migrateFilePattern: the version is the leading digits.
const FILE = /^([0-9]+)_(.*)\.sql$/;
// pkg/migration/list.go shouldSkip: `<14 digits>_init.sql` older than 2021-12-09 is skipped.
const OLD_INIT = /^([0-9]{14})_init\.sql$/;

/**
 * Supabase CLI (https://github.com/supabase/cli, apps/cli-go/pkg/migration):
 * - `supabase/migrations/<version>_<name>.sql`, top level only, applied in file-name order; the
 *   versions are recorded in `supabase_migrations.schema_migrations` and compared as strings;
 * - `ExecBatch` splits the file into statements and sends them, with the INSERT of the version,
 *   as one pipeline of extended-protocol queries ended by a single Sync: PostgreSQL runs them as
 *   one implicit transaction, so a non-transactional statement works only as the file's only
 *   statement (Drillbot drills that as `single-query`);
 * - no down migrations: the CLI is forward-only;
 * - `db push` / `migration up` refuse a local version older than the newest applied one
 *   ("Found local migration files to be inserted before the last migration on remote
 *   database") unless run with `--include-all` (apply.go FindPendingMigrations).
 */
export const compareSupabaseVersions = compareBytes;

function skipped(name: string): boolean {
  const m = OLD_INIT.exec(name);
  return m !== null && Number(m[1]) < 20211209000000;
}

function readSupabase(tree: FileTree): LayoutResult {
  const problems: LayoutProblem[] = [];
  const migrations: Migration[] = listTopLevel(tree).flatMap((entry) => {
    const m = FILE.exec(entry.name);
    if (!m || skipped(entry.name)) return [];
    const forward = { path: entry.file.path, sql: entry.file.content, startLine: 1, transaction: 'single-query' as const };
    return [{ version: m[1]!, name: entry.name.replace(/\.sql$/, ''), forward, reverse: null }];
  });
  sortMigrations(migrations, compareSupabaseVersions);
  problems.push(...findDuplicateVersions(migrations, compareSupabaseVersions));
  return { migrations, problems: sortProblems(problems, compareSupabaseVersions) };
}

/** The CLI reads `supabase/migrations` of its working directory: the path itself is the sign. */
const isSupabaseDirectory = (root: string): boolean => /(^|\/)supabase\/migrations\/?$/.test(root.replace(/\\/g, '/'));

export const supabase: Layout = {
  id: 'supabase',
  supportsReverse: false,
  outOfOrder: { kind: 'refuses', tool: 'the Supabase CLI', allowedBy: '--include-all' },
  detect: (tree) => isSupabaseDirectory(tree.root) && listTopLevel(tree).some((e) => FILE.test(e.name)),
  read: readSupabase,
};
