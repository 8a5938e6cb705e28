import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import pg from 'pg';
import type { ClientConfig } from 'pg';
import { ShadowStartError, redact } from '../../errors.js';
import type { ShadowProvider, ShadowServer } from './provider.js';

/**
 * The shared part of every provider: once a server answers, the embedded and testcontainers
 * providers hand it to `openServer` exactly as the URL provider does, so version checks, admin
 * checks and the migrator role live here once.
 */

/** Name of the unprivileged role that runs untrusted migration SQL. */
export const MIGRATOR_ROLE = 'drillbot_migrator';

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

/** Connects to an existing server given by URL. Never touches databases it did not create. */
export function createUrlProvider(url: string): ShadowProvider {
  return {
    kind: 'url',
    async start({ signal }) {
      signal.throwIfAborted();
      return openServer(endpointFromUrl(url), { signal });
    },
  };
}

/** Builds an endpoint from a postgres:// URL, keeping host, port and TLS settings for every login. */
export function endpointFromUrl(url: string): ServerEndpoint {
  const base = parseUrl(url);
  const maintenanceDatabase = base.database ?? 'postgres';
  return {
    admin: (database) => ({ ...base, database }),
    loginAs: (user, password, database) => ({ ...base, user, password, database }),
    maintenanceDatabase,
    label: `PostgreSQL at ${redact(url)}`,
  };
}

function parseUrl(url: string): ClientConfig {
  let parsed: pg.Client;
  try {
    // pg's own parser, so query parameters (host=/socket, sslmode, …) mean what they mean to pg.
    // A Client does not connect until connect() is called.
    parsed = new pg.Client({ connectionString: url });
  } catch (error) {
    throw new ShadowStartError(`The database URL is not valid: ${redact(String(url))}`, { cause: error });
  }
  const { host, port, user, password, database, ssl } = parsed;
  return { host, port, user, password: password ?? undefined, database, ssl, application_name: 'drillbot' };
}

/** Options of `openServer`. */
export interface OpenServerOptions {
  signal: AbortSignal;
  /** Releases what the provider started (a process, a container); runs once, on close(). */
  onClose?: () => Promise<void>;
}

/** One migrator password per process: every server this process opens logs the migrator in with it. */
const MIGRATOR_PASSWORD = randomBytes(24).toString('hex');

/**
 * Servers prepared by this process, by endpoint. Concurrent reviews (the App runs several) share
 * one preparation: two ALTER ROLE of the same role at once fail ("tuple concurrently updated"),
 * and a new password would break the other review's next login. A failed preparation is retried.
 */
const prepared = new Map<string, Promise<ServerFacts>>();

function preparedOnce(endpoint: ServerEndpoint): Promise<ServerFacts> {
  const key = JSON.stringify({ ...endpoint.admin(endpoint.maintenanceDatabase), password: undefined });
  let facts = prepared.get(key);
  if (!facts) {
    facts = withAdmin(endpoint, (client) => prepareServer(client, endpoint, MIGRATOR_PASSWORD)).then(async (f) => {
      await checkMigratorLogin(endpoint, MIGRATOR_PASSWORD);
      return f;
    });
    prepared.set(key, facts);
    facts.catch(() => prepared.delete(key));
  }
  return facts;
}

/**
 * Checks the server and prepares the migrator role (once per process), then returns the ShadowServer.
 * Throws ShadowStartError when the server cannot be reached or the admin lacks privileges.
 */
export async function openServer(endpoint: ServerEndpoint, opts: OpenServerOptions): Promise<ShadowServer> {
  const facts = await preparedOnce(endpoint);
  opts.signal.throwIfAborted();
  let closing: Promise<void> | undefined;
  return {
    version: facts.version,
    major: facts.major,
    migratorRole: MIGRATOR_ROLE,
    maintenanceDatabase: endpoint.maintenanceDatabase,
    adminConfig: (database) => endpoint.admin(database),
    migratorConfig: (database) => endpoint.loginAs(MIGRATOR_ROLE, MIGRATOR_PASSWORD, database),
    close: () => (closing ??= opts.onClose?.() ?? Promise.resolve()),
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
}

async function prepareServer(client: pg.Client, endpoint: ServerEndpoint, migratorPassword: string): Promise<ServerFacts> {
  const { rows } = await client.query<{ version: string; num: string; user: string; super: boolean; createdb: boolean; createrole: boolean }>(
    `SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num,
            current_user AS user, rolsuper AS super, rolcreatedb AS createdb, rolcreaterole AS createrole
       FROM pg_roles WHERE rolname = current_user`,
  );
  const me = rows[0];
  if (!me) throw new ShadowStartError(`Could not read the admin role of ${endpoint.label}`);
  assertAdminPrivileges(me, endpoint);
  await ensureMigratorRole(client, migratorPassword, me.super);
  // server_version can carry a distribution suffix ("16.4 (Debian 16.4-1)"); keep the number.
  return { version: me.version.split(' ')[0] ?? me.version, major: Math.floor(Number(me.num) / 10_000) };
}

function assertAdminPrivileges(me: { user: string; super: boolean; createdb: boolean; createrole: boolean }, endpoint: ServerEndpoint): void {
  if (me.super) return;
  const missing = [!me.createdb && 'CREATEDB', !me.createrole && 'CREATEROLE'].filter(Boolean);
  if (missing.length === 0) return;
  throw new ShadowStartError(
    `The role "${me.user}" on ${endpoint.label} is not a superuser and lacks ${missing.join(' and ')}; ` +
      'Drillbot needs SUPERUSER, or CREATEDB and CREATEROLE, to create shadow databases and its migrator role.',
  );
}

/**
 * Creates the migrator role if needed and resets its attributes and password. The password is new
 * on every start so that it never has to be stored; it is sent as a SCRAM verifier, so the
 * plain text never reaches the server (nor its statement log).
 */
async function ensureMigratorRole(client: pg.Client, password: string, adminIsSuperuser: boolean): Promise<void> {
  const role = quoteIdent(MIGRATOR_ROLE);
  const exists = await client.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [MIGRATOR_ROLE]);
  if (exists.rowCount === 0) {
    // Another drillbot may create it between our check and CREATE; that is fine.
    await client.query(`CREATE ROLE ${role}`).catch(ignoreCode('42710'));
  }
  // Only a superuser may name SUPERUSER, REPLICATION and BYPASSRLS, even to turn them off;
  // otherwise assertMigratorIsPlain checks them.
  const superOnly = adminIsSuperuser ? ' NOSUPERUSER NOREPLICATION NOBYPASSRLS' : '';
  await client.query(
    `ALTER ROLE ${role} WITH LOGIN NOCREATEDB NOCREATEROLE${superOnly} CONNECTION LIMIT -1 ` +
      `VALID UNTIL 'infinity' PASSWORD ${quoteLiteral(scramVerifier(password))}`,
  );
  await assertMigratorIsPlain(client);
  await assertMigratorHasNoMemberships(client);
  // A non-superuser admin can create databases OWNED BY the migrator only as a member of it
  // (https://www.postgresql.org/docs/current/sql-createdatabase.html).
  if (!adminIsSuperuser) await client.query(`GRANT ${role} TO CURRENT_USER`);
}

async function assertMigratorIsPlain(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ rolsuper: boolean; rolreplication: boolean; rolbypassrls: boolean }>(
    `SELECT rolsuper, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = $1`,
    [MIGRATOR_ROLE],
  );
  const granted = Object.entries(rows[0] ?? {}).filter(([, on]) => on).map(([name]) => name.slice(3).toUpperCase());
  if (granted.length === 0) return;
  throw new ShadowStartError(`The role ${MIGRATOR_ROLE} has ${granted.join(', ')}; a superuser must remove it: migrations run as this role.`);
}

/** Membership in another role would hand untrusted SQL that role's privileges. */
async function assertMigratorHasNoMemberships(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ rolname: string }>(
    `SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
       JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = $1`,
    [MIGRATOR_ROLE],
  );
  if (rows.length === 0) return;
  throw new ShadowStartError(
    `The role ${MIGRATOR_ROLE} is a member of ${rows.map((r) => r.rolname).join(', ')}; ` +
      'revoke those memberships: migrations run as this role and must not inherit privileges.',
  );
}

/**
 * Logs in once as the migrator, so a pg_hba.conf that refuses it fails the start instead of the
 * first migration. A missing CONNECT privilege or database still proves the password was accepted.
 */
async function checkMigratorLogin(endpoint: ServerEndpoint, password: string): Promise<void> {
  const client = new pg.Client({ ...endpoint.loginAs(MIGRATOR_ROLE, password, endpoint.maintenanceDatabase), connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '42501' || code === '3D000') return;
    throw new ShadowStartError(
      `${endpoint.label} refused the login of ${MIGRATOR_ROLE}: ${redact(messageOf(error))}. ` +
        'Allow password (scram-sha-256) logins for it in pg_hba.conf.',
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
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

/** Quotes an SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes an SQL string literal (standard_conforming_strings is on since PG 9.1). */
export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
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
