import type { ClientBase } from 'pg';
import { opaqueUserFunction, userRelation } from '../user-relations.js';
import { batchedQuery, genericPlanQuery, type Argument, type Around } from './prepared.js';

/** An index of a table, as seen by the probe. */
export interface IndexState {
  readonly oid: number;
  /** Schema-qualified, quoted where needed (quote_ident). */
  readonly name: string;
  /** Changes when the index is rebuilt (REINDEX, a table rewrite). */
  readonly relfilenode: number;
}

/**
 * One user table (or materialized view) at one moment of the migration's transaction.
 *
 * The counters come from pg_stat_xact_user_tables: they count what this backend did in its
 * current transaction, including work later undone by ROLLBACK TO SAVEPOINT (the statistics are
 * not transactional). So they never mean anything on their own; callers compare a capture taken
 * before a statement with one taken after it and use the difference.
 */
export interface TableState {
  readonly oid: number;
  readonly name: string;
  /** pg_class.relkind: 'r' table, 'p' partitioned table (no storage, relfilenode 0), 'm' materialized view. */
  readonly relkind: string;
  /** Changes when the table is rewritten or truncated. */
  readonly relfilenode: number;
  readonly indexes: IndexState[];
  /** Columns in attnum order; attnum identifies a column across a RENAME, a name does not. */
  readonly columns: ColumnState[];
  readonly seqScan: number;
  readonly seqTupRead: number;
  readonly nTupIns: number;
  readonly nTupUpd: number;
  readonly nTupDel: number;
}

/** A live column of a table. */
export interface ColumnState {
  readonly attnum: number;
  /** quote_ident of the column name. */
  readonly name: string;
}

/** User tables by oid. */
export type RelationState = ReadonlyMap<number, TableState>;

/** A relation-level lock that this backend holds. */
export interface HeldLock {
  /** Schema-qualified name, or the oid as text when the relation was dropped in this transaction. */
  readonly relation: string;
  readonly oid: number;
  /** pg_locks mode, e.g. AccessExclusiveLock. */
  readonly mode: string;
}

// Oids below FirstNormalObjectId (16384) belong to objects made by initdb: the catalogs, whose
// locks every query takes (this one included) and which tell nothing about the migration.
// Another backend's lock it still waits for counts too: it holds that lock as soon as it gets it.
const heldLocksSql = (pid: string) => `
SELECT coalesce(quote_ident(n.nspname) || '.' || quote_ident(c.relname), l.relation::text) AS relation,
  l.relation::int8 AS oid, l.mode
FROM pg_locks l
LEFT JOIN pg_class c ON c.oid = l.relation
LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE l.locktype = 'relation' AND l.pid = coalesce(${pid}, pg_backend_pid()) AND (l.granted OR ${pid} IS NOT NULL)
  AND l.relation >= 16384 AND coalesce(n.nspname NOT LIKE 'pg\\_toast%', true)
ORDER BY 1, 3`;
const HELD_LOCKS_SQL = heldLocksSql('$1::int');

// The state of user tables; the caller appends the condition on c.oid that picks them. The counters
// are pg_stat_xact_user_tables' own functions, called per table: the view aggregates over every
// relation of the database whichever few are asked for.
const TABLE_STATE_SQL = `
SELECT c.oid::int8 AS oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name, c.relkind,
  c.relfilenode::int8 AS relfilenode,
  pg_stat_get_xact_numscans(c.oid) AS seq_scan, pg_stat_get_xact_tuples_returned(c.oid) AS seq_tup_read,
  pg_stat_get_xact_tuples_inserted(c.oid) AS n_tup_ins, pg_stat_get_xact_tuples_updated(c.oid) AS n_tup_upd,
  pg_stat_get_xact_tuples_deleted(c.oid) AS n_tup_del,
  coalesce((SELECT json_agg(json_build_object('oid', ic.oid::int8, 'name', quote_ident(n.nspname) || '.' || quote_ident(ic.relname),
                                              'relfilenode', ic.relfilenode::int8) ORDER BY ic.oid)
            FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid), '[]') AS indexes,
  coalesce((SELECT json_agg(json_build_object('attnum', a.attnum, 'name', quote_ident(a.attname)) ORDER BY a.attnum)
            FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]') AS columns
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'm')
  AND ${userRelation()}`;

/** Every table, or those whose oids are in $1 (an empty array: none). */
const RELATION_STATE_SQL = `${TABLE_STATE_SQL} AND ($1::oid[] IS NULL OR c.oid = ANY($1::oid[]))`;

/**
 * What a statement can change, from the relation names it holds (`names`, quoted; see
 * statementScope in reach.ts): the relations named (an index stands for its table), their
 * partitions and partition parents, their FK children transitively (a cascade or a TRUNCATE …
 * CASCADE reaches them) and their FK parents (a validation scans them). Every table when `names`
 * is NULL, when the statement calls a function of the database's own that may reach any table
 * (`functions`, see opaqueUserFunction), or when it writes rows (`writesRows`) where triggers,
 * rules or a view carry the write further. CTEs to follow WITH RECURSIVE; the arguments are the parameters' placeholders.
 * Runs before every statement, inside the migration's transaction: it must never fail, and its
 * plan stays far below jit_above_cost.
 */
const scopeCtes = (names: string, functions: string, writesRows: string): string => `
named(oid) AS (
  SELECT coalesce(i.indrelid, c.oid)
  FROM unnest(${names}::text[]) AS t(name)
  JOIN pg_class c ON c.oid = to_regclass(t.name)
  LEFT JOIN pg_index i ON i.indexrelid = c.oid
),
family(oid, dir) AS (
  SELECT oid, 0 FROM named
  UNION
  SELECT x.oid, x.dir FROM family f, LATERAL (
    SELECT inhrelid, -1 FROM pg_inherits WHERE inhparent = f.oid AND f.dir <= 0
    UNION ALL SELECT inhparent, 1 FROM pg_inherits WHERE inhrelid = f.oid AND f.dir >= 0
  ) AS x(oid, dir)
),
children(oid) AS (
  SELECT oid FROM family
  UNION
  SELECT co.conrelid FROM children ch JOIN pg_constraint co ON co.contype = 'f' AND co.confrelid = ch.oid
),
scope(oid) AS (
  SELECT oid FROM children
  UNION SELECT co.confrelid FROM pg_constraint co WHERE co.contype = 'f' AND co.conrelid IN (SELECT oid FROM family)
),
everything(yes) AS (
  SELECT ${names}::text[] IS NULL
    OR ${opaqueUserFunction(functions)}
    OR (${writesRows}::bool AND (EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid IN (SELECT oid FROM scope) AND NOT t.tgisinternal)
                   OR EXISTS (SELECT 1 FROM pg_rewrite r WHERE r.ev_class IN (SELECT oid FROM family) AND r.rulename <> '_RETURN')
                   OR EXISTS (SELECT 1 FROM pg_class c WHERE c.oid IN (SELECT oid FROM named) AND c.relkind IN ('v', 'f'))))
)`;

/** Whether the table `oid` is in scopeCtes' scope. */
const inScope = (oid: string): string => `((SELECT yes FROM everything) OR ${oid} IN (SELECT oid FROM scope))`;

const SCOPED_STATE_SQL = `WITH RECURSIVE ${scopeCtes('$1', '$2', '$3')}
${TABLE_STATE_SQL} AND ${inScope('c.oid')}`;

interface RelationRow {
  oid: string | number;
  name: string;
  relkind: string;
  relfilenode: string | number;
  seq_scan: string | number;
  seq_tup_read: string | number;
  n_tup_ins: string | number;
  n_tup_upd: string | number;
  n_tup_del: string | number;
  indexes: { oid: number; name: string; relfilenode: number }[];
  columns: ColumnState[];
}

/** Captures the state of user tables (all of them, or the given oids) and their indexes. */
export async function captureRelationState(client: ClientBase, tableOids?: number[]): Promise<RelationState> {
  return stateOf((await client.query<RelationRow>(RELATION_STATE_SQL, [tableOids ?? null])).rows);
}

/** What a statement's observation covers: the relations it names (quoted) and the functions it calls; see SCOPED_STATE_SQL. */
export interface RelationScope {
  readonly names: readonly string[];
  readonly functions: readonly string[];
  /** It writes rows (INSERT, UPDATE, DELETE, TRUNCATE): triggers and rules run. */
  readonly writesRows: boolean;
}

/**
 * The state of the tables a statement can change (every table without a scope), in one round trip
 * shared with `around` (the BEGIN of the statement's transaction).
 */
export async function captureScope(client: ClientBase, scope: RelationScope | undefined, around?: Around): Promise<RelationState> {
  const query = { name: 'scoped_state', text: SCOPED_STATE_SQL, values: scopeParameters(scope) };
  return stateOf((await genericPlanQuery<RelationRow>(client, query, around)).rows);
}

const scopeParameters = (scope: RelationScope | undefined): Argument[] => (scope ? [scope.names, scope.functions, scope.writesRows] : [null, [], false]);

// Locks first: the state's catalog reads add nothing stronger than AccessShareLock, and on catalogs.
const LOCKS_AND_STATE_SQL = `
WITH held AS (${heldLocksSql('NULL::int')}), state AS (${TABLE_STATE_SQL} AND c.oid = ANY($1::oid[]))
SELECT coalesce((SELECT json_agg(held) FROM held), '[]') AS locks, coalesce((SELECT json_agg(state) FROM state), '[]') AS tables`;

/**
 * LOCKS_AND_STATE_SQL, and the state of the tables in the next statement's scope ($2-$4, as in
 * SCOPED_STATE_SQL). Both are read from one state of the tables in either: consecutive statements
 * mostly name the same tables, whose state would otherwise be read twice.
 */
const LOCKS_STATE_AND_NEXT_SQL = `
WITH RECURSIVE ${scopeCtes('$2', '$3', '$4')},
held AS (${heldLocksSql('NULL::int')}),
either AS MATERIALIZED (${TABLE_STATE_SQL} AND (c.oid = ANY($1::oid[]) OR ${inScope('c.oid')}))
SELECT coalesce((SELECT json_agg(held) FROM held), '[]') AS locks,
  coalesce((SELECT json_agg(either) FROM either WHERE either.oid::oid = ANY($1::oid[])), '[]') AS tables,
  coalesce((SELECT json_agg(either) FROM either WHERE ${inScope('either.oid::oid')}), '[]') AS next`;

/** What captureLocksAndState sees after a statement. */
export interface AfterStatement {
  /** The relation locks this backend holds. */
  readonly locks: HeldLock[];
  /** The state of the tables asked for, by oid. */
  readonly state: RelationState;
  /** With a next scope: the state of the tables the next statement can change (what captureScope would return). */
  readonly next?: RelationState;
}

/**
 * After a statement, in one round trip (shared with `around`: the COMMIT of the statement's
 * transaction): the relation locks this backend holds, and the state of the tables with these oids.
 * When the next statement runs right after in the same transaction (nothing in between), the state
 * before it is this moment's: given `next`, its scope is captured in the same round trip (one
 * observation between two statements, not two).
 */
export async function captureLocksAndState(
  client: ClientBase,
  tableOids: readonly number[],
  next?: { readonly scope: RelationScope | undefined },
  around?: Around,
): Promise<AfterStatement> {
  const res = next
    ? await genericPlanQuery<AfterRow>(
        client,
        { name: 'locks_state_and_next', text: LOCKS_STATE_AND_NEXT_SQL, values: [tableOids, ...scopeParameters(next.scope)] },
        around,
      )
    : await batchedQuery<AfterRow>(client, { name: 'locks_and_state', text: LOCKS_AND_STATE_SQL, values: [tableOids] }, around);
  const { locks, tables, next: nextTables } = res.rows[0];
  return {
    locks: locks.map((l) => ({ relation: l.relation, oid: Number(l.oid), mode: l.mode })),
    state: stateOf(tables),
    ...(nextTables ? { next: stateOf(nextTables) } : {}),
  };
}

interface AfterRow {
  locks: HeldLock[];
  tables: RelationRow[];
  next?: RelationRow[];
}

function stateOf(rows: RelationRow[]): RelationState {
  return new Map(
    rows.map((r) => [
      Number(r.oid),
      {
        oid: Number(r.oid),
        name: r.name,
        relkind: r.relkind,
        relfilenode: Number(r.relfilenode),
        indexes: r.indexes.map((i) => ({ oid: Number(i.oid), name: i.name, relfilenode: Number(i.relfilenode) })),
        columns: r.columns,
        seqScan: Number(r.seq_scan),
        seqTupRead: Number(r.seq_tup_read),
        nTupIns: Number(r.n_tup_ins),
        nTupUpd: Number(r.n_tup_upd),
        nTupDel: Number(r.n_tup_del),
      },
    ]),
  );
}

/**
 * Relation-level locks on user relations (tables, indexes, sequences, views) granted to this
 * backend or, given a pid, held or awaited by that backend (watched from a second session).
 */
export async function heldLocks(client: ClientBase, pid?: number): Promise<HeldLock[]> {
  const res = await client.query<{ relation: string; oid: string; mode: string }>(HELD_LOCKS_SQL, [pid ?? null]);
  return res.rows.map((r) => ({ relation: r.relation, oid: Number(r.oid), mode: r.mode }));
}

/** What a second session sees of a backend: the relation locks it holds or awaits, and what it waits for. */
export interface BackendLook {
  readonly locks: HeldLock[];
  /** pg_stat_activity.wait_event while `blocker` is among the sessions it waits for, else null. */
  readonly waitEvent: string | null;
  /** How many sessions it waits for (pg_blocking_pids). */
  readonly blockers: number;
}

// One round trip: this is polled while a statement runs.
const LOOK_SQL = `
WITH held AS (${HELD_LOCKS_SQL})
SELECT coalesce((SELECT json_agg(held) FROM held), '[]') AS locks, a.wait_event, cardinality(pg_blocking_pids($1::int)) AS blockers
FROM (SELECT) AS one LEFT JOIN pg_stat_activity a ON a.pid = $1::int AND $2::int = ANY(pg_blocking_pids($1::int))`;

/** Looks at backend `pid` from this session, noting whether it waits for backend `blocker`. */
export async function lookAtBackend(client: ClientBase, pid: number, blocker: number | null): Promise<BackendLook> {
  const res = await client.query<{ locks: HeldLock[]; wait_event: string | null; blockers: number }>(LOOK_SQL, [pid, blocker]);
  const { locks, wait_event: waitEvent, blockers } = res.rows[0];
  return { locks: locks.map((l) => ({ relation: l.relation, oid: Number(l.oid), mode: l.mode })), waitEvent, blockers };
}
