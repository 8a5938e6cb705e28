import type { ClientBase } from 'pg';
import { collectNodes } from '../sql/nodes.js';
import { parseScript, type StatementNode } from '../sql/parse.js';
import type { ExportedQuery } from '../sizes-file.js';

/**
 * A query the application runs, planned on the shadow before and after the change: from
 * pg_stat_statements (exported by `drillbot stats`, normalised: constants are `$n`, never
 * parameters or data) or from the repository's query files (`queries:`).
 */
export interface RepresentativeQuery {
  readonly sql: string;
  /** Where it comes from, for messages: `pg_stat_statements` or `path:line`. */
  readonly origin: string;
  readonly calls?: number;
  readonly meanMs?: number;
}

/** How many of the most called queries the export keeps. */
export const EXPORTED_QUERIES = 50;
/** pg_stat_statements rows read before the filter below keeps the explainable ones. */
const READ_ROWS = 500;

/** The statement kinds EXPLAIN plans (utility statements, BEGIN, SET and the like are not the application's queries). */
const EXPLAINABLE = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);
/** Queries on the catalogs are the tools' (psql, drivers, monitoring), not the application's. */
const CATALOG_SCHEMAS = new Set(['pg_catalog', 'information_schema']);

/**
 * The most called top-level queries of this database from pg_stat_statements, or why there are
 * none (the extension not installed, or not loaded through shared_preload_libraries).
 */
export async function collectTopQueries(client: ClientBase): Promise<{ queries: ExportedQuery[] } | { unavailable: string }> {
  const installed = await client.query(`SELECT extnamespace::regnamespace::text AS schema FROM pg_extension WHERE extname = 'pg_stat_statements'`);
  if (installed.rowCount === 0)
    return { unavailable: 'pg_stat_statements is not installed in this database (CREATE EXTENSION pg_stat_statements, with it in shared_preload_libraries)' };
  const schema = (installed.rows[0] as { schema: string }).schema;
  try {
    const { rows } = await client.query<{ query: string; calls: string; mean_ms: number }>(
      `SELECT query, calls, mean_exec_time AS mean_ms FROM ${schema}.pg_stat_statements
       WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND toplevel
       ORDER BY calls DESC, query LIMIT ${READ_ROWS}`,
    );
    const kept: ExportedQuery[] = [];
    for (const row of rows) {
      if (kept.length >= EXPORTED_QUERIES) break;
      if ((await applicationStatements(row.query)).length === 1)
        kept.push({ query: row.query, calls: Number(row.calls), meanMs: Math.round(row.mean_ms * 1000) / 1000 });
    }
    return { queries: kept };
  } catch (error) {
    // 55000: "pg_stat_statements must be loaded via shared_preload_libraries".
    if ((error as { code?: string }).code === '55000') return { unavailable: `pg_stat_statements is installed but not loaded (${(error as Error).message})` };
    throw error;
  }
}

/** The application's explainable statements of a query file's text, each with its file line. */
export async function applicationStatements(sql: string, startLine = 1): Promise<{ sql: string; line: number }[]> {
  const parsed = await parseScript({ sql, startLine });
  if (!parsed.ok) return [];
  return parsed.statements
    .filter((st) => EXPLAINABLE.has(st.kind) && readsUserTables(collectNodes(st.node, 'RangeVar')))
    .map((st) => ({ sql: st.text, line: st.line }));
}

/** A query on relations, none of them a catalog: one without a FROM (`SELECT pg_stat_statements_reset()`) plans the same on any schema. */
function readsUserTables(relations: readonly StatementNode[]): boolean {
  return relations.length > 0 && !relations.some((r) => CATALOG_SCHEMAS.has(r.schemaname) || /^pg_/.test(r.relname));
}

/** The exported queries as representative queries, most called first. */
export function fromExport(queries: readonly ExportedQuery[]): RepresentativeQuery[] {
  return queries.map((q) => ({ sql: q.query, origin: 'pg_stat_statements', calls: q.calls, meanMs: q.meanMs }));
}
