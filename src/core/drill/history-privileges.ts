import type pg from 'pg';
import type { HistoryPrivileges } from '../config.js';
import { HistoryPrivilegeError } from '../errors.js';
import { setSuperuser, withAdminClient, type ShadowDatabase, type Vet } from './databases.js';
import type { ShadowServer } from './providers/provider.js';
import { quoteIdent } from '../sql/quote.js';

/**
 * shadow.historyPrivileges: superuser. The base history (already merged, so as trusted as
 * production's own migrations) replays as a superuser where production's migrations ran as one
 * (e.g. `ALTER TABLE … DISABLE TRIGGER ALL`). Only the replay does: its role is demoted as soon as
 * the replay ends, its objects are handed to pg_database_owner like any template's, and the
 * template is refused when the replay left something through which the change, running as the
 * clone's plain owner role, could act with a superuser's rights.
 */

/** Refuses a superuser history up front when the admin cannot grant superuser (a url server's non-superuser admin). */
export function assertCanGrantSuperuser(server: ShadowServer, privileges: HistoryPrivileges): void {
  if (privileges !== 'superuser' || server.admin.superuser) return;
  throw new HistoryPrivilegeError(
    'The base history is to replay as a superuser (shadow.historyPrivileges), but the shadow PostgreSQL admin is not a superuser, so it cannot grant that. ' +
      'Connect as a superuser (--database-url), use the embedded provider, or set shadow.historyPrivileges: owner',
  );
}

/** Runs the replay as a superuser when asked, and demotes the role again however the replay ends. */
export async function withHistoryPrivileges<T>(
  server: ShadowServer,
  database: ShadowDatabase,
  privileges: HistoryPrivileges,
  replay: () => Promise<T>,
): Promise<T> {
  if (privileges === 'owner') return replay();
  await setSuperuser(server, database.role, true);
  try {
    return await replay();
  } finally {
    await setSuperuser(server, database.role, false);
  }
}

/**
 * The vetting of a template a superuser history will build in `database`, taken before the replay
 * (the grants the database starts with, from template1, are not the history's); none for an
 * owner's history, which could not have left any of this.
 */
export async function vetFor(server: ShadowServer, database: ShadowDatabase, privileges: HistoryPrivileges): Promise<Vet | undefined> {
  if (privileges !== 'superuser') return undefined;
  const before = new Set(await withAdminClient(server, (client) => column(client, FOREIGN_GRANTS, [database.role]), database.name));
  return (client, role) => vetSuperuserHistory(client, role, before);
}

const SYSTEM_SCHEMAS = `('pg_catalog', 'information_schema')`;

/**
 * What a superuser may leave in a database that the database's owner could then use to act as a
 * superuser. Each query returns one line per object, naming it.
 */
const ESCALATIONS: ReadonlyArray<{ why: string; sql: string }> = [
  {
    why: 'event triggers (they fire on every DDL statement of any role, and only a superuser may own one)',
    sql: `SELECT quote_ident(evtname) FROM pg_event_trigger`,
  },
  {
    why: 'SECURITY DEFINER functions owned by a superuser (they run with its rights for whoever calls them)',
    sql: `SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner WHERE p.prosecdef AND r.rolsuper`,
  },
  {
    why: 'extensions that are not trusted (only a superuser may install them, and their owner may call all they hold)',
    sql: `SELECT quote_ident(e.extname) FROM pg_extension e
            JOIN pg_available_extension_versions v ON v.name = e.extname AND v.version = e.extversion
           WHERE v.superuser AND NOT v.trusted`,
  },
  {
    why: 'functions in untrusted languages outside an extension (C, internal, plpython3u, plperlu: code that runs unchecked in the server)',
    sql: `SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
           WHERE NOT l.lanpltrusted AND p.pronamespace NOT IN (SELECT oid FROM pg_namespace WHERE nspname IN ${SYSTEM_SCHEMAS})
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')`,
  },
  {
    why: 'untrusted procedural languages',
    sql: `SELECT quote_ident(lanname) FROM pg_language WHERE lanispl AND NOT lanpltrusted`,
  },
];

/**
 * Privileges granted on objects the clone's owner will not own (pg_catalog's functions, tables
 * owned by another role), to any role but the object's owner and the replay's own role (whose
 * grants go with it): `GRANT EXECUTE ON FUNCTION pg_read_file(text) TO PUBLIC` is one.
 */
const FOREIGN_GRANTS = `
  WITH objects(kind, name, acl, owner) AS (
    SELECT 'function', oid::regprocedure::text, proacl, proowner FROM pg_proc
    UNION ALL SELECT 'relation', oid::regclass::text, relacl, relowner FROM pg_class
    UNION ALL SELECT 'column', format('%s.%s', a.attrelid::regclass, quote_ident(a.attname)), a.attacl, c.relowner
                FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid WHERE a.attacl IS NOT NULL
    UNION ALL SELECT 'schema', quote_ident(nspname), nspacl, nspowner FROM pg_namespace
    UNION ALL SELECT 'type', oid::regtype::text, typacl, typowner FROM pg_type
    UNION ALL SELECT 'language', quote_ident(lanname), lanacl, lanowner FROM pg_language
    UNION ALL SELECT 'foreign data wrapper', quote_ident(fdwname), fdwacl, fdwowner FROM pg_foreign_data_wrapper
    UNION ALL SELECT 'server', quote_ident(srvname), srvacl, srvowner FROM pg_foreign_server
    UNION ALL SELECT 'large object', oid::text, lomacl, lomowner FROM pg_largeobject_metadata
  )
  SELECT format('%s to %s on %s %s', string_agg(x.privilege_type, ', ' ORDER BY x.privilege_type),
                CASE x.grantee WHEN 0 THEN 'PUBLIC' ELSE x.grantee::regrole::text END, o.kind, o.name)
    FROM objects o, aclexplode(o.acl) x
   WHERE o.acl IS NOT NULL AND o.owner NOT IN ('pg_database_owner'::regrole, $1::regrole) AND x.grantee NOT IN (o.owner, $1::regrole)
   GROUP BY o.kind, o.name, x.grantee`;

/** Roles, other than the replay's, that own objects in this database (the bootstrap superuser's are not recorded there). */
const OTHER_OWNERS = `
  SELECT DISTINCT r.rolname, EXISTS (SELECT 1 FROM pg_database WHERE datdba = r.oid) OR EXISTS (SELECT 1 FROM pg_tablespace WHERE spcowner = r.oid) AS shared
    FROM pg_shdepend d JOIN pg_roles r ON r.oid = d.refobjid
   WHERE d.dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND d.deptype = 'o'
     AND d.refclassid = 'pg_authid'::regclass AND r.rolname NOT IN ($1, 'pg_database_owner')`;

/**
 * Vets what a superuser history left, then hands the objects it gave to other roles (`ALTER … OWNER
 * TO app`) to pg_database_owner too, so the change meets them owned by its role as production's
 * migrator would; refuses the template (HistoryPrivilegeError) when something would let the change escalate.
 */
async function vetSuperuserHistory(client: pg.ClientBase, role: string, grantedBefore: ReadonlySet<string>): Promise<void> {
  const problems: string[] = [];
  for (const { why, sql } of ESCALATIONS) {
    const names = await column(client, sql);
    if (names.length > 0) problems.push(`${why}: ${names.join(', ')}`);
  }
  const owners = (await client.query<{ rolname: string; shared: boolean }>(OTHER_OWNERS, [role])).rows;
  const sharing = owners.filter((o) => o.shared).map((o) => o.rolname);
  if (sharing.length > 0) problems.push(`objects owned by roles that also own databases or tablespaces, which cannot be handed over: ${sharing.join(', ')}`);
  if (problems.length === 0) {
    for (const o of owners) await client.query(`REASSIGN OWNED BY ${quoteIdent(o.rolname)} TO pg_database_owner`);
    const grants = (await column(client, FOREIGN_GRANTS, [role])).filter((grant) => !grantedBefore.has(grant));
    if (grants.length > 0) problems.push(`privileges granted on objects the migrator does not own: ${grants.join('; ')}`);
  }
  if (problems.length > 0) {
    throw new HistoryPrivilegeError(
      `The base history, replayed as a superuser (shadow.historyPrivileges), left what would let the change act as a superuser, so its template is refused: ${problems.join('; ')}`,
    );
  }
}

async function column(client: pg.ClientBase, sql: string, params: unknown[] = []): Promise<string[]> {
  const { rows } = await client.query<Record<string, string>>(sql, params);
  return rows.map((row) => Object.values(row)[0]!);
}
