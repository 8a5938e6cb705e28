import type { FileTree, Layout, LayoutProblem, LayoutResult, Migration, MigrationScript, TransactionMode } from './layout.js';
import { compareBytes, listEntries, sliceLines, splitLines, usableReverse, type Line, type TreeEntry } from './util.js';

// AbstractFormattedChangeLogParser (liquibase-standard), case-insensitive as there.
const FIRST_LINE = /^\s*--\s*liquibase\s*formatted.*/i;
const CHANGE_SET = /^\s*--[\s]*changeset\s+("[^"]+"|[^:]+):\s*("[^"]+"|\S+).*/i;
// Lines that look like a changeset but are not one: Liquibase stops with "Unexpected formatting".
const ALT_CHANGE_SET = /^(\s*--[\s]*changeset[\s]*.*|-[\s]*changeset\s.*)$/i;
const ROLLBACK = /^\s*--[\s]*rollback (.*)/i;
const ROLLBACK_BLOCK_START = /^\s*\/\*\s*liquibase\s*rollback\s*$/i;
const ROLLBACK_BLOCK_END = /^(.*)\*\/\s*$/;
const attribute = (line: string, name: string): string | undefined => new RegExp(`\\b${name}:(\\S+)`, 'i').exec(line)?.[1];

/**
 * Liquibase formatted SQL (https://github.com/liquibase/liquibase, liquibase-standard
 * AbstractFormattedChangeLogParser):
 * - a file whose first line is `--liquibase formatted sql`; each `--changeset author:id
 *   [attributes]` line opens a changeset that runs to the next one; DATABASECHANGELOG records
 *   id, author and file, so that triple is the version here;
 * - changesets run in changelog order, and every one not yet recorded runs: a changeset added
 *   above others that already ran still runs, after them (versions name changesets, their place
 *   orders them; files are read in path order, as `includeAll` does — a master changelog's
 *   explicit order is not read);
 * - `runInTransaction` (default true) wraps the changeset in a transaction; `false` runs each
 *   statement on its own (autocommit), and with `splitStatements:false` the changeset goes as one
 *   statement string (one implicit transaction when it holds several);
 * - `--rollback <sql>` lines and `/* liquibase rollback … *\/` blocks are the reverse, run in
 *   the same transaction mode; `--rollback not required` declares there is none to run;
 * - `dbms:` limits a changeset to the databases it names: one that leaves out postgresql (and
 *   `all`) never runs here.
 */
export const compareLiquibaseVersions = compareBytes;

interface ChangeSet {
  readonly header: Line;
  readonly id: string;
  readonly author: string;
  /** Lines of the body: after the header, to the next changeset or the end of the file. */
  readonly end: number;
}

function transactionOf(header: string): TransactionMode {
  if (attribute(header, 'runInTransaction')?.toLowerCase() !== 'false') return 'transaction';
  return attribute(header, 'splitStatements')?.toLowerCase() === 'false' ? 'single-query' : 'none';
}

const runsOnPostgres = (header: string): boolean => {
  const dbms = attribute(header, 'dbms');
  return dbms === undefined || dbms.split(',').some((d) => ['postgresql', 'all'].includes(d.replace(/^!/, '').toLowerCase()) && !d.startsWith('!'));
};

const unquote = (s: string): string => s.replace(/^"(.*)"$/, '$1');

/** The changesets of a file, and a problem for each line Liquibase refuses as a malformed changeset. */
function changeSets(entry: TreeEntry, lines: readonly Line[], problems: LayoutProblem[]): ChangeSet[] {
  const heads: Array<{ line: Line; id: string; author: string }> = [];
  for (const line of lines) {
    const m = CHANGE_SET.exec(line.text);
    if (m) heads.push({ line, author: unquote(m[1]!.trim()), id: unquote(m[2]!) });
    else if (ALT_CHANGE_SET.test(line.text)) {
      problems.push({
        kind: 'unparsable',
        path: entry.file.path,
        line: line.number,
        detail: 'Liquibase refuses this changelog: a changeset line must read `--changeset <author>:<id>` ("Unexpected formatting")',
      });
    }
  }
  return heads.map((h, i) => ({ header: h.line, id: h.id, author: h.author, end: heads[i + 1]?.line.number ?? lines.length + 1 }));
}

/** The rollback of a changeset: its `--rollback` lines and rollback blocks, in order, or null when it has none. */
function rollbackOf(lines: readonly Line[], from: number, to: number): { sql: string; startLine: number; notRequired: boolean } | null {
  const parts: string[] = [];
  let startLine = 0;
  let block = false;
  for (const line of lines.filter((l) => l.number > from && l.number < to)) {
    if (block) {
      const end = ROLLBACK_BLOCK_END.exec(line.text);
      const text = end ? end[1]! : line.text;
      if (!end || text.trim() !== '') parts.push(text);
      block = !end;
      continue;
    }
    const m = ROLLBACK.exec(line.text);
    if (m) parts.push(m[1]!);
    else if (ROLLBACK_BLOCK_START.test(line.text)) block = true;
    else continue;
    startLine ||= line.number + (block ? 1 : 0);
  }
  if (startLine === 0) return null;
  const sql = parts.join('\n') + '\n';
  return { sql, startLine, notRequired: /^\s*not required\s*$/i.test(sql) || /^\s*empty\s*$/i.test(sql) };
}

function toMigration(entry: TreeEntry, lines: readonly Line[], cs: ChangeSet, problems: LayoutProblem[]): Migration {
  const transaction = transactionOf(cs.header.text);
  const version = `${entry.rel}::${cs.id}::${cs.author}`;
  const forward: MigrationScript = {
    path: entry.file.path,
    sql: sliceLines(entry.file.content, lines, cs.header.number + 1, cs.end),
    startLine: cs.header.number + 1,
    transaction,
  };
  const rollback = rollbackOf(lines, cs.header.number, cs.end);
  const name = `${cs.author}:${cs.id}`;
  if (rollback?.notRequired) return { version, name, forward, reverse: null };
  const found = rollback ? { script: { path: entry.file.path, sql: rollback.sql, startLine: rollback.startLine, transaction }, label: 'its --rollback' } : null;
  const reverse = usableReverse(found, { version, path: entry.file.path, line: cs.header.number }, 'no --rollback', problems);
  return { version, name, forward, reverse };
}

function readFile(entry: TreeEntry, problems: LayoutProblem[]): Migration[] {
  const lines = splitLines(entry.file.content);
  const migrations: Migration[] = [];
  const seen = new Set<string>();
  for (const cs of changeSets(entry, lines, problems)) {
    if (!runsOnPostgres(cs.header.text)) continue;
    const migration = toMigration(entry, lines, cs, problems);
    // Liquibase refuses a changelog that repeats an id:author ("duplicate identifiers").
    if (seen.has(migration.version)) problems.push({ kind: 'duplicate-version', version: migration.version, paths: [entry.file.path, entry.file.path] });
    seen.add(migration.version);
    migrations.push(migration);
  }
  return migrations;
}

const isFormatted = (e: TreeEntry): boolean => e.name.toLowerCase().endsWith('.sql') && FIRST_LINE.test(splitLines(e.file.content)[0]?.text ?? '');

function readLiquibase(tree: FileTree): LayoutResult {
  const problems: LayoutProblem[] = [];
  const files = listEntries(tree)
    .filter(isFormatted)
    .sort((a, b) => compareBytes(a.rel, b.rel));
  const migrations = files.flatMap((entry) => readFile(entry, problems));
  return { migrations, problems };
}

export const liquibase: Layout = {
  id: 'liquibase',
  supportsReverse: true,
  versionsOrderedBy: 'position',
  outOfOrder: { kind: 'applies', tool: 'Liquibase' },
  detect: (tree) => listEntries(tree).some(isFormatted),
  read: readLiquibase,
};
