import type { FileTree, Layout, LayoutProblem, LayoutResult, Migration, MigrationScript, TransactionMode } from './layout.js';
import { groupBy } from '../collections.js';
import { compareNumeric, findDuplicateVersions, listEntries, sortMigrations, sortProblems, statementHeads, usableReverse, type TreeEntry } from './util.js';

// Flyway's default naming: prefix V (versioned) or U (undo), version, `__`, description, `.sql`.
// The version ends at the first `__`; `_` inside it stands for `.` (V1_1__x is version 1.1).
const FILE = /^([VU])(\d+(?:[._]\d+)*)__(.*)\.sql$/;
// A V/U file with a digit after the prefix that FILE rejects: Flyway fails on its version.
const LOOKS_VERSIONED = /^[VU]\d.*\.sql$/;

/**
 * Flyway's MigrationVersion order: parts compared as integers, missing parts count as 0, so
 * `1.1` < `1.10` and `1` = `1.0`.
 */
export function compareFlywayVersions(a: string, b: string): number {
  const pa = a.split(/[._]/);
  const pb = b.split(/[._]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = compareNumeric(pa[i] ?? '0', pb[i] ?? '0');
    if (d !== 0) return d;
  }
  return 0;
}

// Flyway's PostgreSQLParser.detectCanExecuteInTransaction: statements it runs outside a
// transaction. Only these REINDEX forms count: REINDEX INDEX/TABLE … CONCURRENTLY is NOT
// detected, so Flyway runs it in a transaction and PostgreSQL rejects it. ALTER TYPE … ADD VALUE
// is non-transactional only before PostgreSQL 12, which Drillbot does not support.
const NON_TRANSACTIONAL = [
  /^(CREATE|DROP) (DATABASE|TABLESPACE|SUBSCRIPTION)\b/,
  /^ALTER SYSTEM\b/,
  /^(CREATE|DROP)( UNIQUE)? INDEX CONCURRENTLY\b/,
  /^REINDEX( VERBOSE)? (SCHEMA|DATABASE|SYSTEM)\b/,
  /^VACUUM\b/,
  /^DISCARD ALL\b/,
];

/** Value of `executeInTransaction` in a script configuration file, if set. */
function configuredTransaction(conf: string | undefined): boolean | null {
  const m = conf === undefined ? null : /^\s*executeInTransaction\s*=\s*(true|false)\s*$/im.exec(conf);
  return m ? m[1]!.toLowerCase() === 'true' : null;
}

/**
 * A script config (`<script>.conf`) wins; otherwise Flyway runs the script without a transaction
 * as soon as one statement cannot run in one. (By default Flyway refuses scripts that mix both
 * kinds unless `mixed=true`; that setting lives outside the migrations directory.)
 */
function transactionOf(sql: string, conf: string | undefined): TransactionMode {
  const configured = configuredTransaction(conf);
  if (configured !== null) return configured ? 'transaction' : 'none';
  const nonTx = statementHeads(sql).some((head) => NON_TRANSACTIONAL.some((re) => re.test(head)));
  return nonTx ? 'none' : 'transaction';
}

interface Named {
  readonly entry: TreeEntry;
  readonly kind: 'V' | 'U';
  readonly version: string;
}

function script(named: Named, confs: ReadonlyMap<string, string>): MigrationScript {
  const { file } = named.entry;
  return { path: file.path, sql: file.content, startLine: 1, transaction: transactionOf(file.content, confs.get(`${file.path}.conf`)) };
}

/** Canonical version key: `1_1`, `1.1` and `1.01` are one Flyway version. */
function versionKey(version: string): string {
  const parts = version.split(/[._]/).map((p) => BigInt(p).toString());
  while (parts.length > 1 && parts[parts.length - 1] === '0') parts.pop();
  return parts.join('.');
}

function readFlyway(tree: FileTree): LayoutResult {
  const migrations: Migration[] = [];
  const problems: LayoutProblem[] = [];
  const entries = listEntries(tree);
  const confs = new Map(entries.filter((e) => e.name.endsWith('.sql.conf')).map((e) => [e.file.path, e.file.content]));
  const named: Named[] = [];
  // Flyway scans its locations recursively, so subfolders hold migrations too.
  for (const entry of entries) {
    const m = FILE.exec(entry.name);
    if (m) named.push({ entry, kind: m[1] as 'V' | 'U', version: m[2]! });
    else if (LOOKS_VERSIONED.test(entry.name)) {
      problems.push({ kind: 'unparsable', path: entry.file.path, line: 1, detail: 'Flyway cannot read a version from this file name' });
    }
  }
  for (const files of groupBy(named, (n) => versionKey(n.version)).values()) {
    const forwards = files.filter((n) => n.kind === 'V');
    const undos = files.filter((n) => n.kind === 'U');
    if (forwards.length === 0) {
      for (const undo of undos) problems.push({ kind: 'orphan-reverse', version: undo.version, path: undo.entry.file.path });
      continue;
    }
    if (undos.length > 1) problems.push({ kind: 'duplicate-version', version: undos[0]!.version, paths: undos.map((u) => u.entry.file.path) });
    for (const forward of forwards) migrations.push(toMigration(forward, undos[0], confs, problems));
  }
  sortMigrations(migrations, compareFlywayVersions);
  problems.push(...findDuplicateVersions(migrations, compareFlywayVersions));
  return { migrations, problems: sortProblems(problems, compareFlywayVersions) };
}

function toMigration(forward: Named, undo: Named | undefined, confs: ReadonlyMap<string, string>, problems: LayoutProblem[]): Migration {
  const found = undo ? { script: script(undo, confs), label: undo.entry.name } : null;
  // Undo is optional (and a paid feature) in Flyway, but Drillbot's job is to demand a reverse.
  const reverse = usableReverse(
    found,
    { version: forward.version, path: forward.entry.file.path, line: 1 },
    `no U${forward.version}__….sql undo script`,
    problems,
  );
  return { version: forward.version, name: forward.entry.name.replace(/\.sql$/, ''), forward: script(forward, confs), reverse };
}

/**
 * Flyway SQL migrations: `V<version>__<desc>.sql` and optional `U<version>__<desc>.sql` undo
 * scripts. Repeatable `R__` scripts are not versioned migrations and are ignored.
 */
export const flyway: Layout = {
  id: 'flyway',
  supportsReverse: true,
  // validateOnMigrate fails on "resolved migration not applied to database" unless outOfOrder=true.
  outOfOrder: { kind: 'refuses', tool: 'Flyway', allowedBy: 'outOfOrder=true' },
  detect: (tree) => listEntries(tree).some((e) => FILE.test(e.name) && e.name.startsWith('V')),
  read: readFlyway,
};
