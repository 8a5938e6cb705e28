import type { FileTree, Layout, LayoutProblem, LayoutResult, Migration, MigrationScript, TransactionMode } from './layout.js';
import { compareBytes, findDuplicateVersions, listTopLevel, sliceLines, sortProblems, splitLines, usableReverse, type Line, type TreeEntry } from './util.js';

// dbmate's migrationFileRegexp: digits, then anything, `.sql` (no `_` required).
const FILE = /^(\d+).*\.sql$/;
// dbmate's upRegExp / downRegExp, per line: the directive, then the end of line or options.
const UP = /^--\s*migrate:up(\s*$|\s+\S+)/;
const DOWN = /^--\s*migrate:down(\s*$|\s+\S+)/;

/**
 * dbmate records versions as strings and compares them as strings (`--strict` ordering check).
 * With the usual 14-digit timestamps this equals numeric order.
 */
export const compareDbmateVersions = compareBytes;

/**
 * dbmate's transaction option. Without a transaction dbmate (lib/pq) sends the whole section as
 * one simple-protocol query, which PostgreSQL runs as one implicit transaction: so
 * `transaction:false` is `single-query`, not `none` (CONCURRENTLY works only as the section's
 * only statement).
 */
function transactionOf(directive: string): TransactionMode {
  const options = new Map<string, string>();
  const rest = directive.replace(/^--\s*migrate:(up|down)/, '').trim();
  for (const pair of rest === '' ? [] : rest.split(/\s+/)) {
    const parts = pair.split(':');
    if (parts.length === 2) options.set(parts[0]!, parts[1]!);
  }
  return options.get('transaction') === 'false' ? 'single-query' : 'transaction';
}

function script(entry: TreeEntry, lines: readonly Line[], directive: number, end: number): MigrationScript {
  return {
    path: entry.file.path,
    sql: sliceLines(entry.file.content, lines, directive + 1, end),
    startLine: directive + 1,
    transaction: transactionOf(lines[directive - 1]!.text),
  };
}

function unparsable(entry: TreeEntry, line: number, detail: string): LayoutProblem {
  return { kind: 'unparsable', path: entry.file.path, line, detail: `dbmate cannot run this file: ${detail}` };
}

function readFile(entry: TreeEntry, version: string, problems: LayoutProblem[]): Migration | null {
  const lines = splitLines(entry.file.content);
  const ups = lines.filter((l) => UP.test(l.text)).map((l) => l.number);
  const downs = lines.filter((l) => DOWN.test(l.text)).map((l) => l.number);
  const firstUp = ups[0];
  if (firstUp === undefined) {
    problems.push(unparsable(entry, 1, "no '-- migrate:up' directive"));
    return null;
  }
  const early = lines.find((l) => l.number < firstUp && l.text.trim() !== '' && !/^\s*--/.test(l.text));
  if (early) {
    problems.push(unparsable(entry, early.number, "statements before '-- migrate:up'"));
    return null;
  }
  // dbmate ≥ 2.x runs each up/down pair of a file in turn; Drillbot reads the first pair only.
  const sectionEnd = ups[1] ?? lines.length + 1;
  if (ups.length > 1) problems.push(unparsable(entry, ups[1]!, "Drillbot reads only the first '-- migrate:up' section of a file"));
  const sectionDowns = downs.filter((d) => d > firstUp && d < sectionEnd);
  if (downs.some((d) => d < firstUp)) problems.push(unparsable(entry, downs[0]!, "'-- migrate:down' before '-- migrate:up'"));
  if (sectionDowns.length > 1) problems.push(unparsable(entry, sectionDowns[1]!, "several '-- migrate:down' directives in one section"));
  const downLine = sectionDowns[0];
  const forward = script(entry, lines, firstUp, downLine ?? sectionEnd);
  const found = downLine === undefined ? null : { script: script(entry, lines, downLine, sectionEnd), label: "the '-- migrate:down' section" };
  const reverse = usableReverse(
    found,
    { version, path: entry.file.path, line: downLine ?? firstUp },
    "no '-- migrate:down' directive (dbmate refuses to run a file without one)",
    problems,
  );
  return { version, name: entry.name.replace(/\.sql$/, ''), forward, reverse };
}

function readDbmate(tree: FileTree): LayoutResult {
  const migrations: Migration[] = [];
  const problems: LayoutProblem[] = [];
  // dbmate applies pending files sorted by file name (FindMigrations), not by numeric version:
  // `10_b.sql` runs before `9_a.sql`.
  const files = listTopLevel(tree)
    .filter((e) => FILE.test(e.name))
    .sort((a, b) => compareBytes(a.name, b.name));
  for (const entry of files) {
    const migration = readFile(entry, FILE.exec(entry.name)![1]!, problems);
    if (migration) migrations.push(migration);
  }
  const byVersion = [...migrations].sort((a, b) => compareDbmateVersions(a.version, b.version));
  problems.push(...findDuplicateVersions(byVersion, compareDbmateVersions));
  return { migrations, problems: sortProblems(problems, compareDbmateVersions) };
}

/** dbmate: one `<version>_<name>.sql` per migration with `-- migrate:up` / `-- migrate:down`. */
export const dbmate: Layout = {
  id: 'dbmate',
  supportsReverse: true,
  // dbmate applies every unapplied version in order ("developers working on separate PRs"); --strict refuses.
  outOfOrder: { kind: 'applies', tool: 'dbmate', refusedBy: '--strict (DBMATE_STRICT)' },
  detect: (tree) => listTopLevel(tree).some((e) => FILE.test(e.name) && splitLines(e.file.content).some((l) => UP.test(l.text))),
  read: readDbmate,
};
