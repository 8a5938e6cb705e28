import type { ClientBase, QueryResult, QueryResultRow } from 'pg';

/** Per connection: how many times a statement of the change may have dropped its prepared statements. */
const generations = new WeakMap<ClientBase, number>();

/**
 * Runs one of the drill's own catalog queries as a named prepared statement of the connection
 * (pg's `{ name, text, values }`): PostgreSQL parses it once per session and reuses its plan,
 * where an unnamed query is parsed and planned at every call. These run around every statement
 * and every migration, and planning them cost a quarter to half of their time.
 */
export function preparedQuery<R extends QueryResultRow>(client: ClientBase, name: string, text: string, values: unknown[]): Promise<QueryResult<R>> {
  return client.query<R>({ name: `drillbot_${name}_${generations.get(client) ?? 0}`, text, values });
}

/** Forces generic plans and returns the mode it replaced (read first: the CTE is computed before the row that reads it). */
const FORCE_GENERIC_SQL = `
WITH saved AS MATERIALIZED (SELECT current_setting('plan_cache_mode') AS mode)
SELECT mode, set_config('plan_cache_mode', 'force_generic_plan', false) AS forced FROM saved`;

/**
 * preparedQuery, reusing one generic plan (plan_cache_mode) for this call only. The statement
 * scope queries (relation-state.ts) never get one by themselves: with the relation names known,
 * to_regclass and unnest fold at plan time, the custom plan's estimate is a third of the generic
 * one's, so PostgreSQL plans them anew at every call, though the generic plan runs faster. Only
 * for this call: session-wide, the mode would change the plans of the migration's own PL/pgSQL
 * (its triggers), and with them the scans the drill reports.
 */
export async function genericPlanQuery<R extends QueryResultRow>(client: ClientBase, name: string, text: string, values: unknown[]): Promise<QueryResult<R>> {
  const { mode } = (await preparedQuery<{ mode: string }>(client, 'force_generic', FORCE_GENERIC_SQL, [])).rows[0];
  const restore = () => preparedQuery(client, 'plan_cache_mode', `SELECT set_config('plan_cache_mode', $1, false)`, [mode]);
  let result: QueryResult<R>;
  try {
    result = await preparedQuery<R>(client, name, text, values);
  } catch (error) {
    // In a transaction block the failure aborted it, and its rollback restores the mode; outside one, this does.
    await restore().catch(() => undefined);
    throw error;
  }
  await restore();
  return result;
}

/** Statement kinds that drop the session's prepared statements: DEALLOCATE [ALL] and DISCARD ALL. */
const DROPS_PREPARED = new Set(['DeallocateStmt', 'DiscardStmt']);

/**
 * After a statement of the change ran on this connection: when it may have dropped the session's
 * prepared statements, the next calls prepare theirs again under new names (pg remembers which
 * names it prepared, and executing one the server no longer has would fail the migration's transaction).
 */
export function afterStatement(client: ClientBase, kind: string): void {
  if (DROPS_PREPARED.has(kind)) generations.set(client, (generations.get(client) ?? 0) + 1);
}
