import type { ClientBase } from 'pg';
import { userRelation } from '../user-relations.js';

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

// One query for every table: this runs before and after each statement of a migration.
const RELATION_STATE_SQL = `
SELECT c.oid::int8 AS oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name, c.relkind,
  c.relfilenode::int8 AS relfilenode,
  coalesce(s.seq_scan, 0) AS seq_scan, coalesce(s.seq_tup_read, 0) AS seq_tup_read,
  coalesce(s.n_tup_ins, 0) AS n_tup_ins, coalesce(s.n_tup_upd, 0) AS n_tup_upd, coalesce(s.n_tup_del, 0) AS n_tup_del,
  coalesce((SELECT json_agg(json_build_object('oid', ic.oid::int8, 'name', quote_ident(n.nspname) || '.' || quote_ident(ic.relname),
                                              'relfilenode', ic.relfilenode::int8) ORDER BY ic.oid)
            FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid), '[]') AS indexes,
  coalesce((SELECT json_agg(json_build_object('attnum', a.attnum, 'name', quote_ident(a.attname)) ORDER BY a.attnum)
            FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]') AS columns
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_stat_xact_user_tables s ON s.relid = c.oid
WHERE c.relkind IN ('r', 'p', 'm')
  AND ${userRelation()}
  AND ($1::oid[] IS NULL OR c.oid = ANY($1::oid[]))`;

interface RelationRow {
  oid: string;
  name: string;
  relkind: string;
  relfilenode: string;
  seq_scan: string;
  seq_tup_read: string;
  n_tup_ins: string;
  n_tup_upd: string;
  n_tup_del: string;
  indexes: { oid: number; name: string; relfilenode: number }[];
  columns: ColumnState[];
}

/** Captures the state of user tables (all of them, or the given oids) and their indexes. */
export async function captureRelationState(client: ClientBase, tableOids?: number[]): Promise<RelationState> {
  const res = await client.query<RelationRow>(RELATION_STATE_SQL, [tableOids ?? null]);
  return new Map(
    res.rows.map((r) => [
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

// Oids below FirstNormalObjectId (16384) belong to objects made by initdb: the catalogs, whose
// locks every query takes (this one included) and which tell nothing about the migration.
// Another backend's lock it still waits for counts too: it holds that lock as soon as it gets it.
const HELD_LOCKS_SQL = `
SELECT coalesce(quote_ident(n.nspname) || '.' || quote_ident(c.relname), l.relation::text) AS relation,
  l.relation::int8 AS oid, l.mode
FROM pg_locks l
LEFT JOIN pg_class c ON c.oid = l.relation
LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE l.locktype = 'relation' AND l.pid = coalesce($1::int, pg_backend_pid()) AND (l.granted OR $1::int IS NOT NULL)
  AND l.relation >= 16384 AND coalesce(n.nspname NOT LIKE 'pg\\_toast%', true)
ORDER BY 1, 3`;

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
