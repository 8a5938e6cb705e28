import type { ClientBase } from 'pg';
import { readCatalog, type Catalog, type TableRow, type TriggerRow } from './seed/catalog.js';
import { planInsert, type InsertPlan } from './seed/plan.js';
import type { Variant } from './seed/values.js';
import { simpleQuery, sqlLiteral } from './prepared.js';

/** How seeding went for one table (a partitioned table is seeded, and reported, through its root). */
export interface SeededTable {
  table: string;
  /** Rows the table holds after its turn (also rows the base history or other tables' triggers put there). */
  rows: number;
  /** Why the table holds fewer rows than asked: the first error, or what was missing. */
  reason?: string;
}

export interface SeedResult {
  tables: SeededTable[];
  totalRows: number;
}

export interface SeedOptions {
  rowsPerTable: number;
  /** Rows for the tables it names (by catalog name, `schema.table` quoted), instead of rowsPerTable. */
  rowsFor?: (table: string) => number | undefined;
  /** The tables to seed (oids as decimal strings), with their FK parents (see readCatalog); every user table when absent. */
  only?: ReadonlySet<string>;
  /** Checked between tables; an aborted signal rejects with its reason. */
  signal?: AbortSignal;
  /**
   * Text values in an order unrelated to the rows', for timing (the sized pass): an index on
   * production-like text (random hashes) took 1.6-1.9x as long to build as on the row numbers'.
   */
  shuffledText?: boolean;
}

/** SQLSTATE unique_violation and exclusion_violation: retried with ON CONFLICT DO NOTHING, which skips the clashing rows. */
const CONFLICTS = new Set(['23505', '23P01']);

/**
 * Fills every user table with `rowsPerTable` synthetic rows, parents before children. Runs as
 * the connection's role, whichever it is: nothing here needs a superuser, and
 * session_replication_role is left alone. Each table is seeded in its own transaction and each
 * attempt under a savepoint, so a failure is reported for that table only.
 * The client must not be inside a transaction.
 */
export async function seedDatabase(client: ClientBase, opts: SeedOptions): Promise<SeedResult> {
  const rows = opts.rowsPerTable;
  if (!Number.isSafeInteger(rows) || rows < 0) throw new RangeError(`rowsPerTable must be a non-negative integer, got ${rows}`);
  const catalog = await readCatalog(client, opts.only);
  const tables: SeededTable[] = [];
  const held = new Map<string, number>();
  // A table's transaction is committed in the next table's first round trip (see beginCounting).
  let open = false;
  for (const table of orderByDependencies(catalog)) {
    // Past the deadline the drill ends and its database goes: an open transaction is left to that.
    opts.signal?.throwIfAborted();
    const seeded = await seedTable(client, { catalog, table, rows: opts.rowsFor?.(table.name) ?? rows, held, shuffledText: opts.shuffledText }, open);
    open ||= !table.no_partitions;
    held.set(table.oid, seeded.rows);
    tables.push(seeded);
  }
  if (open) await client.query('COMMIT');
  return { tables, totalRows: tables.reduce((sum, t) => sum + t.rows, 0) };
}

interface TableJob {
  readonly catalog: Catalog;
  readonly table: TableRow;
  readonly rows: number;
  readonly held: ReadonlyMap<string, number>;
  readonly shuffledText?: boolean;
}

interface Attempt {
  readonly variant: Variant;
  readonly disableTriggers: boolean;
  readonly onConflictDoNothing: boolean;
}

/**
 * Seeds one table in a transaction of its own, which it leaves open: the caller commits it (which
 * also releases the savepoint of the insert it kept, see tryInsert), with the next table's first
 * round trip or at the end. `commitFirst`: the previous table's transaction is still open. On a
 * failure (the previous COMMIT's included) nothing is left open.
 */
async function seedTable(client: ClientBase, job: TableJob, commitFirst: boolean): Promise<SeededTable> {
  if (job.table.no_partitions) return { table: job.table.name, rows: 0, reason: 'partitioned table has no partition, so no row has a place' };
  try {
    return await fillTable(client, job, await beginCounting(client, job.table.name, job.rows, commitFirst));
  } catch (e) {
    await client.query('ROLLBACK');
    throw e;
  }
}

/**
 * Tops the table up to the asked rows (a trigger of a parent may have filled it already), trying
 * attempts until one inserts them all; otherwise the attempt that inserted most is kept. An insert
 * kept ends the table's turn: tryInsert leaves its savepoint open for the COMMIT to release.
 */
async function fillTable(client: ClientBase, job: TableJob, existing: number): Promise<SeededTable> {
  const wanted = job.rows - existing;
  if (wanted <= 0) return { table: job.table.name, rows: existing };
  let reason: string | undefined;
  let best: { attempt: Attempt; rows: number } | undefined;
  for (const attempt of attempts(job)) {
    const outcome = await tryAttempt(client, job, attempt, wanted, false);
    if ('error' in outcome) {
      reason ??= outcome.error;
      continue;
    }
    if (outcome.rows === wanted) return { table: job.table.name, rows: existing + wanted };
    reason ??= outcome.shortBecause;
    if (outcome.rows > (best?.rows ?? 0)) best = { attempt, rows: outcome.rows };
  }
  const rows = best ? await keep(client, job, best.attempt, wanted) : 0;
  return { table: job.table.name, rows: existing + rows, reason: reason ?? 'no insert was attempted' };
}

/**
 * Row styles 0, 1, 2 (see Variant); then, for a table with triggers, the same with its triggers
 * disabled: a user trigger that rejects synthetic rows (or needs state the shadow database lacks)
 * would otherwise leave the table empty. Disabling needs the table's owner; for another role the
 * ALTER fails and the attempt with it.
 */
function attempts(job: TableJob): Attempt[] {
  const variants: Variant[] = [0, 1, 2];
  const plain = variants.map((variant) => ({ variant, disableTriggers: false, onConflictDoNothing: false }));
  if ((job.catalog.triggers.get(job.table.oid) ?? []).length === 0) return plain;
  return [...plain, ...plain.map((a) => ({ ...a, disableTriggers: true }))];
}

type AttemptOutcome = { rows: number; shortBecause: string } | { error: string };

/**
 * Runs one attempt and rolls it back unless it inserted every wanted row (or `keepAny`); a unique
 * violation is retried at once with ON CONFLICT DO NOTHING, keeping the error as the reason.
 */
async function tryAttempt(client: ClientBase, job: TableJob, attempt: Attempt, wanted: number, keepAny: boolean): Promise<AttemptOutcome> {
  const plan = planInsert({ ...job, ...attempt, rows: wanted });
  if ('error' in plan) return plan;
  const triggers = attempt.disableTriggers ? (job.catalog.triggers.get(job.table.oid) ?? []) : [];
  const inserted = await tryInsert(client, plan, triggers, (rows) => keepAny || rows === wanted);
  if ('error' in inserted) {
    if (!CONFLICTS.has(inserted.code ?? '') || attempt.onConflictDoNothing) return inserted;
    const retried = await tryAttempt(client, job, { ...attempt, onConflictDoNothing: true }, wanted, keepAny);
    return 'error' in retried ? retried : { ...retried, shortBecause: inserted.error };
  }
  return { rows: inserted.rows, shortBecause: shortfall(plan, inserted.rows) };
}

async function keep(client: ClientBase, job: TableJob, attempt: Attempt, wanted: number): Promise<number> {
  const outcome = await tryAttempt(client, job, attempt, wanted, true);
  return 'error' in outcome ? 0 : outcome.rows;
}

function shortfall(plan: InsertPlan, rows: number): string {
  const checks = plan.filteredBy.join(', ');
  if (rows === 0) return checks ? `CHECK ${checks} rejects every generated row` : 'no row was inserted';
  return checks ? `only ${rows} generated rows satisfy CHECK ${checks}` : `only ${rows} rows were inserted`;
}

/**
 * Opens the table's transaction and counts the rows already in the table up to `limit`, in one
 * round trip, after committing the previous table's transaction when `commitFirst`.
 */
async function beginCounting(client: ClientBase, table: string, limit: number, commitFirst: boolean): Promise<number> {
  const statements = [...(commitFirst ? ['COMMIT'] : []), 'BEGIN', `SELECT count(*) AS n FROM (SELECT FROM ${table} LIMIT ${sqlLiteral(limit)}) AS t`];
  return Number((await simpleQuery<{ n: string }>(client, statements)).at(-1)!.rows[0].n);
}

/**
 * Runs one insert under a savepoint, kept when `keep(rows)` says so. Triggers are disabled and
 * re-enabled inside it, so the exact previous state comes back on success (the ALTERs below) and
 * on failure (the rollback). ONLY keeps each ALTER to the named table; the list runs from the
 * root down, so a partition's own setting is applied last. The savepoint, the ALTERs and the
 * insert (its values are literals) go in one simple-protocol string, whose failure skips the rest
 * of it. An insert kept ends its table's turn (see fillTable), so its savepoint is left to the
 * table's COMMIT: without triggers to enable again, that is one round trip less.
 */
async function tryInsert(
  client: ClientBase,
  plan: InsertPlan,
  triggers: TriggerRow[],
  keep: (rows: number) => boolean,
): Promise<{ rows: number } | { error: string; code?: string }> {
  try {
    const disable = triggers.map((t) => `ALTER TABLE ONLY ${t.table} DISABLE TRIGGER ${t.name}`);
    const res = (await simpleQuery(client, ['SAVEPOINT drillbot_seed', ...disable, plan.sql])).at(-1)!;
    const rows = plan.rows ?? res.rowCount ?? 0;
    const enable = triggers.map((t) => `ALTER TABLE ONLY ${t.table} ${t.enabled === 'A' ? 'ENABLE ALWAYS' : 'ENABLE'} TRIGGER ${t.name}`);
    const end = keep(rows) ? [] : ['ROLLBACK TO SAVEPOINT drillbot_seed'];
    if (enable.length + end.length > 0) await simpleQuery(client, [...enable, ...end]);
    return { rows };
  } catch (e) {
    await client.query('ROLLBACK TO SAVEPOINT drillbot_seed; RELEASE SAVEPOINT drillbot_seed');
    return { error: e instanceof Error ? e.message : String(e), code: (e as { code?: string }).code };
  }
}

/**
 * Parents before children (Kahn's algorithm, ties by name, so the order is deterministic). In a
 * cycle of foreign keys the first table whose references into the cycle are all nullable goes
 * first (those come out NULL); failing that, the alphabetically first.
 */
function orderByDependencies(catalog: Catalog): TableRow[] {
  const byOid = new Map(catalog.tables.map((t) => [t.oid, t]));
  const parents = new Map<string, Map<string, boolean>>();
  for (const t of catalog.tables) {
    const notNull = new Map((catalog.columns.get(t.oid) ?? []).map((c) => [c.name, c.not_null]));
    const refs = new Map<string, boolean>();
    for (const c of catalog.constraints.get(t.oid) ?? []) {
      if (c.kind !== 'f' || c.ref_root === null || c.ref_root === t.oid || !byOid.has(c.ref_root)) continue;
      const required = (c.columns ?? []).every((col) => notNull.get(col));
      refs.set(c.ref_root, (refs.get(c.ref_root) ?? false) || required);
    }
    parents.set(t.oid, refs);
  }
  const done = new Set<string>();
  const waitsFor = (t: TableRow, requiredOnly: boolean) => [...(parents.get(t.oid) ?? [])].some(([p, required]) => !done.has(p) && (required || !requiredOnly));
  const ordered: TableRow[] = [];
  const remaining = [...catalog.tables];
  while (remaining.length > 0) {
    const ready = remaining.find((t) => !waitsFor(t, false)) ?? remaining.find((t) => !waitsFor(t, true)) ?? remaining[0];
    remaining.splice(remaining.indexOf(ready), 1);
    done.add(ready.oid);
    ordered.push(ready);
  }
  return ordered;
}
