import type { FileTree, Layout, LayoutProblem, LayoutResult, Migration, MigrationScript } from './layout.js';
import {
  compareNumeric,
  findDuplicateVersions,
  listTopLevel,
  sliceLines,
  sortMigrations,
  sortProblems,
  splitLines,
  usableReverse,
  type Line,
  type TreeEntry,
} from './util.js';

// goose's NumericComponent: digits before the first `_`, then any name, `.sql` (`.go` migrations
// are Go code that Drillbot cannot run, so they are not listed).
const FILE = /^(\d+)_.*\.sql$/;

/** goose orders by the numeric prefix, parsed as an int64. */
export const compareGooseVersions = compareNumeric;

type Annotation = 'up' | 'down' | 'statementbegin' | 'statementend' | 'no transaction' | 'envsub on' | 'envsub off';
const ANNOTATIONS: ReadonlySet<string> = new Set<Annotation>(['up', 'down', 'statementbegin', 'statementend', 'no transaction', 'envsub on', 'envsub off']);

/** What goose's parser (internal/sqlparser) makes of one file, with file line numbers. */
interface GooseParse {
  readonly upLine: number;
  readonly downLine: number | null;
  readonly useTx: boolean;
  readonly blocks: { up: Block[]; down: Block[] };
}
interface Block {
  readonly startLine: number;
  readonly endLine: number;
}
type ParseOutcome = { ok: true; value: GooseParse } | { ok: false; line: number; detail: string };

/**
 * Classifies an annotation line the way goose's extractAnnotation does: every `--` and the first
 * `+goose` are removed and the rest compared case-insensitively, so `--+goose up` works and a
 * comment such as `-- see +goose docs` is an error.
 */
function readAnnotation(text: string): Annotation | { error: string } | null {
  if (!text.trim().startsWith('--') || !text.includes('+goose')) return null;
  if (/^[ \t]/.test(text)) return { error: 'annotation has leading whitespace' };
  const cmd = text.replaceAll('--', '').replace('+goose', '');
  if (cmd.includes('+goose')) return { error: 'line holds several +goose annotations' };
  const name = cmd.trim().toLowerCase();
  return ANNOTATIONS.has(name) ? (name as Annotation) : { error: `unknown annotation "${cmd.trim()}"` };
}

/** goose's endsWithSemicolon: the last word before a `--` comment ends with `;`. */
function endsWithSemicolon(text: string): boolean {
  let prev = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (word.startsWith('--')) break;
    prev = word;
  }
  return prev.endsWith(';');
}

/**
 * A port of goose's ParseSQLMigration state machine, run over both directions at once. It
 * reproduces goose's refusals (no Up, SQL before Up, unterminated statement, StatementBegin
 * without StatementEnd) because goose would not run such a file at all.
 */
export function parseGoose(lines: readonly Line[]): ParseOutcome {
  let section: 'start' | 'up' | 'down' = 'start';
  let inBlock: number | null = null;
  let pending = '';
  let upLine = 0;
  let downLine: number | null = null;
  let useTx = true;
  const blocks: GooseParse['blocks'] = { up: [], down: [] };
  const fail = (line: number, detail: string): ParseOutcome => ({ ok: false, line, detail });
  for (const { number, text } of lines) {
    if (section === 'start' && text.trim() === '') continue;
    const annotation = readAnnotation(text);
    if (annotation !== null && typeof annotation === 'object') return fail(number, annotation.error);
    if (annotation === 'up') {
      if (section !== 'start') return fail(number, "duplicate '-- +goose Up' annotation");
      section = 'up';
      upLine = number;
      continue;
    }
    if (annotation === 'down') {
      if (section !== 'up' || inBlock !== null) return fail(number, "'-- +goose Down' before '-- +goose Up' or inside a statement block");
      if (pending.trim() !== '') return fail(number, 'unfinished statement before Down: missing semicolon?');
      section = 'down';
      downLine = number;
      pending = '';
      continue;
    }
    if (annotation === 'statementbegin') {
      if (section === 'start' || inBlock !== null) return fail(number, "'-- +goose StatementBegin' outside an Up or Down section");
      inBlock = number;
      continue;
    }
    if (annotation === 'statementend') {
      if (inBlock === null) return fail(number, "'-- +goose StatementEnd' without StatementBegin");
      const block = { startLine: inBlock + 1, endLine: number - 1 };
      if (block.endLine >= block.startLine) blocks[section as 'up' | 'down'].push(block);
      inBlock = null;
      pending = '';
      continue;
    }
    if (annotation === 'no transaction') {
      useTx = false;
      continue;
    }
    if (annotation !== null) continue; // ENVSUB ON/OFF
    // Comments and empty lines before a statement are dropped; inside one they are kept.
    if (pending === '' && (text.trim().startsWith('--') || text === '')) continue;
    if (section === 'start') return fail(number, "SQL before '-- +goose Up'");
    pending += `${text}\n`;
    if (inBlock === null && endsWithSemicolon(text)) pending = '';
  }
  const last = lines.length === 0 ? 1 : lines[lines.length - 1]!.number;
  if (section === 'start') return fail(1, "no '-- +goose Up' annotation");
  if (inBlock !== null) return fail(inBlock, "'-- +goose StatementBegin' without StatementEnd");
  if (pending.trim() !== '') return fail(last, 'unfinished statement at end of file: missing semicolon?');
  return { ok: true, value: { upLine, downLine, useTx, blocks } };
}

function section(entry: TreeEntry, lines: readonly Line[], from: number, to: number, useTx: boolean, blocks: Block[]): MigrationScript {
  return {
    path: entry.file.path,
    sql: sliceLines(entry.file.content, lines, from, to),
    startLine: from,
    // With a transaction goose runs each statement inside one BEGIN/COMMIT; with
    // NO TRANSACTION each statement commits on its own.
    transaction: useTx ? 'transaction' : 'none',
    ...(blocks.length > 0 ? { statementBlocks: blocks } : {}),
  };
}

function readFile(entry: TreeEntry, version: string, problems: LayoutProblem[]): Migration | null {
  const lines = splitLines(entry.file.content);
  const parsed = parseGoose(lines);
  if (!parsed.ok) {
    problems.push({ kind: 'unparsable', path: entry.file.path, line: parsed.line, detail: `goose cannot parse this file: ${parsed.detail}` });
    return null;
  }
  const { upLine, downLine, useTx, blocks } = parsed.value;
  const end = lines.length + 1;
  const forward = section(entry, lines, upLine + 1, downLine ?? end, useTx, blocks.up);
  const found = downLine === null ? null : { script: section(entry, lines, downLine + 1, end, useTx, blocks.down), label: "the '-- +goose Down' section" };
  const reverse = usableReverse(found, { version, path: entry.file.path, line: downLine ?? upLine }, "no '-- +goose Down' section", problems);
  return { version, name: entry.name.replace(/\.sql$/, ''), forward, reverse };
}

function readGooseTree(tree: FileTree): LayoutResult {
  const migrations: Migration[] = [];
  const problems: LayoutProblem[] = [];
  for (const entry of listTopLevel(tree)) {
    const m = FILE.exec(entry.name);
    // Version 0 is goose's "no migration applied" marker; goose skips such files.
    if (!m || BigInt(m[1]!) === 0n) continue;
    const migration = readFile(entry, m[1]!, problems);
    if (migration) migrations.push(migration);
  }
  sortMigrations(migrations, compareGooseVersions);
  problems.push(...findDuplicateVersions(migrations, compareGooseVersions));
  return { migrations, problems: sortProblems(problems, compareGooseVersions) };
}

/** Whether a file holds a goose Up annotation (any case, as goose accepts). */
function hasUpAnnotation(content: string): boolean {
  return splitLines(content).some((l) => readAnnotation(l.text) === 'up');
}

/**
 * pressly/goose SQL migrations: one `<version>_<name>.sql` per migration with
 * `-- +goose Up` / `-- +goose Down` sections.
 */
export const goose: Layout = {
  id: 'goose',
  supportsReverse: true,
  // Since goose v3.3 `up` fails on missing (older, unapplied) migrations unless -allow-missing.
  outOfOrder: { kind: 'refuses', tool: 'goose', allowedBy: '-allow-missing (goose.WithAllowMissing())' },
  detect: (tree) => listTopLevel(tree).some((e) => FILE.test(e.name) && hasUpAnnotation(e.file.content)),
  read: readGooseTree,
};
