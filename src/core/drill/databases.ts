import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { bounded, CLEANUP_STEP_MS } from '../deadline.js';
import { endBackends, withBoundedAdmin } from './admin-side.js';
import type { ShadowServer } from './providers/provider.js';
import { ignoreCode, quoteIdent, quoteLiteral } from './providers/url.js';

/**
 * Shadow databases and the template cache, on any provider, through the admin connection.
 * Every name is checked against DATABASE_NAME, so this module can only ever create, clone or drop
 * databases whose name starts with "drillbot_": it cannot touch the user's own databases.
 */

/** Names Drillbot may create or drop: 63 bytes at most (PostgreSQL's NAMEDATALEN - 1). */
const DATABASE_NAME = /^drillbot_[a-z0-9_]{1,54}$/;
const PREFIX = /^[a-z][a-z0-9_]{0,19}$/;
const TEMPLATE_PREFIX = 'drillbot_tpl_';
const TEMPLATE_KEY = /^[0-9a-f]{16,128}$/;
/** SQLSTATE object_in_use: "source database is being accessed by other users". */
const OBJECT_IN_USE = '55006';
const BUSY_RETRIES = 5;

/** Default number of templates kept per server; older ones are dropped, least recently used first. */
export const DEFAULT_TEMPLATE_LIMIT = 5;

/** Returns a fresh database name: drillbot_<prefix>_<time>_<random>. */
export function uniqueDatabaseName(prefix = 'drill'): string {
  if (!PREFIX.test(prefix)) throw new TypeError(`Invalid database name prefix: ${JSON.stringify(prefix)}`);
  const name = `drillbot_${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  return assertDatabaseName(name);
}

/**
 * Creates a database owned by the migrator role, optionally cloned from `template`. Owning it lets
 * the migrator run any DDL and CREATE EXTENSION of trusted extensions (PG13+); CONNECT is revoked
 * from PUBLIC so other roles cannot look in.
 */
export async function createDatabase(server: ShadowServer, name: string, opts: { template?: string } = {}): Promise<void> {
  assertDatabaseName(name);
  const template = opts.template === undefined ? '' : ` TEMPLATE ${quoteIdent(assertDatabaseName(opts.template))}`;
  await withAdminClient(server, async (client) => {
    await cloneWhenFree(client, opts.template, `CREATE DATABASE ${quoteIdent(name)} OWNER ${quoteIdent(server.migratorRole)}${template}`);
    try {
      await client.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${quoteIdent(name)} FROM PUBLIC`);
    } catch (error) {
      await dropWith(client, server.major, name).catch(() => undefined);
      throw error;
    }
  });
}

/** Drops a database, closing its connections first; does nothing when it does not exist. */
export async function dropDatabase(server: ShadowServer, name: string): Promise<void> {
  assertDatabaseName(name);
  await withAdminClient(server, (client) => dropWith(client, server.major, name));
}

/**
 * Ends databases when a deadline passed, from the admin side and each step bounded: their
 * statements are cancelled, their sessions terminated, then they are dropped.
 */
export async function endDatabases(server: ShadowServer, names: readonly string[]): Promise<void> {
  names.forEach(assertDatabaseName);
  await withBoundedAdmin(server, async (client) => {
    await endBackends(client, 'datname = ANY($1)', [names]);
    // DROP DATABASE waits for a checkpoint, which takes a while on a busy server: a longer bound.
    for (const name of names) await bounded(dropWith(client, server.major, name), 5 * CLEANUP_STEP_MS, `dropping ${name}`);
  });
}

/**
 * Returns the name of the template saved for `key` (a content hash of the base history), or null.
 * A hit counts as a use for the least-recently-used eviction.
 */
export async function findTemplate(server: ShadowServer, key: string): Promise<string | null> {
  const name = templateName(key);
  return withAdminClient(server, async (client) => {
    const { rows } = await client.query<{ comment: string | null }>(
      `SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1 AND datistemplate`,
      [name],
    );
    // The name holds only 16 hex digits of the key; the comment holds all of it.
    if (parseTemplateComment(rows[0]?.comment)?.key !== normalizeKey(key)) return null;
    await commentTemplate(client, name, key);
    return name;
  });
}

/**
 * Copies `sourceDb` into the template for `key` and returns the template's name; keeps at most
 * `limit` templates. Connections to `sourceDb` are closed, because PostgreSQL cannot copy a
 * database that is in use. The template is owned by the admin, not by the migrator, so untrusted
 * SQL in a later review cannot alter or drop it.
 */
export async function saveAsTemplate(
  server: ShadowServer,
  sourceDb: string,
  key: string,
  opts: { limit?: number } = {},
): Promise<string> {
  assertDatabaseName(sourceDb);
  const name = templateName(key);
  const staging = uniqueDatabaseName('stage');
  await withAdminClient(server, async (client) => {
    try {
      // Close the source's sessions up front rather than after PostgreSQL's 5 s wait for them:
      // the copy must not race with writes anyway.
      await terminateSessions(client, sourceDb);
      await cloneWhenFree(client, sourceDb, `CREATE DATABASE ${quoteIdent(staging)} TEMPLATE ${quoteIdent(sourceDb)}`);
      await client.query(`ALTER DATABASE ${quoteIdent(staging)} WITH ALLOW_CONNECTIONS false IS_TEMPLATE true`);
      await client.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${quoteIdent(staging)} FROM PUBLIC`);
      await commentTemplate(client, staging, key);
      // Built under a staging name and renamed at the end, so findTemplate never sees half a
      // template; when another process saved the same key first, its copy wins.
      await client.query(`ALTER DATABASE ${quoteIdent(staging)} RENAME TO ${quoteIdent(name)}`).catch(ignoreCode('42P04'));
    } finally {
      await dropWith(client, server.major, staging);
    }
    await evictTemplates(client, server.major, opts.limit ?? DEFAULT_TEMPLATE_LIMIT, name);
  });
  return name;
}

/** Names of the saved templates, most recently used first. */
export async function listTemplates(server: ShadowServer): Promise<string[]> {
  return withAdminClient(server, async (client) => (await readTemplates(client)).map((t) => t.name));
}

/** Returns the template database name for a key: drillbot_tpl_<first 16 hex digits>. */
export function templateName(key: string): string {
  return `${TEMPLATE_PREFIX}${normalizeKey(key).slice(0, 16)}`;
}

function normalizeKey(key: string): string {
  const lower = key.toLowerCase();
  if (!TEMPLATE_KEY.test(lower)) throw new TypeError('A template key must be 16 to 128 hex digits');
  return lower;
}

function assertDatabaseName(name: string): string {
  if (!DATABASE_NAME.test(name)) throw new TypeError(`Refusing database name ${JSON.stringify(name)}: not a Drillbot database`);
  return name;
}

async function withAdminClient<T>(server: ShadowServer, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(server.adminConfig(server.maintenanceDatabase ?? 'postgres'));
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Runs a CREATE DATABASE … TEMPLATE, retrying while the source is in use. PostgreSQL already
 * waits up to 5 s for closing sessions; a session that stays (a pool, a forgotten client) is
 * terminated, since the source is always one of our own databases.
 */
async function cloneWhenFree(client: pg.Client, source: string | undefined, sql: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.query(sql);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== OBJECT_IN_USE || source === undefined || attempt >= BUSY_RETRIES) throw error;
      await terminateSessions(client, source);
      await sleep(100 * attempt);
    }
  }
}

async function terminateSessions(client: pg.Client, database: string): Promise<void> {
  await client.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
    [database],
  );
}

async function dropWith(client: pg.Client, major: number, name: string): Promise<void> {
  const { rows } = await client.query<{ datistemplate: boolean }>(`SELECT datistemplate FROM pg_database WHERE datname = $1`, [name]);
  if (rows.length === 0) return;
  // PostgreSQL refuses to drop a template database.
  if (rows[0]?.datistemplate) await client.query(`ALTER DATABASE ${quoteIdent(name)} WITH IS_TEMPLATE false`);
  if (major >= 13) {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    return;
  }
  // WITH (FORCE) exists since PG13; before that, close the sessions ourselves.
  await terminateSessions(client, name);
  await cloneWhenFree(client, name, `DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
}

interface TemplateComment {
  drillbot: 'template';
  key: string;
  lastUsed: number;
}

async function commentTemplate(client: pg.Client, name: string, key: string): Promise<void> {
  const comment: TemplateComment = { drillbot: 'template', key: normalizeKey(key), lastUsed: Date.now() };
  await client.query(`COMMENT ON DATABASE ${quoteIdent(name)} IS ${quoteLiteral(JSON.stringify(comment))}`);
}

function parseTemplateComment(text: string | null | undefined): TemplateComment | null {
  if (!text) return null;
  try {
    const value = JSON.parse(text) as Partial<TemplateComment>;
    if (value.drillbot !== 'template' || typeof value.key !== 'string') return null;
    return { drillbot: 'template', key: value.key, lastUsed: typeof value.lastUsed === 'number' ? value.lastUsed : 0 };
  } catch {
    return null; // not our comment: treated as never used, so evicted first
  }
}

async function readTemplates(client: pg.Client): Promise<{ name: string; lastUsed: number }[]> {
  const { rows } = await client.query<{ name: string; comment: string | null }>(
    `SELECT datname AS name, shobj_description(oid, 'pg_database') AS comment
       FROM pg_database WHERE starts_with(datname, $1) AND datistemplate`,
    [TEMPLATE_PREFIX],
  );
  return rows
    .map((r) => ({ name: r.name, lastUsed: parseTemplateComment(r.comment)?.lastUsed ?? 0 }))
    .sort((a, b) => b.lastUsed - a.lastUsed);
}

async function evictTemplates(client: pg.Client, major: number, limit: number, keep: string): Promise<void> {
  const others = (await readTemplates(client)).filter((t) => t.name !== keep);
  for (const stale of others.slice(Math.max(0, limit - 1))) {
    await dropWith(client, major, stale.name);
  }
}
