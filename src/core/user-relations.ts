/**
 * Which catalog objects are the user's: the one answer the drill's snapshot, seeder, data
 * fingerprint, relation state and reach, and the stats collector share, so that they never
 * disagree about what a migration can touch. Each function returns an SQL condition over the
 * aliases the caller's query uses.
 */

/**
 * Schema `namespace` (a pg_namespace alias) holds user objects: not the system catalogs, not
 * information_schema, and not the per-backend TOAST and temporary schemas (pg_toast,
 * pg_toast_temp_N, pg_temp_N), whose contents are noise that comes and goes with sessions.
 * PostgreSQL reserves names starting with pg_ for itself, so the prefixes cannot hide a user schema.
 */
export function userSchema(namespace = 'n'): string {
  return `(${namespace}.nspname NOT IN ('pg_catalog', 'information_schema')
    AND ${namespace}.nspname NOT LIKE 'pg\\_toast%' AND ${namespace}.nspname NOT LIKE 'pg\\_temp%')`;
}

/**
 * The object `oid` of system catalog `catalog` (pg_class, pg_proc, pg_type, ...) was not made by
 * CREATE EXTENSION (or ALTER EXTENSION ... ADD): the extension owns it, its version stands for it.
 */
export function notExtensionMember(catalog: string, oid: string): string {
  return `NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend dep
    WHERE dep.classid = '${catalog}'::regclass AND dep.objid = ${oid} AND dep.deptype = 'e')`;
}

/** Relation `relation` (a pg_class alias) in schema `namespace` is a user relation. */
export function userRelation(relation = 'c', namespace = 'n'): string {
  return `(${userSchema(namespace)} AND ${notExtensionMember('pg_class', `${relation}.oid`)})`;
}

/**
 * One of the functions named in `names` (an SQL text[]) is the user's own (SQL, PL/pgSQL, ...)
 * and not IMMUTABLE: its body may read and write any table. An IMMUTABLE one may do neither:
 * PostgreSQL refuses writes in a non-volatile function, and an IMMUTABLE function must not look
 * up the database (CREATE FUNCTION's documentation), so calling it reaches no table.
 */
export function opaqueUserFunction(names: string): string {
  return `EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
    WHERE p.proname = ANY (${names}::text[]) AND l.lanname NOT IN ('c', 'internal') AND p.provolatile <> 'i' AND ${userSchema()})`;
}
