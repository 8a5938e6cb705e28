import type { FileTree, LayoutProblem, Migration, MigrationScript, SourceFile } from './layout.js';

/** A file of the tree with its path split relative to the migrations directory. */
export interface TreeEntry {
  readonly file: SourceFile;
  /** Path relative to `tree.root`, with `/` separators. */
  readonly rel: string;
  /** Last path segment. */
  readonly name: string;
  /** Folder part of `rel` ('' for files directly in the migrations directory). */
  readonly dir: string;
}

/** Lists the tree's files relative to its root; files outside the root are left out. */
export function listEntries(tree: FileTree): TreeEntry[] {
  const root = trimSlashes(tree.root);
  const prefix = root === '' ? '' : `${root}/`;
  const entries: TreeEntry[] = [];
  for (const file of tree.files) {
    const path = file.path.replace(/\\/g, '/');
    if (!path.startsWith(prefix)) continue;
    const rel = path.slice(prefix.length);
    const slash = rel.lastIndexOf('/');
    entries.push({ file, rel, name: rel.slice(slash + 1), dir: slash < 0 ? '' : rel.slice(0, slash) });
  }
  return entries;
}

/**
 * Files directly in the migrations directory. golang-migrate, goose, dbmate and maragudk/migrate
 * read one directory level only, so files in subfolders are not theirs.
 */
export function listTopLevel(tree: FileTree): TreeEntry[] {
  return listEntries(tree).filter((e) => e.dir === '');
}

function trimSlashes(path: string): string {
  return path
    .replace(/\\/g, '/')
    .replace(/^\.\/?/, '')
    .replace(/^\/+|\/+$/g, '');
}

/**
 * Compares strings by Unicode code point, which is UTF-8 byte order: what Go's `<` on strings,
 * Go's `sort.Strings`, `fs.ReadDir` and Rust's `str::cmp` do. JavaScript's `<` compares UTF-16
 * code units, which differs for characters outside the Basic Multilingual Plane.
 */
export function compareBytes(a: string, b: string): number {
  const ca = Array.from(a);
  const cb = Array.from(b);
  const n = Math.min(ca.length, cb.length);
  for (let i = 0; i < n; i++) {
    const d = ca[i]!.codePointAt(0)! - cb[i]!.codePointAt(0)!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return ca.length === cb.length ? 0 : ca.length < cb.length ? -1 : 1;
}

/** Compares decimal version strings as integers (so `10` > `9` and `007` = `7`). */
export function compareNumeric(a: string, b: string): number {
  const x = toBigInt(a);
  const y = toBigInt(b);
  if (x === null || y === null) return compareBytes(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function toBigInt(s: string): bigint | null {
  return /^\d+$/.test(s) ? BigInt(s) : null;
}

/** Sorts migrations with a version comparator, falling back to the name so the order is total. */
export function sortMigrations(migrations: Migration[], compare: (a: string, b: string) => number): Migration[] {
  return migrations.sort((a, b) => compare(a.version, b.version) || compareBytes(a.name, b.name));
}

/**
 * Reports every version that occurs more than once (all layouts whose tool refuses, or silently
 * mis-applies, two files with one version). Migrations must already be sorted by `compare`.
 */
export function findDuplicateVersions(migrations: readonly Migration[], compare: (a: string, b: string) => number): LayoutProblem[] {
  const problems: LayoutProblem[] = [];
  let i = 0;
  while (i < migrations.length) {
    let j = i + 1;
    while (j < migrations.length && compare(migrations[i]!.version, migrations[j]!.version) === 0) j++;
    if (j - i > 1) {
      problems.push({
        kind: 'duplicate-version',
        version: migrations[i]!.version,
        paths: migrations.slice(i, j).map((m) => m.forward.path),
      });
    }
    i = j;
  }
  return problems;
}

/** One line of a file: its text without the line break, and where it starts in the content. */
export interface Line {
  /** 1-based line number. */
  readonly number: number;
  readonly text: string;
  /** Offset of the first character of the line in the file content. */
  readonly start: number;
}

/**
 * Splits content into lines, keeping offsets so that a section can be cut out of the original
 * text unchanged. A trailing `\r` stays out of `text` (CRLF files), but in the cut-out section.
 */
export function splitLines(content: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  let number = 1;
  while (start <= content.length) {
    const nl = content.indexOf('\n', start);
    const end = nl < 0 ? content.length : nl;
    const text = content.slice(start, end).replace(/\r$/, '');
    if (nl < 0 && start === content.length && lines.length > 0) break;
    lines.push({ number, text, start });
    if (nl < 0) break;
    start = nl + 1;
    number++;
  }
  return lines;
}

/** Text of lines [from, to) of the content, as in the file (line breaks included). */
export function sliceLines(content: string, lines: readonly Line[], from: number, to: number): string {
  const begin = from - 1 < lines.length ? lines[from - 1]!.start : content.length;
  const end = to - 1 < lines.length ? lines[to - 1]!.start : content.length;
  return content.slice(begin, Math.max(begin, end));
}

/**
 * Whether SQL holds no statement: only blank lines, comments and stray semicolons. Tools run such
 * a script without error and change nothing, so as a reverse it is as good as none.
 */
export function isEmptySql(sql: string): boolean {
  // Only whether there is a first statement: a long script is not scanned to its end.
  return statementHeadsOf(sql, 0).next().done === true;
}

/** A reverse script a layout found, with how a problem names it (`down.sql`, `the '-- +goose Down' section`). */
export interface FoundReverse {
  readonly script: MigrationScript;
  readonly label: string;
}

/**
 * The reverse to drill: null when none was found or it holds no statement (as a reverse an empty
 * script is as good as none), and then a `missing-reverse` problem at `at` says which of the two;
 * `absent` is its detail when there is none.
 */
export function usableReverse(
  found: FoundReverse | null,
  at: { version: string; path: string; line: number },
  absent: string,
  problems: LayoutProblem[],
): MigrationScript | null {
  if (found && !isEmptySql(found.script.sql)) return found.script;
  if (!found) problems.push({ kind: 'missing-reverse', ...at, detail: absent });
  else {
    // The empty file is accounted for by this problem: it is not SQL the review left undrilled.
    const own = found.script.path !== at.path ? { emptyReverse: found.script.path } : {};
    problems.push({ kind: 'missing-reverse', ...at, detail: `${found.label} holds no statement`, ...own });
  }
  return null;
}

/**
 * The leading words of each statement in a script, upper-cased and joined by single spaces
 * (e.g. `CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS`). Comments, string literals, quoted
 * identifiers and dollar-quoted bodies are skipped, so a `;` inside them does not split.
 * Statements with no word (a stray `;`) are left out.
 */
export function statementHeads(sql: string, maxWords = 8): string[] {
  return [...statementHeadsOf(sql, maxWords)];
}

// Sticky: matched where the scan stands, without copying the rest of the script for each word
// (a slice per word made a script's scan quadratic in its length).
const WORD = /[A-Za-z_][A-Za-z0-9_$]*/y;
// A tag is an identifier of at most 64 characters, as the scan has always read it.
const DOLLAR_TAG = /\$(?:[A-Za-z_][A-Za-z0-9_]{0,63})?\$/y;

/** Matches a sticky regex at `at`: the matched text, or null. */
function matchAt(re: RegExp, sql: string, at: number): string | null {
  re.lastIndex = at;
  return re.exec(sql)?.[0] ?? null;
}

/** The heads statementHeads returns, one at a time, so a caller can stop after the first. */
function* statementHeadsOf(sql: string, maxWords: number): Generator<string> {
  let words: string[] = [];
  let hasContent = false;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    const tag = c === '$' ? matchAt(DOLLAR_TAG, sql, i) : null;
    if (c === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (c === '/' && next === '*') {
      i = skipBlockComment(sql, i);
    } else if (c === ';') {
      if (hasContent) yield words.join(' ');
      words = [];
      hasContent = false;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      hasContent = true;
      i = skipQuoted(sql, i, "'", isEscapeString(sql, i));
    } else if (c === '"') {
      hasContent = true;
      i = skipQuoted(sql, i, '"', false);
    } else if (tag !== null) {
      hasContent = true;
      const close = sql.indexOf(tag, i + tag.length);
      i = close < 0 ? sql.length : close + tag.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const word = matchAt(WORD, sql, i)!;
      hasContent = true;
      if (words.length < maxWords) words.push(word.toUpperCase());
      i += word.length;
    } else {
      hasContent = true;
      i++;
    }
  }
  if (hasContent) yield words.join(' ');
}

function skipBlockComment(sql: string, from: number): number {
  // PostgreSQL block comments nest, unlike the SQL standard's.
  let depth = 0;
  let i = from;
  while (i < sql.length) {
    if (sql.startsWith('/*', i)) {
      depth++;
      i += 2;
    } else if (sql.startsWith('*/', i)) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return sql.length;
}

function isEscapeString(sql: string, quoteAt: number): boolean {
  const before = sql[quoteAt - 1];
  return (before === 'E' || before === 'e') && !/[A-Za-z0-9_]/.test(sql[quoteAt - 2] ?? '');
}

function skipQuoted(sql: string, from: number, quote: string, backslashEscapes: boolean): number {
  let i = from + 1;
  while (i < sql.length) {
    const c = sql[i]!;
    if (backslashEscapes && c === '\\') {
      i += 2;
    } else if (c === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return sql.length;
}

/** Orders problems by version in the tool's order (then by path), so reports are stable. */
export function sortProblems(problems: LayoutProblem[], compare: (a: string, b: string) => number): LayoutProblem[] {
  const pathOf = (p: LayoutProblem): string => ('paths' in p ? (p.paths[0] ?? '') : p.path);
  return problems.sort((a, b) => {
    const va = 'version' in a ? a.version : null;
    const vb = 'version' in b ? b.version : null;
    if (va !== null && vb !== null) {
      const d = compare(va, vb);
      if (d !== 0) return d;
    } else if (va !== vb) {
      return va === null ? 1 : -1;
    }
    return compareBytes(pathOf(a), pathOf(b)) || compareBytes(a.kind, b.kind);
  });
}
