import pg from 'pg';
import { bounded, CLEANUP_STEP_MS } from '../deadline.js';
import { DrillTimeoutError } from '../errors.js';
import type { ShadowServer } from './providers/provider.js';

/**
 * Ending work from outside the drill's own connection: when a statement or the whole drill runs
 * past its limit, possibly on a server (or a network path) that answers nothing, the admin cancels,
 * then terminates, then drops, each step bounded, and the drill's sockets are destroyed, so that
 * nothing the review awaits can hang.
 */

/** Runs `work` on a fresh admin session whose every step is bounded; the session is closed (or its socket destroyed) after. */
export async function withBoundedAdmin<T>(server: ShadowServer, work: (client: pg.Client) => Promise<T>): Promise<T> {
  // Bounded on this side only: a server-side statement_timeout would also cancel a DROP DATABASE that
  // is merely slow (it waits for a checkpoint), leaving the database behind.
  const client = new pg.Client({ ...server.adminConfig(server.maintenanceDatabase ?? 'postgres'), connectionTimeoutMillis: CLEANUP_STEP_MS });
  client.on('error', () => undefined);
  try {
    await bounded(client.connect(), CLEANUP_STEP_MS, 'connecting as the admin');
    return await work(client);
  } finally {
    await closeClient(client);
  }
}

/** Ends a client: politely when the server answers in time, else by destroying its socket. */
export async function closeClient(client: pg.Client): Promise<void> {
  await bounded(client.end(), CLEANUP_STEP_MS, 'closing a connection').catch(() => client.connection.stream.destroy());
}

/** How often the admin looks whether cancelled statements ended. */
const POLL_MS = 50;

/**
 * Cancels the statements of the backends `which` selects (a condition on pg_stat_activity), waits
 * (bounded) for them to end, then terminates those backends. Each step is bounded.
 */
export async function endBackends(client: pg.ClientBase, which: string, params: unknown[]): Promise<void> {
  const backends = `FROM pg_stat_activity WHERE (${which}) AND pid <> pg_backend_pid()`;
  await bounded(client.query(`SELECT pg_cancel_backend(pid) ${backends}`, params), CLEANUP_STEP_MS, 'cancelling statements');
  const until = performance.now() + CLEANUP_STEP_MS;
  while (performance.now() < until) {
    const { rowCount } = await bounded(client.query(`SELECT 1 ${backends} AND state = 'active'`, params), CLEANUP_STEP_MS, 'watching cancelled statements');
    if (rowCount === 0) break;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  await bounded(client.query(`SELECT pg_terminate_backend(pid) ${backends}`, params), CLEANUP_STEP_MS, 'terminating sessions');
}

/**
 * Bounds one migration statement from outside its connection: statement_timeout is the server's own
 * limit, which the migration may lift (SET statement_timeout = 0) and which a frozen server never
 * applies. Past the limit and a grace, the admin cancels the statement; a statement that ends then
 * reports the cancel (SQLSTATE 57014) as a timeout would. One that does not is terminated and its
 * socket destroyed: the drill cannot go on, and fails as infra.
 */
export function statementGuard(server: ShadowServer, client: pg.Client, statementTimeoutMs: number): <T>(work: Promise<T>) => Promise<T> {
  const graceMs = Math.max(CLEANUP_STEP_MS, statementTimeoutMs / 10);
  return async <T>(work: Promise<T>): Promise<T> => {
    const settled = work.then(
      () => true,
      () => true,
    );
    const late = await bounded(settled, statementTimeoutMs + graceMs, 'the statement').then(
      () => false,
      () => true,
    );
    if (!late) return work;
    // The backend's pid from the connection's BackendKeyData (pg sets it; its types do not declare it).
    const pid = (client as unknown as { processID: number }).processID;
    const ended = await withBoundedAdmin(server, async (admin) => {
      await bounded(admin.query('SELECT pg_cancel_backend($1)', [pid]), CLEANUP_STEP_MS, 'cancelling the statement');
      if (await bounded(settled, CLEANUP_STEP_MS, 'the cancelled statement').catch(() => false)) return true;
      await endBackends(admin, 'pid = $1', [pid]);
      return false;
    }).catch(() => false);
    if (ended) return work;
    client.connection.stream.destroy();
    throw new DrillTimeoutError(
      `a statement did not return within its statement timeout (${Math.round(statementTimeoutMs / 1000)} s; shadow.statementTimeout), nor after a cancel from the admin side: the shadow PostgreSQL stopped answering`,
    );
  };
}
