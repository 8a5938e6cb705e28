import type { ClientBase } from 'pg';
import { isDeepStrictEqual } from 'node:util';
import { notExtensionMember, userRelation, userSchema } from '../user-relations.js';
import { pinAndSaveSql, restoreSql, RESTORE_SQL, TEXT_FORMS } from './pinned-settings.js';
import { preparedQuery } from './prepared.js';

/** Object types in the order differences are listed. */
export const SCHEMA_OBJECT_TYPES = [
  'schema',
  'extension',
  'type',
  'domain',
  'sequence',
  'table',
  'column',
  'constraint',
  'index',
  'view',
  'materialized view',
  'function',
  'procedure',
  'aggregate',
  'trigger',
  'policy',
] as const;

export type SchemaObjectType = (typeof SCHEMA_OBJECT_TYPES)[number];

// Every name below is schema-qualified, each part quoted only where PostgreSQL needs it
// (quote_ident), so two snapshots of the same schema compare equal whatever the search_path.
// Expressions and definitions are PostgreSQL's own deparsed text (pg_get_expr, format_type, ...).

/** An object of a table: `name` is `table.member`. */
interface TableMember {
  readonly name: string;
  /** The qualified table. */
  readonly table: string;
  /** The member's own name, quoted as needed. */
  readonly member: string;
}

export interface SchemaEntry {
  readonly objectType: 'schema';
  readonly name: string;
}

export interface ExtensionEntry {
  readonly objectType: 'extension';
  readonly name: string;
  readonly version: string;
  readonly schema: string;
}

export interface TableEntry {
  readonly objectType: 'table';
  readonly name: string;
  readonly tableKind: 'table' | 'partitioned table' | 'foreign table';
  readonly unlogged: boolean;
  /** pg_get_partkeydef of a partitioned table, e.g. `RANGE (at)`. */
  readonly partitionKey: string | null;
  /** A partition's bound, e.g. `FOR VALUES IN (1)`; null for a table that is not a partition. */
  readonly partitionBound: string | null;
  /** The partitioned table of a partition, or the tables it inherits from, in order. */
  readonly parents: readonly string[];
  readonly rowSecurity: boolean;
  readonly forceRowSecurity: boolean;
  /** Storage parameters as `name=value`, or null when none are set. */
  readonly options: readonly string[] | null;
}

export interface ColumnEntry extends TableMember {
  readonly objectType: 'column';
  /** format_type, e.g. `character varying(20)`. */
  readonly type: string;
  /** A collation other than the type's default, e.g. `"C"`. */
  readonly collation: string | null;
  readonly notNull: boolean;
  readonly identity: 'always' | 'by default' | null;
  readonly generated: { readonly kind: 'STORED' | 'VIRTUAL'; readonly expression: string } | null;
  /** The default expression (never set together with `generated`). */
  readonly default: string | null;
}

export interface ConstraintEntry extends TableMember {
  readonly objectType: 'constraint';
  /** pg_constraint.contype: p, u, f, c, x or t. */
  readonly constraintType: string;
  /** The constrained columns of the table, in key order (empty for a table-wide CHECK). */
  readonly columns: readonly string[];
  /** pg_get_constraintdef, with DEFERRABLE / INITIALLY DEFERRED / NOT VALID. */
  readonly definition: string;
}

export interface IndexEntry {
  readonly objectType: 'index';
  readonly name: string;
  readonly table: string;
  /** pg_get_indexdef: `CREATE INDEX ... ON [ONLY] table USING ...`. */
  readonly definition: string;
  readonly valid: boolean;
  /** The constraint this index backs (primary key, unique, exclusion), if any. */
  readonly constraint: string | null;
}

export interface SequenceEntry {
  readonly objectType: 'sequence';
  readonly name: string;
  readonly dataType: string;
  // int8 values, as PostgreSQL prints them.
  readonly increment: string;
  readonly min: string;
  readonly max: string;
  readonly start: string;
  readonly cache: string;
  readonly cycle: boolean;
  /** The column the sequence is OWNED BY, qualified. */
  readonly ownedBy: string | null;
}

export interface ViewEntry {
  readonly objectType: 'view' | 'materialized view';
  readonly name: string;
  /** pg_get_viewdef. */
  readonly definition: string;
  readonly options: readonly string[] | null;
  readonly populated: boolean;
}

export interface RoutineEntry {
  readonly objectType: 'function' | 'procedure' | 'aggregate';
  /** Qualified name with the identity arguments, e.g. `public.f(a integer)`. */
  readonly name: string;
  /** pg_get_functiondef; an aggregate (which it rejects) is described by its result type. */
  readonly definition: string;
}

export interface TriggerEntry extends TableMember {
  readonly objectType: 'trigger';
  /** pg_get_triggerdef. */
  readonly definition: string;
  /** pg_trigger.tgenabled: O (origin), D (disabled), R (replica), A (always). */
  readonly enabled: 'O' | 'D' | 'R' | 'A';
}

export interface TypeEntry {
  readonly objectType: 'type';
  readonly name: string;
  readonly variety: 'enum' | 'composite' | 'range';
  /** An enum's labels in sort order, each as an SQL literal. */
  readonly labels: readonly string[] | null;
  readonly fields: readonly { readonly name: string; readonly type: string }[] | null;
  /** A range's subtype. */
  readonly subtype: string | null;
}

export interface DomainEntry {
  readonly objectType: 'domain';
  readonly name: string;
  readonly baseType: string;
  readonly notNull: boolean;
  readonly default: string | null;
  readonly checks: readonly { readonly name: string; readonly definition: string }[];
}

export interface PolicyEntry extends TableMember {
  readonly objectType: 'policy';
  readonly permissive: boolean;
  readonly command: 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE' | 'ALL';
  /** Role names (quoted as needed) or PUBLIC, sorted. */
  readonly roles: readonly string[];
  readonly using: string | null;
  readonly withCheck: string | null;
}

/** One object of the user-visible schema, as read from the catalogs. */
export type SchemaObject =
  | SchemaEntry
  | ExtensionEntry
  | TableEntry
  | ColumnEntry
  | ConstraintEntry
  | IndexEntry
  | SequenceEntry
  | ViewEntry
  | RoutineEntry
  | TriggerEntry
  | TypeEntry
  | DomainEntry
  | PolicyEntry;

/** The user-visible schema of a database, keyed `"<object type> <qualified name>"`, in key order. */
export type SchemaSnapshot = ReadonlyMap<string, SchemaObject>;

/** One way in which two snapshots differ; `before`/`after` are the object on each side. */
export interface SchemaDifference {
  change: 'added' | 'removed' | 'changed';
  objectType: SchemaObjectType;
  name: string;
  before?: SchemaObject;
  after?: SchemaObject;
}

export interface SnapshotOptions {
  /** Schemas to leave out entirely (for example Drillbot's own bookkeeping schema). */
  excludeSchemas?: string[];
}

/**
 * Narrows the snapshot to a checkpoint's scope (checkpoint-scope.ts): SQL conditions over a
 * query's aliases. Schemas and extensions are never in a scope: a migration that touches them
 * takes the full snapshot.
 */
export interface SnapshotScope {
  /** The relation (table, view, sequence, index) with this oid is in scope, and so are its members. */
  readonly relation: (oid: string) => string;
  /** The object with this oid of this catalog (pg_constraint, pg_trigger, pg_proc, pg_type) is in scope. */
  readonly object: (catalog: string, oid: string) => string;
}

/** ` AND <condition>` when the snapshot is scoped; nothing for the full snapshot. */
const within = (scope: SnapshotScope | undefined, condition: (scope: SnapshotScope) => string): string => (scope ? ` AND ${condition(scope)}` : '');

// $1 is the caller's excludeSchemas.
const INCLUDED_SCHEMA = `n.nspname <> ALL($1::text[]) AND ${userSchema()}`;
const INCLUDED_RELATION = `n.nspname <> ALL($1::text[]) AND ${userRelation()}`;

const QUALIFIED_REL = `quote_ident(n.nspname) || '.' || quote_ident(c.relname)`;

/** The columns every member of a table reads: its key name, table and own name. */
const memberOf = (member: string): string =>
  `${QUALIFIED_REL} || '.' || quote_ident(${member}) AS name, ${QUALIFIED_REL} AS "table", quote_ident(${member}) AS member`;

const schemasSql = (s?: SnapshotScope): string => `
SELECT 'schema' AS "objectType", quote_ident(n.nspname) AS name
FROM pg_namespace n
WHERE ${INCLUDED_SCHEMA} AND ${notExtensionMember('pg_namespace', 'n.oid')}${within(s, () => 'false')}`;

const extensionsSql = (s?: SnapshotScope): string => `
SELECT 'extension' AS "objectType", quote_ident(e.extname) AS name, e.extversion AS version, quote_ident(n.nspname) AS schema
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE ${INCLUDED_SCHEMA}${within(s, () => 'false')}`;

const tablesSql = (s?: SnapshotScope): string => `
SELECT 'table' AS "objectType", ${QUALIFIED_REL} AS name,
  CASE c.relkind WHEN 'p' THEN 'partitioned table' WHEN 'f' THEN 'foreign table' ELSE 'table' END AS "tableKind",
  c.relpersistence = 'u' AS unlogged,
  pg_get_partkeydef(c.oid) AS "partitionKey",
  CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS "partitionBound",
  coalesce(parents.names, '{}') AS parents,
  c.relrowsecurity AS "rowSecurity", c.relforcerowsecurity AS "forceRowSecurity", c.reloptions AS options
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN LATERAL (
  SELECT array_agg(quote_ident(pn.nspname) || '.' || quote_ident(pc.relname) ORDER BY i.inhseqno) AS names
  FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace
  WHERE i.inhrelid = c.oid) parents ON true
WHERE c.relkind IN ('r', 'p', 'f') AND ${INCLUDED_RELATION}${within(s, (x) => x.relation('c.oid'))}`;

// Keyed by name, not attnum: a reverse migration that re-adds a column puts it last, and that
// is not a difference anyone can act on. Inherited (non-local) columns are implied by the parent.
const columnsSql = (s?: SnapshotScope): string => `
SELECT 'column' AS "objectType", ${memberOf('a.attname')},
  format_type(a.atttypid, a.atttypmod) AS type,
  CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0 THEN a.attcollation::regcollation::text END AS collation,
  a.attnotnull AS "notNull",
  CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END AS identity,
  CASE WHEN a.attgenerated <> '' THEN json_build_object('kind', CASE a.attgenerated WHEN 's' THEN 'STORED' ELSE 'VIRTUAL' END,
                                                        'expression', pg_get_expr(ad.adbin, ad.adrelid)) END AS generated,
  CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END AS "default"
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
WHERE c.relkind IN ('r', 'p', 'f') AND a.attnum > 0 AND NOT a.attisdropped AND a.attislocal
  AND ${INCLUDED_RELATION}${within(s, (x) => x.relation('c.oid'))}`;

// contype 'n' (PostgreSQL 18 catalogues NOT NULL as constraints) is covered by the column's
// notNull, and leaving it out keeps snapshots comparable across 15-18. Constraints cloned onto
// partitions (conparentid) or inherited (not conislocal) are implied by the parent's.
const constraintsSql = (s?: SnapshotScope): string => `
SELECT 'constraint' AS "objectType", ${memberOf('co.conname')}, co.contype AS "constraintType",
  coalesce((SELECT array_agg(quote_ident(a.attname) ORDER BY k.ord) FROM unnest(co.conkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum), '{}') AS columns,
  pg_get_constraintdef(co.oid) AS definition
FROM pg_constraint co
JOIN pg_class c ON c.oid = co.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE co.contype <> 'n' AND co.conislocal AND co.conparentid = 0 AND ${INCLUDED_RELATION}${within(s, (x) => `(${x.relation('c.oid')} OR ${x.object('pg_constraint', 'co.oid')})`)}`;

// Partition indexes are implied by the partitioned index they are attached to.
const indexesSql = (s?: SnapshotScope): string => `
SELECT 'index' AS "objectType", quote_ident(n.nspname) || '.' || quote_ident(ic.relname) AS name, ${QUALIFIED_REL} AS "table",
  pg_get_indexdef(i.indexrelid) AS definition, i.indisvalid AS valid, quote_ident(co.conname) AS "constraint"
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_constraint co ON co.conindid = i.indexrelid AND co.conrelid = i.indrelid AND co.contype IN ('p', 'u', 'x')
WHERE NOT ic.relispartition AND ${INCLUDED_RELATION}${within(s, (x) => `(${x.relation('c.oid')} OR ${x.relation('ic.oid')})`)}`;

// The current value is data, not schema. Identity sequences (deptype 'i') are described by
// their column's identity.
const sequencesSql = (s?: SnapshotScope): string => `
SELECT 'sequence' AS "objectType", ${QUALIFIED_REL} AS name, format_type(s.seqtypid, NULL) AS "dataType",
  s.seqincrement::text AS increment, s.seqmin::text AS min, s.seqmax::text AS max, s.seqstart::text AS start,
  s.seqcache::text AS cache, s.seqcycle AS cycle,
  (SELECT quote_ident(tn.nspname) || '.' || quote_ident(tc.relname) || '.' || quote_ident(ta.attname)
   FROM pg_depend d
   JOIN pg_class tc ON tc.oid = d.refobjid
   JOIN pg_namespace tn ON tn.oid = tc.relnamespace
   JOIN pg_attribute ta ON ta.attrelid = d.refobjid AND ta.attnum = d.refobjsubid
   WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass
     AND d.deptype = 'a' LIMIT 1) AS "ownedBy"
FROM pg_sequence s
JOIN pg_class c ON c.oid = s.seqrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE ${INCLUDED_RELATION}
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i')${within(s, (x) => x.relation('c.oid'))}`;

const viewsSql = (s?: SnapshotScope): string => `
SELECT CASE c.relkind WHEN 'm' THEN 'materialized view' ELSE 'view' END AS "objectType", ${QUALIFIED_REL} AS name,
  pg_get_viewdef(c.oid) AS definition, c.reloptions AS options, c.relispopulated AS populated
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v', 'm') AND ${INCLUDED_RELATION}${within(s, (x) => x.relation('c.oid'))}`;

const functionsSql = (s?: SnapshotScope): string => `
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END AS "objectType",
  quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS name,
  CASE WHEN p.prokind = 'a' THEN 'aggregate returning ' || format_type(p.prorettype, NULL)
       ELSE pg_get_functiondef(p.oid) END AS definition
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE ${INCLUDED_SCHEMA} AND ${notExtensionMember('pg_proc', 'p.oid')}${within(s, (x) => x.object('pg_proc', 'p.oid'))}`;

// Triggers cloned onto partitions (tgparentid) are implied by the parent's trigger.
const triggersSql = (s?: SnapshotScope): string => `
SELECT 'trigger' AS "objectType", ${memberOf('tg.tgname')}, pg_get_triggerdef(tg.oid) AS definition, tg.tgenabled AS enabled
FROM pg_trigger tg
JOIN pg_class c ON c.oid = tg.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT tg.tgisinternal AND tg.tgparentid = 0 AND ${INCLUDED_RELATION}${within(s, (x) => `(${x.relation('c.oid')} OR ${x.object('pg_trigger', 'tg.oid')})`)}`;

// Table row types and array types are implied by their table / element type.
const typesSql = (s?: SnapshotScope): string => `
SELECT 'type' AS "objectType", quote_ident(n.nspname) || '.' || quote_ident(t.typname) AS name,
  CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'c' THEN 'composite' ELSE 'range' END AS variety,
  CASE WHEN t.typtype = 'e' THEN coalesce((SELECT array_agg(quote_literal(e.enumlabel) ORDER BY e.enumsortorder)
                                           FROM pg_enum e WHERE e.enumtypid = t.oid), '{}') END AS labels,
  CASE WHEN t.typtype = 'c' THEN coalesce((SELECT json_agg(json_build_object('name', quote_ident(a.attname), 'type', format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum)
                                           FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped), '[]') END AS fields,
  (SELECT format_type(r.rngsubtype, NULL) FROM pg_range r WHERE r.rngtypid = t.oid) AS subtype
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_class tc ON tc.oid = t.typrelid
WHERE t.typtype IN ('e', 'c', 'r') AND (t.typtype <> 'c' OR tc.relkind = 'c')
  AND ${INCLUDED_SCHEMA} AND ${notExtensionMember('pg_type', 't.oid')}${within(s, (x) => x.object('pg_type', 't.oid'))}`;

// PostgreSQL 17+ also catalogues a domain's NOT NULL as a constraint; typnotnull covers it.
const domainsSql = (s?: SnapshotScope): string => `
SELECT 'domain' AS "objectType", quote_ident(n.nspname) || '.' || quote_ident(t.typname) AS name,
  format_type(t.typbasetype, t.typtypmod) AS "baseType", t.typnotnull AS "notNull", t.typdefault AS "default",
  coalesce((SELECT json_agg(json_build_object('name', quote_ident(co.conname), 'definition', pg_get_constraintdef(co.oid)) ORDER BY co.conname)
            FROM pg_constraint co WHERE co.contypid = t.oid AND co.contype = 'c'), '[]') AS checks
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype = 'd' AND ${INCLUDED_SCHEMA} AND ${notExtensionMember('pg_type', 't.oid')}${within(s, (x) => x.object('pg_type', 't.oid'))}`;

const policiesSql = (s?: SnapshotScope): string => `
SELECT 'policy' AS "objectType", ${memberOf('pol.polname')}, pol.polpermissive AS permissive,
  CASE pol.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END AS command,
  (SELECT array_agg(r.name ORDER BY r.name)
   FROM (SELECT CASE WHEN role = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(role)) END AS name
         FROM unnest(pol.polroles) AS role) r) AS roles,
  pg_get_expr(pol.polqual, pol.polrelid) AS "using", pg_get_expr(pol.polwithcheck, pol.polrelid) AS "withCheck"
FROM pg_policy pol
JOIN pg_class c ON c.oid = pol.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE ${INCLUDED_RELATION}${within(s, (x) => x.relation('c.oid'))}`;

const SNAPSHOT_QUERIES = [
  schemasSql,
  extensionsSql,
  tablesSql,
  columnsSql,
  constraintsSql,
  indexesSql,
  sequencesSql,
  viewsSql,
  functionsSql,
  triggersSql,
  typesSql,
  domainsSql,
  policiesSql,
];

/** The snapshot's select list: a column per object type (t0, t1, ...), each holding its rows as one json array. */
export function snapshotColumns(scope?: SnapshotScope): string {
  return SNAPSHOT_QUERIES.map((sql, i) => `(SELECT coalesce(json_agg(q), '[]') FROM (${sql(scope)}) AS q) AS t${i}`).join(',\n  ');
}

/**
 * The snapshot in one query ($1: the excluded schemas). Its last column restores the caller's
 * settings ($2), once the lists are read (the CTE is computed before the row that reads it).
 */
const SNAPSHOT_SQL = `
WITH lists AS MATERIALIZED (
  SELECT ${snapshotColumns()}
)
SELECT lists.*, ${restoreSql('$2')} FROM lists`;

/**
 * What the snapshot reads with. The deparsers (pg_get_indexdef, pg_get_viewdef, format_type, ...)
 * leave out the schema of objects visible on the search_path: with only pg_catalog on it, every
 * user object is qualified. The text forms print constants (a default's date) alike.
 */
export const SNAPSHOT_SETTINGS: Readonly<Record<string, string>> = { search_path: 'pg_catalog', ...TEXT_FORMS };

const SWITCH_SQL = pinAndSaveSql(SNAPSHOT_SETTINGS);

/**
 * Reads the schema from the catalogs (a dozen set-based queries, whatever the number of tables),
 * in two round trips of prepared statements: it runs before and after every migration of the drill.
 * The connection's settings are SNAPSHOT_SETTINGS for the duration, and restored afterwards, so
 * the text does not depend on the caller's.
 */
export async function snapshotSchema(client: ClientBase, opts: SnapshotOptions = {}): Promise<SchemaSnapshot> {
  const excluded = opts.excludeSchemas ?? [];
  const { saved } = (await preparedQuery<{ saved: object }>(client, 'snapshot_switch', SWITCH_SQL, [])).rows[0];
  let lists: SnapshotLists;
  try {
    lists = (await preparedQuery<SnapshotLists>(client, 'schema_snapshot', SNAPSHOT_SQL, [excluded, saved])).rows[0];
  } catch (error) {
    await client.query(RESTORE_SQL, [saved]);
    throw error;
  }
  return snapshotOf(lists);
}

/** A snapshot query's row: the object lists in columns t0, t1, ... (see snapshotColumns). */
export type SnapshotLists = Record<string, SchemaObject[]>;

/** The snapshot of a snapshot query's row. */
export function snapshotOf(lists: SnapshotLists): SchemaSnapshot {
  // Each query's column names are the fields of its object type.
  const entries = SNAPSHOT_QUERIES.flatMap((_, i) => lists[`t${i}`].map((object): [string, SchemaObject] => [`${object.objectType} ${object.name}`, object]));
  entries.sort(([a], [b]) => compareText(a, b));
  return new Map(entries);
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Whether two snapshot objects (either possibly absent) are the same object with the same definition. */
export function sameObject(a: SchemaObject | undefined, b: SchemaObject | undefined): boolean {
  return isDeepStrictEqual(a, b);
}

const TYPE_RANK = new Map<string, number>(SCHEMA_OBJECT_TYPES.map((t, i) => [t, i]));

/**
 * Lists what differs between two snapshots, ordered by object type, then name. Columns,
 * constraints, indexes, triggers and policies of a table that is itself added or removed are
 * left out: the table's difference (and its reverse fix) covers them.
 */
export function diffSchemas(before: SchemaSnapshot, after: SchemaSnapshot): SchemaDifference[] {
  const diffs: SchemaDifference[] = [];
  for (const [key, was] of before) {
    const now = after.get(key);
    if (now === undefined) diffs.push({ change: 'removed', objectType: was.objectType, name: was.name, before: was });
    else if (!sameObject(was, now)) diffs.push({ change: 'changed', objectType: was.objectType, name: was.name, before: was, after: now });
  }
  for (const [key, now] of after) {
    if (!before.has(key)) diffs.push({ change: 'added', objectType: now.objectType, name: now.name, after: now });
  }
  const wholeTables = new Set(diffs.filter((d) => d.objectType === 'table' && d.change !== 'changed').map((d) => d.name));
  return diffs
    .filter((d) => {
      if (d.change === 'changed') return true;
      const table = owningTable(objectOf(d));
      return table === null || !wholeTables.has(table);
    })
    .sort(
      (a, b) => (TYPE_RANK.get(a.objectType) ?? 99) - (TYPE_RANK.get(b.objectType) ?? 99) || compareText(a.name, b.name) || compareText(a.change, b.change),
    );
}

/** The object a difference is about: as it is now, or as it was if it is gone. */
export function objectOf(d: SchemaDifference): SchemaObject {
  const object = d.after ?? d.before;
  if (!object) throw new Error(`difference without an object: ${d.objectType} ${d.name}`);
  return object;
}

/** The qualified table a table-level object belongs to, or null for other objects. */
function owningTable(o: SchemaObject): string | null {
  switch (o.objectType) {
    case 'column':
    case 'constraint':
    case 'index':
    case 'trigger':
    case 'policy':
      return o.table;
    default:
      return null;
  }
}
