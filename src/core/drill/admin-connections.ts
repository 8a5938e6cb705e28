import pg from 'pg';
import type { ClientConfig } from 'pg';

/** More than a review's admin steps ever hold at once; the App's concurrent reviews share them. */
const MAX_CONNECTIONS = 8;
/** An idle connection is closed after this long (the App's server outlives many reviews). */
const IDLE_MS = 30_000;

/** Idle admin connections to each server's maintenance database, by their connection settings. */
const pools = new Map<string, pg.Pool>();

/**
 * Runs `work` on an admin connection to the maintenance database, reusing one left idle by an
 * earlier step: a review's steps (leak sweep, template lookup, role, clone, drop) each opened a
 * connection of their own, ~20-35 ms each before any query (more with SCRAM). A step that fails
 * discards its connection, so no aborted transaction or half-done session reaches the next one.
 */
export async function withPooledAdmin<T>(config: ClientConfig, work: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  const client = await poolFor(config).connect();
  let failed = false;
  try {
    return await work(client);
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    client.release(failed);
  }
}

/** Closes the idle connections to a server that is going away. */
export async function closeAdminConnections(config: ClientConfig): Promise<void> {
  const key = keyOf(config);
  const pool = pools.get(key);
  pools.delete(key);
  await pool?.end().catch(() => undefined);
}

function poolFor(config: ClientConfig): pg.Pool {
  const key = keyOf(config);
  let pool = pools.get(key);
  if (!pool) {
    // Idle connections must neither keep the CLI's process alive nor crash it when the server goes.
    pool = new pg.Pool({ ...config, max: MAX_CONNECTIONS, idleTimeoutMillis: IDLE_MS, allowExitOnIdle: true });
    pool.on('error', () => undefined);
    pools.set(key, pool);
  }
  return pool;
}

const keyOf = (config: ClientConfig): string => JSON.stringify(config);
