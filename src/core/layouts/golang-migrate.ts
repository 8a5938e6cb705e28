import type { FileTree, Layout, LayoutProblem, LayoutResult, Migration, MigrationScript } from './layout.js';
import { groupBy } from '../collections.js';
import { compareBytes, compareNumeric, listTopLevel, sortMigrations, sortProblems, usableReverse, type TreeEntry } from './util.js';

const FILE = /^(\d+)_(.+)\.(up|down)\.sql$/;

interface Named {
  readonly entry: TreeEntry;
  readonly version: string;
  readonly direction: 'up' | 'down';
}

/** golang-migrate orders by the numeric prefix, parsed as a uint64 (`1_a` < `10_b`). */
export const compareGolangMigrateVersions = compareNumeric;

/** Files golang-migrate would read: `<digits>_<name>.(up|down).sql`, directly in the directory. */
export function listGolangMigrateFiles(tree: FileTree): Named[] {
  return listTopLevel(tree).flatMap((entry) => {
    const m = FILE.exec(entry.name);
    return m ? [{ entry, version: m[1]!, direction: m[3] as 'up' | 'down' }] : [];
  });
}

/** Canonical numeric key, so `001` and `1` fall in one group as they do in the tool. */
const numericKey = (version: string): string => BigInt(version).toString();

function script(entry: TreeEntry): MigrationScript {
  // The tool sends the whole file as one query string; PostgreSQL runs a multi-statement string
  // as one implicit transaction, so CONCURRENTLY works only as the file's only statement.
  return { path: entry.file.path, sql: entry.file.content, startLine: 1, transaction: 'single-query' };
}

const stem = (n: Named): string => n.entry.name.replace(/\.(up|down)\.sql$/, '');

/** The down file of an up file: the one with the same stem, else the version's only one. */
function pickDown(up: Named, downs: readonly Named[]): Named | undefined {
  return downs.find((d) => stem(d) === stem(up)) ?? downs[0];
}

function toMigration(up: Named, down: Named | undefined, problems: LayoutProblem[]): Migration {
  const found = down ? { script: script(down.entry), label: down.entry.name } : null;
  const reverse = usableReverse(found, { version: up.version, path: up.entry.file.path, line: 1 }, `no ${stem(up)}.down.sql`, problems);
  return { version: up.version, name: stem(up), forward: script(up.entry), reverse };
}

function readGolangMigrate(tree: FileTree): LayoutResult {
  const migrations: Migration[] = [];
  const problems: LayoutProblem[] = [];
  for (const files of groupBy(listGolangMigrateFiles(tree), (n) => numericKey(n.version)).values()) {
    const ups = files.filter((n) => n.direction === 'up');
    const downs = files.filter((n) => n.direction === 'down');
    if (ups.length === 0) {
      // A lone .down.sql usually means the .up.sql was renamed or deleted in this change.
      for (const down of downs) problems.push({ kind: 'orphan-reverse', version: down.version, path: down.entry.file.path });
      continue;
    }
    // The tool refuses to start when two files share a version and direction
    // ("duplicate migration file"): report the group once, and keep each up file.
    if (ups.length > 1 || downs.length > 1) {
      problems.push({ kind: 'duplicate-version', version: ups[0]!.version, paths: files.map((n) => n.entry.file.path).sort(compareBytes) });
    }
    for (const up of ups) migrations.push(toMigration(up, pickDown(up, downs), problems));
  }
  sortMigrations(migrations, compareGolangMigrateVersions);
  return { migrations, problems: sortProblems(problems, compareGolangMigrateVersions) };
}

/**
 * golang-migrate (https://github.com/golang-migrate/migrate): `<version>_<title>.up.sql` and
 * `.down.sql` pairs in one directory, numeric versions.
 */
export const golangMigrate: Layout = {
  id: 'golang-migrate',
  supportsReverse: true,
  // schema_migrations holds one row, the current version; `up` runs only newer files.
  outOfOrder: { kind: 'skips', tool: 'golang-migrate' },
  detect(tree) {
    const candidates = listTopLevel(tree).filter((e) => /\.(up|down)\.sql$/.test(e.name));
    if (candidates.length === 0 || !candidates.every((e) => FILE.test(e.name))) return false;
    // Repeated numeric prefixes (harness: 0000_…×4) mean another tool that keys on the whole stem.
    const named = listGolangMigrateFiles(tree);
    const keys = named.map((n) => `${n.direction}:${numericKey(n.version)}`);
    return new Set(keys).size === keys.length;
  },
  read: readGolangMigrate,
};
