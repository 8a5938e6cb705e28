import type { Hazard, Severity } from '../hazards.js';
import type { Finding, LockMode, LockObservation, StatementResult } from '../report/report.js';
import { finding } from '../report/findings.js';
import { safeAlternative } from './advice.js';
import type { StatementRun } from './execute.js';
import type { HeldLock, TableState } from './relation-state.js';

/** Lock modes in increasing strength; ShareLock and above block writes, AccessExclusiveLock blocks reads. */
const LOCK_RANK: Record<LockMode, number> = {
  AccessShareLock: 1,
  RowShareLock: 2,
  RowExclusiveLock: 3,
  ShareUpdateExclusiveLock: 4,
  ShareLock: 5,
  ShareRowExclusiveLock: 6,
  ExclusiveLock: 7,
  AccessExclusiveLock: 8,
};
const BLOCKS_WRITES = LOCK_RANK.ShareLock;

/** The relations that existed before the change: only their locks and rewrites can hurt production. */
export interface Baseline {
  /** Existing tables by oid. */
  readonly tables: ReadonlyMap<number, TableState>;
  /** Seeded rows per existing table oid. */
  readonly rows: ReadonlyMap<number, number>;
  /** Why an existing table holds no rows although rows were asked (by oid); its row checks saw nothing. */
  readonly unseeded?: ReadonlyMap<number, string>;
}

/** Turns one statement's run into its report entry and the hazards it showed. */
export function judgeStatement(
  run: StatementRun,
  path: string,
  baseline: Baseline,
  heldBefore: LockObservation[],
): { result: StatementResult; findings: Finding[]; held: LockObservation[] } {
  const locks = strongestLocks(run.locks, baseline);
  // A statement outside a transaction block starts with nothing held and holds nothing afterwards.
  const inTransaction = run.lockView === 'in-transaction';
  const carried = inTransaction ? heldBefore : [];
  const newLocks = locks.filter((l) => !carried.some((h) => h.relation === l.relation && rank(h.mode) >= rank(l.mode)));
  const changes = tableChanges(run, baseline);
  const result: StatementResult = {
    line: run.statement.line,
    endLine: run.statement.endLine,
    status: run.status,
    durationMs: round(run.durationMs),
    locks: newLocks,
    ...(inTransaction ? {} : { lockView: run.lockView }),
    ...(run.waited ? { waited: run.waited } : {}),
    rewrites: changes.filter((c) => c.rewritten).map((c) => c.name),
    scannedRows: Object.fromEntries(changes.filter((c) => c.scanned).map((c) => [c.name, c.rowsRead])),
    ...(run.error
      ? { error: { code: run.error.code, message: run.error.message, line: run.error.line, ...(run.error.detail ? { detail: run.error.detail } : {}) } }
      : {}),
  };
  const findings = run.status === 'applied' ? hazardsOf(run, path, changes, locks) : [];
  return { result, findings, held: inTransaction ? locks : [] };
}

interface TableChange {
  readonly oid: number;
  readonly name: string;
  readonly dropped: boolean;
  readonly rewritten: boolean;
  readonly truncated: boolean;
  readonly indexesRebuilt: string[];
  readonly indexesBuilt: string[];
  readonly indexesDropped: string[];
  readonly columnsDropped: string[];
  readonly scanned: boolean;
  readonly rowsRead: number;
  readonly rowsDeleted: number;
  readonly seededRows: number;
  readonly unseededBecause?: string;
}

function tableChanges(run: StatementRun, baseline: Baseline): TableChange[] {
  const truncate = run.statement.kind === 'TruncateStmt';
  return [...baseline.tables.keys()].flatMap((oid) => {
    const before = run.before.get(oid);
    if (!before) return [];
    const after = run.after.get(oid);
    const indexAfter = new Map((after?.indexes ?? []).map((i) => [i.oid, i]));
    const indexBefore = new Set(before.indexes.map((i) => i.oid));
    const relfilenodeChanged = !!after && after.relfilenode !== before.relfilenode;
    const built = (after?.indexes ?? []).filter((i) => !indexBefore.has(i.oid)).map((i) => i.name);
    const gone = after ? before.indexes.filter((i) => !indexAfter.has(i.oid)).map((i) => i.name) : [];
    // ALTER COLUMN … TYPE rebuilds an index as a new relation under the same name: a rebuild, not a drop and a build.
    const recreated = gone.filter((name) => built.includes(name));
    return [
      {
        oid,
        name: before.name,
        dropped: !after,
        rewritten: relfilenodeChanged && !truncate,
        truncated: relfilenodeChanged && truncate,
        indexesRebuilt: [
          ...before.indexes.filter((i) => indexAfter.has(i.oid) && indexAfter.get(i.oid)!.relfilenode !== i.relfilenode).map((i) => i.name),
          ...recreated,
        ],
        indexesBuilt: built.filter((name) => !recreated.includes(name)),
        indexesDropped: gone.filter((name) => !recreated.includes(name)),
        columnsDropped: after ? before.columns.filter((c) => !after.columns.some((a) => a.attnum === c.attnum)).map((c) => c.name) : [],
        scanned: !!after && (after.seqScan > before.seqScan || after.seqTupRead > before.seqTupRead),
        rowsRead: after ? after.seqTupRead - before.seqTupRead : 0,
        rowsDeleted: after ? after.nTupDel - before.nTupDel : 0,
        seededRows: baseline.rows.get(oid) ?? 0,
        unseededBecause: baseline.unseeded?.get(oid),
      },
    ];
  });
}

function hazardsOf(run: StatementRun, path: string, changes: TableChange[], locks: LockObservation[]): Finding[] {
  const lockOn = (name: string) => locks.find((l) => l.relation === name)?.mode;
  const blocksWrites = (name: string) => rank(lockOn(name)) >= BLOCKS_WRITES;
  const found: Array<{ hazard: Hazard; message: string; evidence: string; table: string; severity?: Severity }> = [];
  let current = '';
  let unseeded = '';
  const add = (hazard: Hazard, message: string, evidence: string) => found.push({ hazard, message, evidence: evidence + unseeded, table: current });

  const filtered = run.statement.kind === 'DeleteStmt' && !!run.statement.node.whereClause;
  for (const c of changes) {
    current = c.name;
    // Rows deleted, read or lost cannot show on a table the seeder could not fill: say so.
    unseeded = c.unseededBecause ? ` (${c.name} holds no seeded rows, so its rows were not checked: ${c.unseededBecause})` : '';
    const lock = lockOn(c.name) ?? 'no lock observed';
    if (c.dropped)
      add(
        'data-loss',
        `Drops existing table ${c.name} and its ${c.seededRows} seeded rows: the data is gone for good and code still using it fails.`,
        `table ${c.name} no longer exists`,
      );
    if (c.truncated)
      add('data-loss', `Empties existing table ${c.name}: all ${c.seededRows} seeded rows are destroyed.`, `relfilenode of ${c.name} replaced by TRUNCATE`);
    if (c.columnsDropped.length > 0) {
      add(
        'data-loss',
        `Drops ${noun(c.columnsDropped, 'column', 'columns')} ${c.columnsDropped.map((col) => `${c.name}.${col}`).join(', ')}: the values are destroyed and running code that still reads ${c.columnsDropped.length > 1 ? 'them' : 'it'} fails.`,
        `${c.columnsDropped.length} column(s) of ${c.name} gone`,
      );
    }
    if (c.seededRows > 0 && c.rowsDeleted * 2 >= c.seededRows) {
      if (filtered) {
        // Which rows a WHERE matches depends on the values, and the seeded ones are Drillbot's (pocket-id deletes orphaned sessions).
        found.push({
          hazard: 'data-loss',
          severity: 'warning',
          message: `Deletes ${c.rowsDeleted} of the ${c.seededRows} seeded rows of ${c.name}: its WHERE clause matched most of Drillbot's synthetic rows. Count the rows it matches in production before merging (SELECT count(*) FROM ${c.name} WHERE …).`,
          evidence: `n_tup_del +${c.rowsDeleted} on ${c.name}${unseeded}`,
          table: c.name,
        });
      } else
        add(
          'data-loss',
          `Deletes ${c.rowsDeleted} of the ${c.seededRows} seeded rows of ${c.name}: a DELETE this broad destroys production data.`,
          `n_tup_del +${c.rowsDeleted} on ${c.name}`,
        );
    }
    if (c.rewritten) {
      // The rewrite rebuilds every index of the table: that is part of the same wait.
      const indexes = c.indexesRebuilt.length > 0 ? ` and rebuilds its ${noun(c.indexesRebuilt, 'index', 'indexes')} ${c.indexesRebuilt.join(', ')}` : '';
      add(
        'rewrite',
        `Rewrites existing table ${c.name}${indexes} under ${lock}: reads and writes wait for the whole rewrite, which grows with the table.`,
        `relfilenode of ${c.name} changed${indexes ? `; ${c.indexesRebuilt.length} index(es) rebuilt` : ''}; lock ${lock}`,
      );
    } else if (c.indexesRebuilt.length > 0 && blocksWrites(c.name)) {
      add(
        'blocking-index',
        `Rebuilds ${noun(c.indexesRebuilt, 'index', 'indexes')} ${c.indexesRebuilt.join(', ')} of ${c.name} under ${lock}, blocking ${lockOn(c.name) === 'AccessExclusiveLock' ? 'all access' : 'writes'} until done.`,
        `index relfilenode changed; lock ${lock}`,
      );
    }
    if (c.indexesBuilt.length > 0 && blocksWrites(c.name) && !c.rewritten) {
      add(
        'blocking-index',
        `Builds ${noun(c.indexesBuilt, 'index', 'indexes')} ${c.indexesBuilt.join(', ')} on existing table ${c.name} under ${lock}: writes to ${c.name} wait for the whole build.`,
        `new index on ${c.name}; lock ${lock}`,
      );
    }
    if (c.indexesDropped.length > 0 && blocksWrites(c.name)) {
      add(
        'blocking-index',
        `Drops ${noun(c.indexesDropped, 'index', 'indexes')} ${c.indexesDropped.join(', ')} of ${c.name} under ${lock}, which queues behind running queries and blocks everything behind it.`,
        `index gone; lock ${lock}`,
      );
    }
    const scanWithoutRebuild = c.scanned && !c.rewritten && c.indexesBuilt.length === 0 && c.indexesRebuilt.length === 0;
    if (scanWithoutRebuild && blocksWrites(c.name)) {
      add(
        'blocking-scan',
        `Scans existing table ${c.name} (${c.rowsRead} seeded rows read) while holding ${lock}: ${lockOn(c.name) === 'AccessExclusiveLock' ? 'reads and writes' : 'writes'} wait for the scan, which grows with the table.`,
        `seq scan of ${c.name}: ${c.rowsRead} rows; lock ${lock}`,
      );
    }
  }
  return mergeByHazard(found).map(({ hazard, message, evidence, table, severity }) =>
    finding({
      table,
      hazard,
      severity,
      source: 'drill',
      path,
      line: run.statement.line,
      endLine: run.statement.endLine,
      message,
      evidence,
      fix: safeAlternative(run.statement, hazard),
    }),
  );
}

/** One finding per hazard and statement: several tables (an FK scans two) share one message. */
function mergeByHazard<T extends { hazard: Hazard; message: string; evidence: string; table: string; severity?: Severity }>(items: T[]): T[] {
  const merged = new Map<Hazard, T>();
  for (const item of items) {
    const seen = merged.get(item.hazard);
    // A table the statement hurts for certain keeps the finding at its hazard's severity.
    const severity = seen && (seen.severity === undefined || item.severity === undefined) ? undefined : item.severity;
    merged.set(item.hazard, seen ? { ...seen, message: `${seen.message} ${item.message}`, evidence: `${seen.evidence}; ${item.evidence}`, severity } : item);
  }
  return [...merged.values()];
}

/** Per baseline: the names of its tables and indexes by oid, built once per drill rather than once per statement. */
const existingNames = new WeakMap<Baseline, ReadonlyMap<number, string>>();

function existingRelations(baseline: Baseline): ReadonlyMap<number, string> {
  let names = existingNames.get(baseline);
  if (!names) {
    names = new Map([...baseline.tables.values()].flatMap((t) => [[t.oid, t.name] as const, ...t.indexes.map((i) => [i.oid, i.name] as const)]));
    existingNames.set(baseline, names);
  }
  return names;
}

/**
 * The strongest lock per relation. Relations are matched by oid: a lock on a relation that no
 * longer has a name (a rewrite's transient heap, or a table dropped in this transaction) is named
 * from the baseline when it was an existing one and left out otherwise.
 */
function strongestLocks(held: HeldLock[], baseline: Baseline): LockObservation[] {
  const existing = existingRelations(baseline);
  const strongest = new Map<string, LockObservation>();
  for (const lock of held) {
    const name = existing.get(lock.oid) ?? (/^\d+$/.test(lock.relation) ? null : lock.relation);
    if (name === null) continue;
    const mode = lock.mode as LockMode;
    const seen = strongest.get(name);
    if (!seen || rank(seen.mode) < rank(mode)) strongest.set(name, { relation: name, mode, existing: existing.has(lock.oid) });
  }
  return [...strongest.values()].sort((a, b) => a.relation.localeCompare(b.relation));
}

export function rank(mode: string | undefined): number {
  return mode ? (LOCK_RANK[mode as LockMode] ?? 0) : 0;
}

function noun(items: unknown[], one: string, many: string): string {
  return items.length > 1 ? many : one;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
