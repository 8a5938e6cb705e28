import { LAYOUTS } from '../layouts/index.js';
import { buildReport } from '../report/build.js';
import { finding } from '../report/findings.js';
import type { Finding, Report } from '../report/report.js';

/** Directory names that hold migrations in the tools we know (`supabase/migrations`, `db/migrate`, `deploy`…). */
const MIGRATION_DIR = /migrat|changelog|^deploy$|^revert$/i;
/** Directories whose own .sql files are usually schema (`db/001_init.sql`); their subdirectories (sqlc's `db/query`) are not. */
const SCHEMA_DIR = /^(db|database|schemas?)$/i;
const SHOWN = 10;

/**
 * Whether a path looks like a migration to someone reading the change: a `.sql` file under a
 * directory named like the tools name theirs. Queries and fixtures elsewhere are not migrations.
 */
export function looksLikeMigration(path: string): boolean {
  if (!path.toLowerCase().endsWith('.sql')) return false;
  const dirs = path.split('/').slice(0, -1);
  return dirs.some((d) => MIGRATION_DIR.test(d)) || SCHEMA_DIR.test(dirs[dirs.length - 1] ?? '');
}

/**
 * The SQL files the change added or modified that no drill covers: under the migrations directory,
 * every .sql file the layout did not read as a migration script; elsewhere, those that look like
 * migrations. A change to them must not pass as if it had been drilled.
 */
export function undrilledSqlFiles(changedPaths: readonly string[], root: string | null, drilled: ReadonlySet<string>): string[] {
  const underRoot = (p: string) => root !== null && (root === '' || p.startsWith(`${root}/`));
  return changedPaths.filter((p) => p.toLowerCase().endsWith('.sql') && !drilled.has(p) && (underRoot(p) || looksLikeMigration(p))).sort();
}

/** The `infra` error that names undrilled files and how to have them drilled; it makes the review incomplete. */
export function undrilledFinding(paths: readonly string[], root: string | null): Finding {
  const shown = paths.slice(0, SHOWN).join(', ') + (paths.length > SHOWN ? ` and ${paths.length - SHOWN} more` : '');
  const where = root === null ? 'no migrations directory was recognised' : `the migrations directory is "${root || '.'}"`;
  return finding({
    hazard: 'infra',
    source: 'change-set',
    rule: 'undrilled-sql',
    path: paths[0],
    line: 1,
    message: `This change touches SQL that looks like migrations but was not drilled (${where}): ${shown}.`,
    fix:
      'Point Drillbot at them: set migrations.path (and migrations.layout if detection is not enough) in .github/drillbot.yml, or pass --path/--layout to drillbot check. ' +
      `Supported layouts: ${LAYOUTS.map((l) => l.id).join(', ')}.`,
  });
}

/** The report of a change whose only SQL changes are undrilled: incomplete, never a pass. */
export function undrilledReport(paths: readonly string[], root: string | null): Report {
  return buildReport([undrilledFinding(paths, root)], [], null);
}
