import { NoMigrationsError } from '../errors.js';
import { LAYOUTS, readMigrations } from '../layouts/index.js';
import type { FileTree, LayoutId, SourceFile } from '../layouts/layout.js';

export interface MigrationsLocation {
  readonly root: string;
  readonly layout: LayoutId;
  readonly migrations: number;
}

/**
 * Files a layout may read: SQL, Diesel's metadata.toml, Flyway's script configurations, Drizzle's
 * journal, atlas.sum, sqitch.plan and Liquibase's XML, YAML and JSON changelogs.
 */
export function readsAsMigration(path: string): boolean {
  return /\.(sql|toml|conf|xml|ya?ml|json)$/i.test(path) || /(^|\/)(atlas\.sum|sqitch\.plan)$/.test(path);
}

/**
 * A file named like a Liquibase changelog (`db.changelog-master.yaml`) below the repository root:
 * the master often sits above the SQL it includes. A root-level one (or a CHANGELOG.yml of release
 * notes) would make the whole repository a candidate; `migrations.path` names such a root.
 */
const LIQUIBASE_CHANGELOG = /\/[^/]*changelog[^/]*\.(xml|ya?ml|json)$/i;

/** Directories that could hold migrations: those of SQL-file layouts, and those of Liquibase changelogs (for Liquibase only). */
export function candidateDirectories(paths: readonly string[]): string[] {
  return [...new Set([...sqlDirectories(paths), ...changelogDirectories(paths)])].sort();
}

const changelogDirectories = (paths: readonly string[]): string[] => paths.filter((p) => LIQUIBASE_CHANGELOG.test(p)).map(parentOf);

/**
 * Directories with .sql files, and the parents of directories holding `up.sql` or `migration.sql`
 * (Diesel and Prisma keep one directory per migration) or sqitch's `deploy/`, `revert/` and
 * `verify/` scripts.
 */
function sqlDirectories(paths: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const path of paths) {
    if (!path.endsWith('.sql')) continue;
    const dir = parentOf(path);
    dirs.add(dir);
    if (/(^|\/)(up|down|migration)\.sql$/.test(path) || /(^|\/)(deploy|revert|verify)$/.test(dir)) dirs.add(parentOf(dir));
  }
  return [...dirs].sort();
}

/**
 * Finds where the migrations live among candidate trees: the one a layout reads the most
 * migrations from. Several equally plausible directories are a question for the user, not a guess.
 */
export function locateMigrations(files: readonly SourceFile[], layout?: LayoutId): MigrationsLocation {
  const paths = files.map((f) => f.path);
  const sqlDirs = new Set(sqlDirectories(paths));
  const found = candidateDirectories(paths).flatMap((root) => {
    const tree = subtree(files, root);
    const fits = LAYOUTS.filter((l) => (layout === undefined || l.id === layout) && (sqlDirs.has(root) || l.id === 'liquibase'));
    const match = fits.find((l) => l.detect(tree));
    if (!match) return [];
    const count = readMigrations(tree, match.id).migrations.length;
    return count > 0 ? [{ root, layout: match.id, migrations: count }] : [];
  });
  if (found.length === 0) throw noMigrationsError(layout);
  // A directory with far more migrations than any other is the history; stray fixtures are not.
  const [first, second] = withoutNested(found).sort((a, b) => b.migrations - a.migrations);
  if (!second || first.migrations >= 4 * second.migrations) return first;
  const list = found.map((f) => `${f.root || '.'} (${f.layout}, ${f.migrations})`).join(', ');
  throw new Error(`several migration directories found: ${list}; choose one with --path or migrations.path`);
}

/**
 * A Liquibase directory inside another that reads no more migrations is part of it (the master
 * changelog above the changelogs and SQL it includes), not a second history.
 */
function withoutNested(found: readonly MigrationsLocation[]): MigrationsLocation[] {
  const inside = (dir: string, parent: string) => parent === '' || dir.startsWith(`${parent}/`);
  const within = (f: MigrationsLocation, g: MigrationsLocation) => g !== f && g.layout === 'liquibase' && f.layout === 'liquibase' && inside(f.root, g.root);
  return found.filter((f) => !found.some((g) => within(f, g) && g.migrations >= f.migrations));
}

/** What the CLI says about a repository without migrations (the App says it in a neutral check run). */
export function noMigrationsError(layout?: LayoutId): NoMigrationsError {
  return new NoMigrationsError(`no migrations found${layout ? ` for layout ${layout}` : ''}; set migrations.path in .github/drillbot.yml or pass --path`);
}

/** The files under `root` (recursively), as a FileTree. */
export function subtree(files: readonly SourceFile[], root: string): FileTree {
  const prefix = root === '' ? '' : `${root}/`;
  return { root, files: files.filter((f) => f.path.startsWith(prefix)) };
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}
