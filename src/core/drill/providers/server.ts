import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { ClientConfig } from 'pg';
import { ShadowStartError, redact } from '../../errors.js';
import { quoteIdent, quoteLiteral } from '../../sql/quote.js';
import { closeAdminConnections } from '../admin-connections.js';
import { defaultCacheDir } from './embedded.js';
import type { AdminPowers, ShadowServer } from './provider.js';

/**
 * The shared part of every provider: once a server answers, the URL, embedded and testcontainers
 * providers hand it to `openServer`, so version checks and admin checks live here once. Migrations
 * run as a throwaway role per shadow database (databases.ts).
 */

/** The oldest server that can hold the drill: templates hand their objects to pg_database_owner (PG14). */
export const MIN_MAJOR = 14;

/** How to reach one server: the only things that differ between providers. */
export interface ServerEndpoint {
  /** Connection settings of the administrator for `database`. */
  admin(database: string): ClientConfig;
  /** Same server, logging in as `user` with `password` (over TCP, so password auth applies). */
  loginAs(user: string, password: string, database: string): ClientConfig;
  /** A database that exists on the server and that the administrator may connect to. */
  readonly maintenanceDatabase: string;
  /** Names the server in messages; never contains a password. */
  readonly label: string;
}

/** Options of `openServer`. */
export interface OpenServerOptions {
  signal: AbortSignal;
  /** Releases what the provider started (a process, a container); runs once, on close(). */
  onClose?: () => Promise<void>;
  /** The server's processes run on this machine (embedded), so their memory can be read in /proc. */
  local?: boolean;
}

/** Servers checked by this process, by endpoint: concurrent reviews (the App runs several) share one check. */
const prepared = new Map<string, Promise<ServerFacts>>();

function preparedOnce(endpoint: ServerEndpoint): Promise<ServerFacts> {
  const key = JSON.stringify({ ...endpoint.admin(endpoint.maintenanceDatabase), password: undefined });
  let facts = prepared.get(key);
  if (!facts) {
    facts = withAdmin(endpoint, (client) => prepareServer(client, endpoint));
    prepared.set(key, facts);
    facts.catch(() => prepared.delete(key));
  }
  return facts;
}

/**
 * Checks the server and the administrator's privileges (once per process), then returns the ShadowServer.
 * Throws ShadowStartError when the server cannot be reached, is too old or the admin lacks privileges.
 */
export async function openServer(endpoint: ServerEndpoint, opts: OpenServerOptions): Promise<ShadowServer> {
  const facts = await preparedOnce(endpoint);
  opts.signal.throwIfAborted();
  let closing: Promise<void> | undefined;
  return {
    version: facts.version,
    major: facts.major,
    admin: facts.admin,
    local: opts.local ?? false,
    maintenanceDatabase: endpoint.maintenanceDatabase,
    adminConfig: (database) => endpoint.admin(database),
    loginConfig: (role, password, database) => endpoint.loginAs(role, password, database),
    close: () => (closing ??= closeAdminConnections(endpoint.admin(endpoint.maintenanceDatabase)).then(() => opts.onClose?.())),
  };
}

async function withAdmin<T>(endpoint: ServerEndpoint, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ ...endpoint.admin(endpoint.maintenanceDatabase), connectionTimeoutMillis: 10_000 });
  // An idle client's socket error must not crash the process; the failing query reports it.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw new ShadowStartError(`Could not connect to ${endpoint.label}: ${redact(messageOf(error))}`, { cause: error });
  }
  try {
    return await work(client);
  } catch (error) {
    if (error instanceof ShadowStartError) throw error;
    throw new ShadowStartError(`Could not prepare ${endpoint.label}: ${redact(messageOf(error))}`, { cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface ServerFacts {
  version: string;
  major: number;
  admin: AdminPowers;
}

interface AdminRow {
  version: string;
  num: string;
  user: string;
  super: boolean;
  createdb: boolean;
  createrole: boolean;
  tmpdir: boolean;
  /** pg_postmaster_start_time() and pg_conf_load_time(): a restart or a reload (of pg_hba.conf too) changes them. */
  started: string;
  loaded: string;
}

async function prepareServer(client: pg.Client, endpoint: ServerEndpoint): Promise<ServerFacts> {
  const { rows } = await client.query<AdminRow>(
    `SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num,
            current_user AS user, rolsuper AS super, rolcreatedb AS createdb, rolcreaterole AS createrole,
            has_function_privilege('pg_ls_tmpdir()', 'EXECUTE') AS tmpdir,
            pg_postmaster_start_time()::text AS started, pg_conf_load_time()::text AS loaded
       FROM pg_roles WHERE rolname = current_user`,
  );
  const me = rows[0];
  if (!me) throw new ShadowStartError(`Could not read the admin role of ${endpoint.label}`);
  // server_version can carry a distribution suffix ("16.4 (Debian 16.4-1)"); keep the number.
  const facts = {
    version: me.version.split(' ')[0] ?? me.version,
    major: Math.floor(Number(me.num) / 10_000),
    admin: { superuser: me.super, listTempFiles: me.tmpdir },
  };
  if (facts.major < MIN_MAJOR)
    throw new ShadowStartError(`${endpoint.label} runs PostgreSQL ${facts.version}; the shadow server must be PostgreSQL ${MIN_MAJOR} or later.`);
  assertAdminPrivileges(me, endpoint);
  await assertMayCapTempFiles(client, me, facts.major, endpoint);
  await checkReviewLoginOnce(client, endpoint, me);
  return facts;
}

function assertAdminPrivileges(me: AdminRow, endpoint: ServerEndpoint): void {
  if (me.super) return;
  const missing = [!me.createdb && 'CREATEDB', !me.createrole && 'CREATEROLE'].filter(Boolean);
  if (missing.length === 0) return;
  throw new ShadowStartError(
    `The role "${me.user}" on ${endpoint.label} is not a superuser and lacks ${missing.join(' and ')}; ` +
      'Drillbot needs SUPERUSER, or CREATEDB and CREATEROLE, to create shadow databases and the roles that run migrations.',
  );
}

/**
 * temp_file_limit is the one cap PostgreSQL enforces itself, and only a superuser (or, from PG15, a
 * role granted SET on it) may set it on the review roles: without it the drill would run uncapped.
 */
async function assertMayCapTempFiles(client: pg.Client, me: AdminRow, major: number, endpoint: ServerEndpoint): Promise<void> {
  if (me.super) return;
  if (major >= 15) {
    const { rows } = await client.query<{ ok: boolean }>(`SELECT has_parameter_privilege('temp_file_limit', 'SET') AS ok`);
    if (rows[0]?.ok) return;
  }
  throw new ShadowStartError(
    `The role "${me.user}" on ${endpoint.label} may not set temp_file_limit, which caps the migrations' temporary files; ` +
      (major >= 15 ? `a superuser can allow it: GRANT SET ON PARAMETER temp_file_limit TO ${quoteIdent(me.user)}.` : 'use a superuser on PostgreSQL 14.'),
  );
}

/**
 * The login check, once per cluster: a marker file in the cache dir, named by the endpoint and the
 * times the server started and last loaded its configuration, records that it passed (pg_hba.conf
 * cannot change what it allows without a reload, which is a new marker).
 */
async function checkReviewLoginOnce(admin: pg.Client, endpoint: ServerEndpoint, me: AdminRow): Promise<void> {
  const { host, port, user, database } = endpoint.admin(endpoint.maintenanceDatabase);
  const key = createHash('sha256')
    .update(JSON.stringify([host, port, user, database, me.started, me.loaded]))
    .digest('hex');
  const marker = path.join(defaultCacheDir(), 'logins', key);
  if (existsSync(marker)) return;
  await checkReviewLogin(admin, endpoint);
  // A cache dir that cannot be written only means checking again next time.
  await mkdir(path.dirname(marker), { recursive: true })
    .then(() => writeFile(marker, `${new Date().toISOString()}\n`))
    .catch(() => undefined);
}

/**
 * Logs in once as a throwaway role like the ones migrations run as, so a pg_hba.conf that refuses
 * them fails the start instead of the first migration. A missing CONNECT privilege still proves the
 * password was accepted.
 */
async function checkReviewLogin(admin: pg.Client, endpoint: ServerEndpoint): Promise<void> {
  const role = `drillbot_r_probe_${randomBytes(6).toString('hex')}`;
  const password = randomBytes(24).toString('hex');
  await admin.query(`CREATE ROLE ${quoteIdent(role)} LOGIN PASSWORD ${quoteLiteral(scramVerifier(password))}`);
  const client = new pg.Client({ ...endpoint.loginAs(role, password, endpoint.maintenanceDatabase), connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '42501' || code === '3D000') return;
    throw new ShadowStartError(
      `${endpoint.label} refused the login of the role ${role}: ${redact(messageOf(error))}. ` +
        'Allow password (scram-sha-256) logins of the roles drillbot_r_* in pg_hba.conf.',
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
    await admin.query(`DROP ROLE ${quoteIdent(role)}`);
  }
}

/** SCRAM-SHA-256 verifier as stored in pg_authid (RFC 5802, as PostgreSQL computes it). */
export function scramVerifier(password: string, iterations = 4096): string {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** Returns a rejection handler that swallows one SQLSTATE and rethrows anything else. */
export function ignoreCode(code: string): (error: unknown) => void {
  return (error) => {
    if ((error as { code?: string }).code !== code) throw error;
  };
}

/** The message of an unknown thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
