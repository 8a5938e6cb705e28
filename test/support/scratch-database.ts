import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The local PostgreSQL the drill module tests use (PGHOST, PGPORT and PGUSER override), reached as
 * a superuser: each test file makes its own scratch database on it.
 */
export const LOCAL_SERVER = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
};

/** Runs `fn` with a connection to the server's `postgres` database, closed afterwards. */
export async function withAdmin<T>(fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ ...LOCAL_SERVER, database: 'postgres' });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

/** A database of one test file, and the connection to it. */
export interface ScratchDatabase {
  readonly name: string;
  readonly client: pg.Client;
}

/**
 * Creates a fresh database named `<prefix>_<12 hex digits>` and connects to it. The name is made
 * of the prefix and hex digits only, so it needs no quoting. Pair it with `dropScratchDatabase`.
 */
export async function createScratchDatabase(prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${name}`));
  const client = new pg.Client({ ...LOCAL_SERVER, database: name });
  try {
    await client.connect();
  } catch (error) {
    await dropDatabase(name);
    throw error;
  }
  return { name, client };
}

/** Closes the connection and drops the database; nothing to do when it was never created. */
export async function dropScratchDatabase(scratch: ScratchDatabase | undefined): Promise<void> {
  if (!scratch) return;
  await scratch.client.end();
  await dropDatabase(scratch.name);
}

function dropDatabase(name: string): Promise<unknown> {
  // FORCE ends sessions a failed test may have left open on it.
  return withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}
