import pg from 'pg';
import type { ClientBase, QueryResult, QueryResultRow } from 'pg';

/** Per connection: how many times a statement of the change may have dropped its prepared statements. */
const generations = new WeakMap<ClientBase, number>();
/** Per connection: the names it has PREPAREd (SQL-level prepared statements, see batchedQuery). */
const preparedNames = new WeakMap<ClientBase, Set<string>>();

const statementName = (client: ClientBase, name: string): string => `drillbot_${name}_${generations.get(client) ?? 0}`;

/**
 * Runs one of the drill's own catalog queries as a named prepared statement of the connection
 * (pg's `{ name, text, values }`): PostgreSQL parses it once per session and reuses its plan,
 * where an unnamed query is parsed and planned at every call. These run around every statement
 * and every migration, and planning them cost a quarter to half of their time.
 */
export function preparedQuery<R extends QueryResultRow>(client: ClientBase, name: string, text: string, values: unknown[]): Promise<QueryResult<R>> {
  return client.query<R>({ name: statementName(client, name), text, values });
}

/** A query of the drill's own for batchedQuery: its name, its text with $n parameters, and their values. */
export interface OwnQuery {
  readonly name: string;
  readonly text: string;
  readonly values: readonly Argument[];
}

/** A parameter's value: what pg would bind (see sqlLiteral). */
export type Argument = string | number | boolean | null | readonly (string | number | null)[];

/** Statements without results sent in the same round trip as a batched query, before and after it. */
export interface Around {
  readonly before?: readonly string[];
  readonly after?: readonly string[];
}

/**
 * preparedQuery's reuse of one plan per session, in one round trip with other statements: node-postgres
 * sends a query only once the previous one has answered, so the query is a SQL-level prepared
 * statement (PREPARE, the first time on this connection) run by EXECUTE in one simple-protocol string
 * with `before` and `after`. The arguments are literals typed by the parameters, as pg would send them.
 * Outside a transaction block the string runs as one implicit transaction: a failure undoes the
 * settings its statements changed; inside one, the failure aborts the block, whose rollback does.
 * For results of modest size: EXECUTE stores its rows in the portal before sending them, which
 * cost the schema snapshot (a large row) more than the round trip it saved.
 */
export async function batchedQuery<R extends QueryResultRow>(client: ClientBase, query: OwnQuery, around: Around = {}): Promise<QueryResult<R>> {
  return (await batchedQueries<R>(client, [query], around))[0];
}

/**
 * batchedQuery for several queries, each prepared the first time this connection runs it: one
 * round trip, one result per query, in their order.
 */
export async function batchedQueries<R extends QueryResultRow>(
  client: ClientBase,
  queries: readonly OwnQuery[],
  around: Around = {},
): Promise<QueryResult<R>[]> {
  const prepared = preparedNames.get(client) ?? new Set<string>();
  preparedNames.set(client, prepared);
  const statements = [...(around.before ?? [])];
  const fresh = new Set<string>();
  const executes = queries.map((query) => {
    const name = statementName(client, query.name);
    if (!prepared.has(name) && !fresh.has(name)) {
      fresh.add(name);
      statements.push(`PREPARE ${name} AS ${query.text}`);
    }
    return statements.push(`EXECUTE ${name}${query.values.length > 0 ? `(${query.values.map(sqlLiteral).join(', ')})` : ''}`) - 1;
  });
  let results: QueryResult<R>[];
  try {
    results = await simpleQuery<R>(client, [...statements, ...(around.after ?? [])]);
  } catch (error) {
    // Whether its PREPAREs ran is unknown: later calls prepare theirs anew, under new names.
    abandonPrepared(client);
    throw error;
  }
  for (const name of fresh) prepared.add(name);
  return executes.map((i) => results[i]);
}

/**
 * A parameter's value as a SQL literal: its text form quoted, as pg sends a parameter (an array in
 * PostgreSQL's array syntax), so the server reads it as the parameter's type, exactly as a bound value.
 */
export function sqlLiteral(value: Argument): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number' && !Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  return pg.escapeLiteral(typeof value === 'object' ? `{${value.map(arrayElement).join(',')}}` : String(value));
}

const arrayElement = (item: string | number | null): string => (item === null ? 'NULL' : `"${String(item).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);

/** Sends statements as one simple-protocol string (one round trip) and returns a result per statement. */
export async function simpleQuery<R extends QueryResultRow = QueryResultRow>(client: ClientBase, statements: readonly string[]): Promise<QueryResult<R>[]> {
  const answer = (await client.query<R>(statements.join(';\n'))) as QueryResult<R> | QueryResult<R>[];
  return Array.isArray(answer) ? answer : [answer];
}

/**
 * A one-off query of the drill's own (its arguments written in as literals, see sqlLiteral) run with
 * jit off, with its BEGIN, SET LOCAL and COMMIT in one round trip: the recursive catalog queries'
 * cost estimates pass jit_above_cost, and compiling them (up to a quarter of a second) takes longer
 * than running them. A failure rolls the block back.
 */
export async function queryWithoutJit<R extends QueryResultRow>(client: ClientBase, statement: string): Promise<QueryResult<R>> {
  const opening = ['BEGIN', 'SET LOCAL jit = off'];
  try {
    return (await simpleQuery<R>(client, [...opening, statement, 'COMMIT']))[opening.length];
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

/**
 * Saves each of the caller's settings in a setting of the drill's own (drillbot.<name>) and sets
 * it; restoreSavedSql sets them back: both run in the batch's round trip (see genericPlanQuery).
 */
const saveAndSetSql = (settings: Readonly<Record<string, string>>): string =>
  `SELECT ${Object.entries(settings)
    .map(([name, value]) => `set_config('drillbot.${name}', current_setting('${name}'), false), set_config('${name}', '${value}', false)`)
    .join(', ')}`;
const restoreSavedSql = (settings: Readonly<Record<string, string>>): string =>
  `SELECT ${Object.keys(settings)
    .map((name) => `set_config('${name}', current_setting('drillbot.${name}'), false)`)
    .join(', ')}`;

/**
 * batchedQuery, reusing one generic plan (plan_cache_mode) for this call only, with `settings` (a
 * few of the drill's own, such as jit) also for this call only. The statement
 * scope queries (relation-state.ts) never get one by themselves: with the relation names known,
 * to_regclass and unnest fold at plan time, the custom plan's estimate is a third of the generic
 * one's, so PostgreSQL plans them anew at every call, though the generic plan runs faster. Only
 * for this call: session-wide, the mode would change the plans of the migration's own PL/pgSQL
 * (its triggers), and with them the scans the drill reports. Saving, forcing and restoring the mode
 * share the query's round trip. A failure leaves nothing changed: outside a transaction block the
 * string runs as one implicit transaction, inside one the block is aborted (see batchedQuery).
 */
export function genericPlanQuery<R extends QueryResultRow>(
  client: ClientBase,
  query: OwnQuery,
  around: Around = {},
  settings: Readonly<Record<string, string>> = {},
): Promise<QueryResult<R>> {
  const pinned = { plan_cache_mode: 'force_generic_plan', ...settings };
  return batchedQuery<R>(client, query, {
    before: [...(around.before ?? []), saveAndSetSql(pinned)],
    after: [restoreSavedSql(pinned), ...(around.after ?? [])],
  });
}

/** Statement kinds that drop the session's prepared statements: DEALLOCATE [ALL] and DISCARD ALL. */
const DROPS_PREPARED = new Set(['DeallocateStmt', 'DiscardStmt']);

/**
 * After a statement of the change ran on this connection: when it may have dropped the session's
 * prepared statements, the next calls prepare theirs again under new names (pg remembers which
 * names it prepared, and executing one the server no longer has would fail the migration's transaction).
 */
export function afterStatement(client: ClientBase, kind: string): void {
  if (DROPS_PREPARED.has(kind)) abandonPrepared(client);
}

function abandonPrepared(client: ClientBase): void {
  generations.set(client, (generations.get(client) ?? 0) + 1);
}
