import { posix } from 'node:path';
import type { FileTree, Layout, LayoutProblem, LayoutResult, Migration, MigrationScript, ReadOptions, TransactionMode } from './layout.js';
import {
  isChangeLog,
  parseChangeLog,
  type ChangeLogChange,
  type ChangeLogChangeSet,
  type ChangeLogProperty,
  type ParsedChangeLog,
} from './liquibase-changelog.js';
import { ChangeLogParameters, readProperties, type PropertyDefinition } from './liquibase-parameters.js';
import { compareBytes, listEntries, sliceLines, splitLines, usableReverse, type Line, type TreeEntry } from './util.js';

// AbstractFormattedChangeLogParser (liquibase-standard), case-insensitive as there.
const FIRST_LINE = /^\s*--\s*liquibase\s*formatted.*/i;
const CHANGE_SET = /^\s*--[\s]*changeset\s+("[^"]+"|[^:]+):\s*("[^"]+"|\S+).*/i;
// Lines that look like a changeset but are not one: Liquibase stops with "Unexpected formatting".
const ALT_CHANGE_SET = /^(\s*--[\s]*changeset[\s]*.*|-[\s]*changeset\s.*)$/i;
const ROLLBACK = /^\s*--[\s]*rollback (.*)/i;
const ROLLBACK_BLOCK_START = /^\s*\/\*\s*liquibase\s*rollback\s*$/i;
const ROLLBACK_BLOCK_END = /^(.*)\*\/\s*$/;
const PROPERTY = /^\s*--[\s]*property\s+(.*:.*)\s+(.*:.*).*/i;
const attribute = (line: string, name: string): string | undefined => new RegExp(`\\b${name}:(\\S+)`, 'i').exec(line)?.[1];

/**
 * Liquibase (https://github.com/liquibase/liquibase, liquibase-standard; the master changelog as
 * DatabaseChangeLog reads it, formatted SQL as AbstractFormattedChangeLogParser does):
 * - the master changelog is an XML, YAML or JSON file whose top level is `databaseChangeLog`
 *   (liquibase-changelog.ts): `migrations.changelog` names it, else it is the changelog no other
 *   one includes (of several, the one that reaches the most changesets). Its entries run in
 *   order: `include file=` reads a changelog (relative to the including file with
 *   `relativeToChangelogFile`, else to the classpath root: the one file whose path ends so),
 *   `includeAll path=` every changelog under the directory, recursively, sorted by
 *   `getStandardChangeLogComparator()`: Java's String.compareTo on the resource path, i.e. UTF-16
 *   code units; a file of no changelog format is skipped there and refused by `include`;
 * - an included `.sql` file whose first line is `--liquibase formatted sql` holds changesets:
 *   each `--changeset author:id [attributes]` line opens one that runs to the next one; any
 *   other `.sql` file is one changeset `raw` by `includeAll` (SqlChangeLogParser: the whole
 *   file as one statement, in a transaction, with no rollback);
 * - an XML/YAML changeSet of one `sql` or `sqlFile` change runs that SQL (`splitStatements`,
 *   default true; `sqlFile path=` with `relativeToChangelogFile`), its `<rollback>` SQL or
 *   sqlFile is the reverse (`<rollback/>`: nothing to undo); a changeSet of native change types
 *   (createTable, addColumn…) is SQL Liquibase generates and Drillbot cannot run: a `not-drilled`
 *   problem names it (the shadow then lacks what it creates);
 * - with no XML/YAML changelog, the formatted-SQL files are read in path order, as `includeAll`;
 * - DATABASECHANGELOG records id, author and file, so that triple is the version here; every
 *   changeset not yet recorded runs: one added above others that already ran still runs, after
 *   them (versions name changesets, their place orders them); `runOnChange` runs a recorded one
 *   again when its checksum changed (ShouldRunChangeSetFilter), so its edit is a new run;
 * - `runInTransaction` (default true) wraps the changeset in a transaction; `false` runs each
 *   statement on its own (autocommit), and with `splitStatements:false` the changeset goes as one
 *   statement string (one implicit transaction when it holds several);
 * - `--rollback <sql>` lines and `/* liquibase rollback … *\/` blocks are the reverse, run in
 *   the same transaction mode; `--rollback not required` declares there is none to run;
 * - `dbms:` limits a changeset (or a change) to the databases it names: one that leaves out
 *   postgresql (and `all`) never runs here;
 * - `${name}` expressions take the values of `<property>` / `--property` definitions and of
 *   `migrations.parameters` (liquibase-parameters.ts); a changeset whose SQL keeps one without a
 *   value is reported, not drilled.
 */
export const compareLiquibaseVersions = compareBytes;

interface ChangeSet {
  readonly header: Line;
  readonly id: string;
  readonly author: string;
  /** Lines of the body: after the header, to the next changeset or the end of the file. */
  readonly end: number;
}

const transactionMode = (runInTransaction: boolean, splitStatements: boolean): TransactionMode =>
  runInTransaction ? 'transaction' : splitStatements ? 'none' : 'single-query';

const transactionOf = (header: string): TransactionMode =>
  transactionMode(attribute(header, 'runInTransaction')?.toLowerCase() !== 'false', attribute(header, 'splitStatements')?.toLowerCase() !== 'false');

/** DatabaseList.definitionMatches: `all`, `none`, `!postgresql` excludes, a list of names must hold postgresql. */
function runsOnPostgres(dbms: string | undefined): boolean {
  const names = (dbms ?? '')
    .split(',')
    .map((d) => d.trim().toLowerCase())
    .filter((d) => d !== '');
  if (names.length === 0 || names.includes('all')) return true;
  if (names.includes('none') || names.includes('!postgresql')) return false;
  const named = names.filter((d) => !d.startsWith('!'));
  return named.length === 0 || named.includes('postgresql');
}

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

function toMigration(w: Walk, entry: TreeEntry, lines: readonly Line[], cs: ChangeSet): Migration[] {
  const transaction = transactionOf(cs.header.text);
  const version = `${entry.rel}::${cs.id}::${cs.author}`;
  const name = `${cs.author}:${cs.id}`;
  const at = { version, path: entry.file.path, line: cs.header.number };
  w.unresolved.clear();
  const forward: MigrationScript = {
    path: entry.file.path,
    sql: w.expand(sliceLines(entry.file.content, lines, cs.header.number + 1, cs.end)),
    startLine: cs.header.number + 1,
    transaction,
  };
  const rollback = rollbackOf(lines, cs.header.number, cs.end);
  const rollbackSql = rollback && w.expand(rollback.sql);
  if (w.reportUnresolved(name, at)) return [];
  const reruns = attribute(cs.header.text, 'runOnChange')?.toLowerCase() === 'true' ? { rerunsOnChange: true } : {};
  if (rollback?.notRequired) return [{ version, name, forward, reverse: null, ...reruns }];
  const found = rollback ? { script: { path: entry.file.path, sql: rollbackSql!, startLine: rollback.startLine, transaction }, label: 'its --rollback' } : null;
  const reverse = usableReverse(found, at, 'no --rollback', w.problems);
  return [{ version, name, forward, reverse, ...reruns }];
}

/** The changesets of a formatted-SQL file, in order (those for other databases left out); its `--property` lines define parameters as they come. */
function readFormatted(w: Walk, entry: TreeEntry): Migration[] {
  const lines = splitLines(entry.file.content);
  const properties = lines.filter((l) => PROPERTY.test(l.text));
  w.including.push(entry.file.path);
  const migrations = changeSets(entry, lines, w.problems).flatMap((cs) => {
    while (properties[0] && properties[0].number < cs.end) w.define(formattedProperty(properties.shift()!));
    return runsOnPostgres(attribute(cs.header.text, 'dbms')) ? toMigration(w, entry, lines, cs) : [];
  });
  w.including.pop();
  return migrations;
}

/** AbstractFormattedChangeLogParser.handleProperty: `name:` and `value:` words, `dbms:`, `global:` (Boolean.parseBoolean: absent or `true` is global, any other word local). */
function formattedProperty(line: Line): PropertyDefinition {
  const global = /global:(\S+)/i.exec(line.text)?.[1];
  const dbms = /dbms:([^,][\w!,]+)/i.exec(line.text)?.[1];
  return {
    name: /name:\s*(\S+)/i.exec(line.text)?.[1] ?? '',
    value: /value:\s*(\S+)/i.exec(line.text)?.[1] ?? '',
    global: global === undefined || global.toLowerCase() === 'true',
    ...(dbms !== undefined ? { dbms } : {}),
  };
}

const isFormatted = (e: TreeEntry): boolean => e.name.toLowerCase().endsWith('.sql') && FIRST_LINE.test(splitLines(e.file.content)[0]?.text ?? '');
const isChangeLogEntry = (e: TreeEntry): boolean => isChangeLog(e.name, e.file.content);

/** Liquibase's ValidatingVisitor refuses changesets that repeat an id, author and file ("duplicate identifiers"), also a file included twice. */
function withDuplicates(migrations: Migration[], problems: LayoutProblem[]): LayoutResult {
  const seen = new Map<string, Migration>();
  for (const m of migrations) {
    const first = seen.get(m.version);
    if (first) problems.push({ kind: 'duplicate-version', version: m.version, paths: [first.forward.path, m.forward.path] });
    else seen.set(m.version, m);
  }
  return { migrations, problems };
}

function readLiquibase(tree: FileTree, options: ReadOptions = {}): LayoutResult {
  const problems: LayoutProblem[] = [];
  const entries = listEntries(tree);
  const changeLogs = entries.filter(isChangeLogEntry);
  const walk = new Walk(tree, entries, problems, options.parameters ?? {});
  if (changeLogs.length === 0 && options.changelog === undefined) {
    const files = entries.filter(isFormatted).sort((a, b) => compareBytes(a.rel, b.rel));
    return withDuplicates(
      files.flatMap((entry) => readFormatted(walk, entry)),
      problems,
    );
  }
  const master = masterChangeLog(tree, entries, changeLogs, options, problems);
  if (!master) return { migrations: [], problems };
  return withDuplicates(includeFile(walk, master, { path: master.file.path, line: 1 }, true), problems);
}

export const liquibase: Layout = {
  id: 'liquibase',
  supportsReverse: true,
  versionsOrderedBy: 'position',
  outOfOrder: { kind: 'applies', tool: 'Liquibase' },
  detect: (tree) => listEntries(tree).some((e) => isFormatted(e) || isChangeLogEntry(e)),
  read: readLiquibase,
};

// ---- the master changelog and what it includes ------------------------------------------------

/** Reading state: the tree, its files by path, and the changelogs being included (to stop a cycle). */
class Walk {
  readonly byPath: ReadonlyMap<string, TreeEntry>;
  /** The changelogs being read, the master first. */
  readonly including: string[] = [];
  /** Expressions without a value met since the last clear (one changeset's). */
  readonly unresolved = new Set<string>();
  private readonly parsed = new Map<string, ParsedChangeLog>();
  private readonly parameters: ChangeLogParameters;
  constructor(
    readonly tree: FileTree,
    readonly entries: readonly TreeEntry[],
    readonly problems: LayoutProblem[],
    parameters: Readonly<Record<string, string>>,
  ) {
    this.byPath = new Map(entries.map((e) => [e.file.path, e]));
    this.parameters = new ChangeLogParameters(parameters, runsOnPostgres);
  }
  expand(text: string): string {
    const expanded = this.parameters.expand(text, this.including);
    for (const name of expanded.missing) this.unresolved.add(name);
    return expanded.text;
  }
  define(p: PropertyDefinition): void {
    this.parameters.define(p, this.including);
  }
  /** Whether the changeset's SQL keeps expressions without a value: then a problem says which, and it is not drilled. */
  reportUnresolved(name: string, at: { version: string; path: string; line: number }): boolean {
    if (this.unresolved.size === 0) return false;
    const names = [...this.unresolved].map((n) => '${' + n + '}');
    this.problems.push({
      kind: 'not-drilled',
      ...at,
      detail: `changeset ${name} uses ${names.join(', ')}, which no property here defines; Liquibase takes ${names.length === 1 ? 'its value' : 'their values'} from the deployment (-D, liquibase.properties parameter.*, Spring's spring.liquibase.parameters), so Drillbot cannot tell what SQL it runs`,
      fix: `Give ${names.length === 1 ? 'the value' : 'the values'} your deployment uses in migrations.parameters of .github/drillbot.yml (${[...this.unresolved].map((n) => `${n}: …`).join(', ')}).`,
    });
    return true;
  }
  parse(entry: TreeEntry): ParsedChangeLog {
    const known = this.parsed.get(entry.file.path);
    if (known) return known;
    const parsed = parseChangeLog(entry.name, entry.file.content);
    this.parsed.set(entry.file.path, parsed);
    return parsed;
  }
  problem(path: string, line: number, detail: string): void {
    this.problems.push({ kind: 'unparsable', path, line, detail });
  }
}

/**
 * The configured master changelog (any format, formatted SQL too), else the XML/YAML/JSON one no
 * other changelog includes (of several, the one reaching the most changesets).
 */
function masterChangeLog(
  tree: FileTree,
  entries: readonly TreeEntry[],
  changeLogs: readonly TreeEntry[],
  options: ReadOptions,
  problems: LayoutProblem[],
): TreeEntry | null {
  if (options.changelog !== undefined) {
    const path = posix.normalize(options.changelog);
    const named = entries.find((e) => e.file.path === path);
    if (!named)
      problems.push({
        kind: 'unparsable',
        path,
        line: 1,
        detail: `migrations.changelog names ${path}, which is not under the migrations directory "${tree.root || '.'}"`,
      });
    return named ?? null;
  }
  const scratch = new Walk(tree, entries, [], options.parameters ?? {});
  const included = new Set(changeLogs.flatMap((c) => includedPaths(scratch, c)));
  const roots = changeLogs.filter((c) => !included.has(c.file.path));
  const reach = new Map(roots.map((r) => [r, walkChangeLog(new Walk(tree, entries, [], options.parameters ?? {}), r).length]));
  const [first, second] = [...roots].sort((a, b) => reach.get(b)! - reach.get(a)! || compareBytes(a.file.path, b.file.path));
  if (!first)
    problems.push({
      kind: 'unparsable',
      path: changeLogs[0]!.file.path,
      line: 1,
      detail: 'every Liquibase changelog here is included by another one: there is no master changelog to start from',
    });
  else if (second && reach.get(second) === reach.get(first)) {
    problems.push({
      kind: 'unparsable',
      path: second.file.path,
      line: 1,
      detail: `${first.file.path} and ${second.file.path} are both master changelogs (no other changelog includes them); name the one Liquibase runs in migrations.changelog`,
    });
  }
  return first ?? null;
}

/** The files a changelog's include and includeAll entries name. */
function includedPaths(w: Walk, changeLog: TreeEntry): string[] {
  return w.parse(changeLog).entries.flatMap((entry) => {
    if (entry.kind === 'include') {
      const found = resolveFile(w, changeLog, w.expand(entry.file), entry.relative);
      return typeof found === 'string' ? [] : [found.file.path];
    }
    if (entry.kind === 'includeAll') {
      const found = resolveDirectory(w, changeLog, w.expand(entry.path), entry.relative);
      return typeof found === 'string' ? [] : found.map((e) => e.file.path);
    }
    return [];
  });
}

/** The changesets of a changelog and of what it includes, in Liquibase's order. */
function walkChangeLog(w: Walk, changeLog: TreeEntry): Migration[] {
  const parsed = w.parse(changeLog);
  if (parsed.error) {
    w.problem(changeLog.file.path, parsed.error.line, `Liquibase cannot read this changelog: ${parsed.error.message}`);
    return [];
  }
  w.including.push(changeLog.file.path);
  const migrations = parsed.entries.flatMap((entry): Migration[] => {
    if (entry.kind === 'changeSet') return changeSetMigration(w, changeLog, entry);
    if (entry.kind === 'property') {
      defineProperty(w, changeLog, entry);
      return [];
    }
    if (entry.kind === 'include') {
      const found = resolveFile(w, changeLog, w.expand(entry.file), entry.relative);
      if (typeof found === 'string') {
        w.problem(changeLog.file.path, entry.line, `Liquibase cannot include ${entry.file}: ${found}`);
        return [];
      }
      return includeFile(w, found, { path: changeLog.file.path, line: entry.line }, true);
    }
    const found = resolveDirectory(w, changeLog, w.expand(entry.path), entry.relative);
    if (typeof found === 'string') {
      w.problem(changeLog.file.path, entry.line, `Liquibase cannot includeAll ${entry.path}: ${found}`);
      return [];
    }
    return found.flatMap((file) => includeFile(w, file, { path: changeLog.file.path, line: entry.line }, false));
  });
  w.including.pop();
  return migrations;
}

/** One included file: a changelog (XML, YAML, JSON), formatted SQL, or raw SQL; `include` refuses any other file, `includeAll` skips it. */
function includeFile(w: Walk, file: TreeEntry, at: { path: string; line: number }, refuseUnknown: boolean): Migration[] {
  if (w.including.includes(file.file.path)) {
    w.problem(at.path, at.line, `Liquibase cannot include ${file.rel}: it includes this changelog itself (a circular include)`);
    return [];
  }
  const lower = file.name.toLowerCase();
  if (lower.endsWith('.sql')) return isFormatted(file) ? readFormatted(w, file) : [rawSql(file, w.problems)];
  if (/\.(xml|ya?ml|json)$/.test(lower)) {
    if (isChangeLogEntry(file)) return walkChangeLog(w, file);
    w.problem(file.file.path, 1, 'Liquibase cannot read this file as a changelog: its top level is not databaseChangeLog');
    return [];
  }
  if (refuseUnknown)
    w.problem(at.path, at.line, `Liquibase cannot include ${file.rel}: it is not a changelog format it reads (.xml, .yaml, .yml, .json, .sql)`);
  return [];
}

/** A plain .sql file included as a changelog: one changeset, the whole file as one statement, in a transaction, with no rollback. */
function rawSql(entry: TreeEntry, problems: LayoutProblem[]): Migration {
  const version = `${entry.rel}::raw::includeAll`;
  const forward: MigrationScript = { path: entry.file.path, sql: entry.file.content, startLine: 1, transaction: 'transaction' };
  const reverse = usableReverse(null, { version, path: entry.file.path, line: 1 }, 'a plain SQL file included as a changelog has no rollback', problems);
  return { version, name: entry.rel, forward, reverse };
}

/** A changeSet of an XML/YAML changelog: one sql or sqlFile change is drilled; native change types are not. */
function changeSetMigration(w: Walk, changeLog: TreeEntry, cs: ChangeLogChangeSet): Migration[] {
  if (!runsOnPostgres(cs.dbms)) return [];
  const changes = cs.changes.filter((c) => c.kind === 'native' || runsOnPostgres(c.dbms));
  if (changes.length === 0) return [];
  const version = `${changeLog.rel}::${cs.id}::${cs.author}`;
  const at = { version, path: changeLog.file.path, line: cs.line };
  const name = `${cs.author}:${cs.id}`;
  const change = changes[0]!;
  if (changes.length > 1 || change.kind === 'native') {
    w.problems.push({ kind: 'not-drilled', ...at, detail: notDrilled(name, changes) });
    return [];
  }
  w.unresolved.clear();
  const forward = sqlScript(w, changeLog, change, cs.runInTransaction);
  if (!forward) return [];
  const reverse = reverseOf(w, changeLog, cs, at);
  if (w.reportUnresolved(name, at)) return [];
  return [{ version, name, forward, reverse, ...(cs.runOnChange ? { rerunsOnChange: true } : {}) }];
}

function notDrilled(name: string, changes: readonly ChangeLogChange[]): string {
  const native = changes.filter((c) => c.kind === 'native').map((c) => `${c.type} (line ${c.line})`);
  if (native.length === 0)
    return `changeset ${name} holds ${changes.length} SQL changes; Drillbot drills a changeset of one sql or sqlFile change, so it did not run this one`;
  return `changeset ${name} uses Liquibase change types that Liquibase turns into SQL itself: ${native.join(', ')}; Drillbot runs only sql and sqlFile changes, so it did not run this changeset`;
}

/** The SQL of an sql or sqlFile change, as the changeset runs it; null (with a problem) when its file is missing. */
function sqlScript(w: Walk, changeLog: TreeEntry, change: ChangeLogChange, runInTransaction: boolean): MigrationScript | null {
  if (change.kind === 'native') return null;
  const transaction = transactionMode(runInTransaction, change.splitStatements);
  if (change.kind === 'sql') return { path: changeLog.file.path, sql: w.expand(change.sql), startLine: change.line, transaction };
  const found = resolveFile(w, changeLog, w.expand(change.path), change.relative);
  if (typeof found !== 'string') return { path: found.file.path, sql: w.expand(found.file.content), startLine: 1, transaction };
  w.problem(changeLog.file.path, change.line, `Liquibase cannot run sqlFile ${change.path}: ${found}`);
  return null;
}

function reverseOf(w: Walk, changeLog: TreeEntry, cs: ChangeLogChangeSet, at: { version: string; path: string; line: number }): MigrationScript | null {
  if (cs.rollback === null) return usableReverse(null, at, 'no <rollback>', w.problems);
  const [change, ...more] = cs.rollback.filter((c) => c.kind === 'native' || runsOnPostgres(c.dbms));
  if (!change) return null;
  if (change.kind === 'native' || more.length > 0) {
    const types = [change, ...more].map((c) => (c.kind === 'native' ? c.type : c.kind)).join(', ');
    return usableReverse(null, at, `its rollback (${types}) is not one sql or sqlFile change, which Drillbot cannot run`, w.problems);
  }
  const script = sqlScript(w, changeLog, change, cs.runInTransaction);
  return usableReverse(script && { script, label: 'its <rollback>' }, at, 'its rollback file is missing', w.problems);
}

/** A `<property>`: one name and value, or every entry of a properties file (a missing file stops Liquibase: errorIfMissing defaults to true). */
function defineProperty(w: Walk, changeLog: TreeEntry, p: ChangeLogProperty): void {
  const common = { global: p.global, ...(p.dbms !== undefined ? { dbms: p.dbms } : {}) };
  if (p.file === undefined) {
    if (p.name !== undefined) w.define({ name: p.name, value: p.value ?? '', ...common });
    return;
  }
  const found = resolveFile(w, changeLog, w.expand(p.file), p.relative);
  if (typeof found === 'string') {
    w.problem(changeLog.file.path, p.line, `Liquibase cannot read property file ${p.file}: ${found}`);
    return;
  }
  for (const entry of readProperties(found.file.content)) w.define({ ...entry, ...common });
}

/** A path as Liquibase resolves it: against the including changelog, or the classpath root (the one file whose path ends so). */
function resolveFile(w: Walk, from: TreeEntry, file: string, relative: boolean): TreeEntry | string {
  const path = file.replace(/\\/g, '/').replace(/^classpath\*?:/, '');
  if (relative) {
    const full = posix.normalize(posix.join(posix.dirname(from.file.path), path));
    return w.byPath.get(full) ?? `there is no ${full} under the migrations directory "${w.tree.root || '.'}"`;
  }
  const tail = posix.normalize(path.replace(/^\/+/, ''));
  const found = w.entries.filter((e) => e.file.path === tail || e.file.path.endsWith(`/${tail}`));
  if (found.length === 1) return found[0]!;
  return found.length === 0
    ? `no file under the migrations directory "${w.tree.root || '.'}" ends with ${tail}`
    : `several files end with ${tail} (${found.map((e) => e.file.path).join(', ')})`;
}

/** The files under an includeAll directory, recursively, in Liquibase's order (String.compareTo: UTF-16 code units). */
function resolveDirectory(w: Walk, from: TreeEntry, path: string, relative: boolean): TreeEntry[] | string {
  const dir = path
    .replace(/\\/g, '/')
    .replace(/^classpath\*?:/, '')
    .replace(/\/+$/, '');
  const prefixes = relative
    ? [`${posix.normalize(posix.join(posix.dirname(from.file.path), dir))}/`]
    : [...new Set(w.entries.flatMap((e) => prefixEnding(e.file.path, `${posix.normalize(dir.replace(/^\/+/, ''))}/`)))];
  if (prefixes.length > 1) return `several directories end with ${dir} (${prefixes.join(', ')})`;
  const files = w.entries.filter((e) => prefixes[0] !== undefined && e.file.path.startsWith(prefixes[0]));
  if (files.length === 0) return `there is no directory ${dir} with files under the migrations directory "${w.tree.root || '.'}"`;
  return files.sort((a, b) => (a.file.path < b.file.path ? -1 : a.file.path > b.file.path ? 1 : 0));
}

/** The leading part of `path` up to and including `dir`, where `dir` starts a path segment. */
function prefixEnding(path: string, dir: string): string[] {
  if (path.startsWith(dir)) return [dir];
  const at = path.indexOf(`/${dir}`);
  return at < 0 ? [] : [path.slice(0, at + 1 + dir.length)];
}
