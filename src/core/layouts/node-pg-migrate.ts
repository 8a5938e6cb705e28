import type { FileTree, Layout, LayoutProblem, LayoutResult, Migration, MigrationScript } from './layout.js';
import { findDuplicateVersions, listTopLevel, sliceLines, sortMigrations, sortProblems, splitLines, usableReverse, type Line, type TreeEntry } from './util.js';

// sqlMigration.ts createMigrationCommentRegex: `^\s*--[\s-]*<direction>\s+migration`, case-insensitive, per line.
const marker = (direction: 'up' | 'down'): RegExp => new RegExp(`^\\s*--[\\s-]*${direction}\\s+migration`, 'i');
const UP = marker('up');
const DOWN = marker('down');
const FILE = /^(\d+).*\.sql$/;

/**
 * The numeric prefix as node-pg-migrate reads it (utils/fileNameUtils.ts getNumericPrefix): 17
 * digits are a UTC date (yyyyMMddHHmmssSSS) turned into milliseconds, anything else a number.
 */
function numericPrefix(name: string): number {
  const prefix = /^\d+/.exec(name)?.[0] ?? '';
  if (prefix.length !== 17) return Number(prefix);
  const [y, mo, d, h, mi, s, ms] = [0, 4, 6, 8, 10, 12, 14].map((at, i, all) => prefix.slice(at, all[i + 1] ?? 17));
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`).valueOf();
}

/** utils/comparators.ts compareMigrationFileNames: the numeric prefix, then a numeric, punctuation-blind locale compare. */
export function compareNodePgMigrateVersions(a: string, b: string): number {
  return (
    numericPrefix(a) - numericPrefix(b) || a.localeCompare(b, undefined, { usage: 'sort', numeric: true, sensitivity: 'variant', ignorePunctuation: true })
  );
}

function section(entry: TreeEntry, lines: readonly Line[], from: number, to: number): MigrationScript {
  return { path: entry.file.path, sql: sliceLines(entry.file.content, lines, from, to), startLine: from, transaction: 'transaction' };
}

function readFile(entry: TreeEntry, problems: LayoutProblem[]): Migration {
  const version = entry.name.replace(/\.sql$/, '');
  const lines = splitLines(entry.file.content);
  const up = lines.find((l) => UP.test(l.text))?.number;
  const down = lines.find((l) => DOWN.test(l.text))?.number;
  const end = lines.length + 1;
  // The marker lines are SQL comments, and node-pg-migrate sends them with their section.
  const forward = section(entry, lines, up ?? 1, down !== undefined && (up === undefined || down > up) ? down : end);
  const found =
    down === undefined ? null : { script: section(entry, lines, down, up !== undefined && up > down ? up : end), label: "the '-- Down Migration' section" };
  const reverse = usableReverse(found, { version, path: entry.file.path, line: up ?? 1 }, "no '-- Down Migration' section", problems);
  return { version, name: version, forward, reverse };
}

function readNodePgMigrate(tree: FileTree): LayoutResult {
  const problems: LayoutProblem[] = [];
  const migrations = listTopLevel(tree)
    .filter((e) => FILE.test(e.name))
    .map((e) => readFile(e, problems));
  sortMigrations(migrations, compareNodePgMigrateVersions);
  problems.push(...findDuplicateVersions(migrations, compareNodePgMigrateVersions));
  return { migrations, problems: sortProblems(problems, compareNodePgMigrateVersions) };
}

/**
 * node-pg-migrate SQL migrations (https://github.com/salsita/node-pg-migrate, src/sqlMigration.ts,
 * migration.ts, runner.ts):
 * - every file of the migrations directory, ordered by its numeric prefix; its name without the
 *   extension is recorded in `pgmigrations`;
 * - a `.sql` file's up section runs from its `-- Up Migration` line to its `-- Down Migration`
 *   line (the whole file when it has no up marker); with no down marker `down` is false and the
 *   migration cannot be reversed;
 * - each migration runs in its own BEGIN … COMMIT (or all of them in one with
 *   --single-transaction); only a JS/TS migration can call `pgm.noTransaction()`, so a SQL
 *   migration has no way out of the transaction;
 * - `checkOrder` (on by default) refuses a pending migration that sorts before one already run
 *   ("Not run migration … is preceding already run migration …") unless `--no-check-order`.
 */
export const nodePgMigrate: Layout = {
  id: 'node-pg-migrate',
  supportsReverse: true,
  outOfOrder: { kind: 'refuses', tool: 'node-pg-migrate', allowedBy: '--no-check-order' },
  detect: (tree) => listTopLevel(tree).some((e) => FILE.test(e.name) && splitLines(e.file.content).some((l) => UP.test(l.text) || DOWN.test(l.text))),
  read: readNodePgMigrate,
};
