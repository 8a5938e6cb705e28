import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { ClientConfig } from 'pg';
import { DEFAULT_CONFIG, type DrillbotConfig } from '../config.js';
import { bounded, CLEANUP_STEP_MS } from '../deadline.js';
import { withPooledAdmin } from './admin-connections.js';
import { endBackends, withBoundedAdmin } from './admin-side.js';
import type { ShadowServer } from './providers/provider.js';
import { quoteIdent, quoteLiteral } from '../sql/quote.js';
import { ignoreCode, scramVerifier } from './providers/server.js';

/**
 * Shadow databases, their roles and the template cache, on any provider, through the admin
 * connection. Every name is checked against DATABASE_NAME, so this module can only ever create,
 * clone or drop databases whose name starts with "drillbot_" (and roles "drillbot_r_"): it cannot
 * touch the user's own databases or roles.
 *
 * Isolation: each shadow database has its own LOGIN role, with a random password, that owns it and
 * nothing else and is a member of no role. Untrusted SQL runs only as that role, so it cannot see
 * the query text of, nor signal, any other session (PostgreSQL allows both only over sessions of
 * roles whose privileges one has), and whatever it does to its role (settings, password) is
 * dropped with it. Templates hand their objects to pg_database_owner, so in each clone they belong
 * to the clone's role without any per-clone work.
 */

/** Names Drillbot may create or drop; the role's name ("drillbot_r_" + the rest) fits in 63 bytes too (NAMEDATALEN - 1). */
const DATABASE_NAME = /^drillbot_[a-z0-9_]{1,52}$/;
const ROLE_PREFIX = 'drillbot_r_';
const PREFIX = /^[a-z][a-z0-9_]{0,19}$/;
const TEMPLATE_PREFIX = 'drillbot_tpl_';
const TEMPLATE_KEY = /^[0-9a-f]{16,128}$/;
/** SQLSTATE insufficient_privilege. */
const INSUFFICIENT_PRIVILEGE = '42501';
/** SQLSTATE undefined_object: e.g. a role that does not exist (any more). */
const UNDEFINED_OBJECT = '42704';
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

/** A shadow database and the role that owns it; untrusted SQL runs only as that role, only there. */
export interface ShadowDatabase {
  readonly name: string;
  readonly role: string;
  /** Connection settings of the role (password login). */
  readonly login: ClientConfig;
}

/** What PostgreSQL enforces on every session of a shadow database's role. */
export type RoleCaps = Pick<DrillbotConfig['shadow'], 'maxTempFiles' | 'statementTimeoutMs'>;

/** The role of a shadow database: "drillbot_r_" and the database's name after "drillbot_". */
export function roleOf(database: string): string {
  return `${ROLE_PREFIX}${assertDatabaseName(database).slice('drillbot_'.length)}`;
}

/**
 * Creates a database and its role, optionally cloned from `template`. Owning the database lets the
 * role run any DDL, own the template's objects (through pg_database_owner) and CREATE EXTENSION of
 * trusted extensions; CONNECT is revoked from PUBLIC so other roles cannot look in.
 */
export async function createDatabase(server: ShadowServer, name: string, opts: { template?: string; caps?: RoleCaps } = {}): Promise<ShadowDatabase> {
  const role = roleOf(name);
  const template = opts.template === undefined ? '' : ` TEMPLATE ${quoteIdent(assertDatabaseName(opts.template))}`;
  const password = randomBytes(24).toString('hex');
  await withAdminClient(server, async (client) => {
    await createRole(client, server, role, password, opts.caps ?? DEFAULT_CONFIG.shadow);
    try {
      await cloneWhenFree(client, opts.template, `CREATE DATABASE ${quoteIdent(name)} OWNER ${quoteIdent(role)}${template}`);
      await client.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${quoteIdent(name)} FROM PUBLIC`);
    } catch (error) {
      await dropWith(client, server.major, name).catch(() => undefined);
      await dropRole(client, role).catch(() => undefined);
      throw error;
    }
  });
  return { name, role, login: server.loginConfig(role, password, name) };
}

/**
 * A LOGIN role with no attribute and no membership. temp_file_limit can only be changed by a
 * superuser (or a role granted SET on it), so the role cannot lift it; the timeouts are defaults
 * a session may change, under the drill's own deadline. The password is sent as a SCRAM verifier,
 * so the plain text never reaches the server (nor its statement log). The database is disposable,
 * so its sessions commit without waiting for the WAL flush (synchronous_commit off, as the
 * embedded server runs): a crash can lose only its last commits, never its consistency, and the
 * admin's own commits (the template's rename and marks) still flush every commit before them.
 * One simple-protocol string: its statements commit together (one round trip, one commit) or,
 * when one fails, not at all.
 */
async function createRole(client: pg.ClientBase, server: ShadowServer, role: string, password: string, caps: RoleCaps): Promise<void> {
  const name = quoteIdent(role);
  const tempKb = Math.min(Math.ceil(caps.maxTempFiles / 1024), 2 ** 31 - 1);
  const timeoutMs = Math.round(caps.statementTimeoutMs);
  const statements = [
    `CREATE ROLE ${name} LOGIN PASSWORD ${quoteLiteral(scramVerifier(password))}`,
    `ALTER ROLE ${name} SET temp_file_limit = '${tempKb}kB'`,
    `ALTER ROLE ${name} SET statement_timeout = ${timeoutMs}`,
    `ALTER ROLE ${name} SET idle_in_transaction_session_timeout = ${timeoutMs}`,
    `ALTER ROLE ${name} SET synchronous_commit = off`,
    // A non-superuser admin creates (and drops) databases OWNED BY the role as a member of it;
    // the membership gives the admin the role's privileges, never the other way round.
    ...(server.admin.superuser ? [] : [`GRANT ${name} TO CURRENT_USER`]),
  ];
  await client.query(statements.join('; '));
}

/** Drops a database, closing its connections first, then its role; does nothing when neither exists. */
export async function dropDatabase(server: ShadowServer, name: string): Promise<void> {
  const role = roleOf(name);
  await withAdminClient(server, async (client) => {
    const hasRole = ((await client.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [role])).rowCount ?? 0) > 0;
    if (hasRole) await administer(client, server, role);
    await dropWith(client, server.major, name);
    if (hasRole) await dropRole(client, role);
  });
}

/** Older servers let a session administer its own role's memberships (PG16 ended it): take the admin's back first. */
async function administer(client: pg.ClientBase, server: ShadowServer, role: string): Promise<void> {
  if (!server.admin.superuser) await client.query(`GRANT ${quoteIdent(role)} TO CURRENT_USER`).catch(ignoreCode(UNDEFINED_OBJECT));
}

/**
 * Drops a role whose database is gone: DROP OWNED first revokes what it was granted here and on
 * shared objects. Two drops may race (the deadline's and the drill's own), hence the IF EXISTS.
 */
async function dropRole(client: pg.ClientBase, role: string): Promise<void> {
  await client.query(`DROP OWNED BY ${quoteIdent(role)}`).catch(ignoreCode(UNDEFINED_OBJECT));
  await client.query(`DROP ROLE IF EXISTS ${quoteIdent(role)}`);
}

/**
 * Cancels the statements running in these databases, waits up to `graceMs` for them to end, then
 * terminates the sessions still there (the admin's own excepted).
 */
export async function endSessions(server: ShadowServer, names: readonly string[], graceMs: number): Promise<void> {
  names.forEach(assertDatabaseName);
  await withAdminClient(server, async (client) => {
    const others = `FROM pg_stat_activity WHERE datname = ANY($1) AND pid <> pg_backend_pid()`;
    await client.query(`SELECT pg_cancel_backend(pid) ${others} AND state = 'active'`, [names]);
    for (const until = Date.now() + graceMs; Date.now() < until; await sleep(50)) {
      if (!(await client.query(`SELECT 1 ${others} AND state = 'active'`, [names])).rowCount) break;
    }
    await client.query(`SELECT pg_terminate_backend(pid) ${others}`, [names]);
  });
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
 * `limit` templates. The source is handed over first (see handOver): its role can no longer use it.
 * Connections to `sourceDb` are closed, because PostgreSQL cannot copy a database that is in use.
 * The template is owned by the admin, not by any review's role, so untrusted SQL in a later review
 * cannot alter or drop it. With `consume`, the source itself becomes the template (renamed, not
 * copied: a cold review pays one copy, its clone) and is gone under its own name.
 */
export async function saveAsTemplate(
  server: ShadowServer,
  sourceDb: string,
  key: string,
  opts: { limit?: number; vet?: Vet; consume?: boolean } = {},
): Promise<string> {
  assertDatabaseName(sourceDb);
  const name = templateName(key);
  const staging = uniqueDatabaseName('stage');
  await withAdminClient(server, async (client) => {
    try {
      await client.query(`ALTER DATABASE ${quoteIdent(sourceDb)} OWNER TO CURRENT_USER`);
      // Close the source's sessions up front rather than after PostgreSQL's 5 s wait for them:
      // the copy must not race with writes anyway.
      await terminateSessions(client, sourceDb);
      await handOver(server, sourceDb, opts.vet);
      if (opts.consume) await client.query(`ALTER DATABASE ${quoteIdent(sourceDb)} RENAME TO ${quoteIdent(staging)}`);
      else await cloneWhenFree(client, sourceDb, `CREATE DATABASE ${quoteIdent(staging)} TEMPLATE ${quoteIdent(sourceDb)}`);
      await client.query(`ALTER DATABASE ${quoteIdent(staging)} WITH ALLOW_CONNECTIONS false IS_TEMPLATE true`);
      await client.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${quoteIdent(staging)} FROM PUBLIC`);
      await commentTemplate(client, staging, key);
      // Built under a staging name and renamed at the end, so findTemplate never sees half a
      // template; when another process saved the same key first, or at the same moment, its copy wins.
      await client.query(`ALTER DATABASE ${quoteIdent(staging)} RENAME TO ${quoteIdent(name)}`).catch(ignoreNameTaken);
    } finally {
      await dropWith(client, server.major, staging);
    }
    await evictTemplates(client, server.major, opts.limit ?? DEFAULT_TEMPLATE_LIMIT, name);
  });
  return name;
}

/**
 * Ignores a failure because the database name is taken: duplicate_database when the other
 * database was there before, unique_violation on pg_database's name index when another session
 * took the name while this statement ran (its check passed, the index insert then waited for it).
 */
function ignoreNameTaken(error: unknown): void {
  const { code, constraint } = error as { code?: string; constraint?: string };
  if (code === '42P04' || (code === '23505' && constraint === 'pg_database_datname_index')) return;
  throw error;
}

/**
 * Gives the objects of the source's role to pg_database_owner, so that in every clone they belong
 * to the clone's own role at no cost per clone, and drops what would keep that role alive in the
 * template (privileges granted to it, its default privileges). The database itself must already
 * belong to the admin: REASSIGN OWNED also moves shared objects, and no database may ever become
 * pg_database_owner's.
 */
async function handOver(server: ShadowServer, database: string, vet?: Vet): Promise<void> {
  const role = roleOf(database);
  await withAdminClient(
    server,
    async (client) => {
      await vet?.(client, role);
      await client.query(`REASSIGN OWNED BY ${quoteIdent(role)} TO pg_database_owner; DROP OWNED BY ${quoteIdent(role)}`);
    },
    database,
  );
}

/**
 * Looks at a database about to become a template, as the admin connected to it, before its role's
 * objects are handed over; throws to refuse it (the source is dropped by its guard either way).
 */
export type Vet = (client: pg.ClientBase, role: string) => Promise<void>;

/**
 * Makes a shadow database's role a superuser, or a plain role again. Only the base history's replay
 * ever runs as a superuser (shadow.historyPrivileges), in a database that is handed over (and
 * vetted) before any clone of it exists; only a superuser admin can grant it.
 */
export async function setSuperuser(server: ShadowServer, role: string, superuser: boolean): Promise<void> {
  if (!role.startsWith(ROLE_PREFIX)) throw new TypeError(`Refusing role ${JSON.stringify(role)}: not a Drillbot role`);
  await withAdminClient(server, async (client) => {
    const alter = client.query(`ALTER ROLE ${quoteIdent(role)} ${superuser ? 'SUPERUSER' : 'NOSUPERUSER'}`);
    // A role the deadline already dropped (with its database) needs no demoting.
    await (superuser ? alter : alter.catch(ignoreCode(UNDEFINED_OBJECT)));
  });
}

/** What a template is on the server now: its oid (a template rebuilt under the same name has another) and the cache key it holds; null when it is gone. */
export async function templateIdentity(server: ShadowServer, name: string): Promise<{ oid: number; key: string } | null> {
  return withAdminClient(server, async (client) => {
    const { rows } = await client.query<{ oid: number; comment: string | null }>(
      `SELECT oid::int8::float8 AS oid, shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1 AND datistemplate`,
      [assertDatabaseName(name)],
    );
    const key = parseTemplateComment(rows[0]?.comment)?.key;
    return rows[0] && key ? { oid: rows[0].oid, key } : null;
  });
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

/** Runs `work` as the administrator, on `database` (a connection of its own) or the maintenance database (a pooled one). */
export async function withAdminClient<T>(
  server: ShadowServer,
  work: (client: pg.ClientBase) => Promise<T>,
  database = server.maintenanceDatabase ?? 'postgres',
): Promise<T> {
  if (database === (server.maintenanceDatabase ?? 'postgres')) return withPooledAdmin(server.adminConfig(database), work);
  const client = new pg.Client(server.adminConfig(database));
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
async function cloneWhenFree(client: pg.ClientBase, source: string | undefined, sql: string): Promise<void> {
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

async function terminateSessions(client: pg.ClientBase, database: string): Promise<void> {
  await client.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [database]);
}

async function dropWith(client: pg.ClientBase, major: number, name: string): Promise<void> {
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

async function commentTemplate(client: pg.ClientBase, name: string, key: string): Promise<void> {
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

async function readTemplates(client: pg.ClientBase): Promise<{ name: string; lastUsed: number }[]> {
  const { rows } = await client.query<{ name: string; comment: string | null }>(
    `SELECT datname AS name, shobj_description(oid, 'pg_database') AS comment
       FROM pg_database WHERE starts_with(datname, $1) AND datistemplate`,
    [TEMPLATE_PREFIX],
  );
  return rows.map((r) => ({ name: r.name, lastUsed: parseTemplateComment(r.comment)?.lastUsed ?? 0 })).sort((a, b) => b.lastUsed - a.lastUsed);
}

async function evictTemplates(client: pg.ClientBase, major: number, limit: number, keep: string): Promise<void> {
  const others = (await readTemplates(client)).filter((t) => t.name !== keep);
  for (const stale of others.slice(Math.max(0, limit - 1))) {
    // A non-superuser admin cannot drop the templates of another admin on a shared server: left to it.
    await dropWith(client, major, stale.name).catch(ignoreCode(INSUFFICIENT_PRIVILEGE));
  }
}

/** When a drill's database was created, from its name (drillbot_<prefix>_<time>_<random>); null for other names. */
export function createdAt(name: string): number | null {
  const parts = name.split('_');
  if (parts.length < 4 || name.startsWith(TEMPLATE_PREFIX)) return null;
  const time = Number.parseInt(parts[parts.length - 2]!, 36);
  return Number.isFinite(time) ? time : null;
}

/**
 * Drops what killed drills left behind: databases (with their sessions, WITH FORCE) and roles
 * older than `maxAgeMs`, which must exceed any review's time limit, so a review still running in
 * another process is never touched. Templates are left to the template cache. Returns the names dropped.
 */
export async function sweepLeakedDatabases(server: ShadowServer, maxAgeMs: number, now = Date.now()): Promise<string[]> {
  const old = (name: string) => {
    const at = createdAt(name);
    return at !== null && now - at > maxAgeMs;
  };
  const { databases, roles } = await withAdminClient(server, async (client) => ({
    databases: (
      await client.query<{ name: string }>(`SELECT datname AS name FROM pg_database WHERE datname LIKE 'drillbot\\_%' AND NOT datistemplate`)
    ).rows.map((r) => r.name),
    roles: (await client.query<{ name: string }>(`SELECT rolname AS name FROM pg_roles WHERE rolname LIKE 'drillbot\\_r\\_%'`)).rows.map((r) => r.name),
  }));
  const leaked = databases.filter((name) => DATABASE_NAME.test(name) && old(name));
  for (const name of leaked) await dropDatabase(server, name);
  // A role whose database is already gone (a drill killed between the two drops).
  const orphans = roles.filter(
    (role) => !databases.includes(`drillbot_${role.slice(ROLE_PREFIX.length)}`) && old(`drillbot_${role.slice(ROLE_PREFIX.length)}`),
  );
  if (orphans.length > 0) {
    await withAdminClient(server, async (client) => {
      for (const role of orphans) {
        await administer(client, server, role);
        await dropRole(client, role);
      }
    });
  }
  return [...leaked, ...orphans];
}
