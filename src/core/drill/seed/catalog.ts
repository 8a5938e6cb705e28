import type { ClientBase } from 'pg';
import { groupBy } from '../../collections.js';
import { userRelation, userSchema } from '../../user-relations.js';
import { simpleQuery, sqlLiteral } from '../prepared.js';

/** What the seeder needs to know of the schema, read once before the first table is seeded. */

/** The user tables to seed: those `condition` (over pg_class c) admits. */
const tablesSql = (condition: string): string => `
SELECT c.oid::int8 AS oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name,
  c.relkind = 'p' AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhparent = c.oid) AS no_partitions
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND ${userRelation()} AND ${condition}
ORDER BY 2`;

const columnsSql = (oids: string): string => `
SELECT a.attrelid::int8 AS rel, quote_ident(a.attname) AS name, a.atttypid::int8 AS type, a.atttypmod AS typmod,
  format_type(a.atttypid, a.atttypmod) AS format, a.attnotnull AS not_null, a.atthasdef AS has_default,
  (a.attidentity <> '' OR a.attgenerated <> '') AS filled_by_server,
  coalesce(pg_get_expr(ad.adbin, ad.adrelid) LIKE 'nextval(%', false) AS serial
FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
WHERE a.attrelid = ANY(${oids}) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum`;

// Table row types are left out; standalone composite types (CREATE TYPE ... AS (...)) come with their field types.
const TYPES_SQL = `
SELECT t.oid::int8 AS oid, t.typname AS name, t.typtype AS kind, t.typbasetype::int8 AS base, t.typtypmod AS typmod,
  t.typelem::int8 AS elem, t.typcategory AS category, t.typnotnull AS not_null, format_type(t.oid, NULL) AS format,
  CASE WHEN t.typtype = 'e' THEN (SELECT count(*)::int FROM pg_enum e WHERE e.enumtypid = t.oid) END AS labels,
  (SELECT r.rngsubtype::int8 FROM pg_range r WHERE r.rngtypid = t.oid) AS range_subtype,
  (SELECT array_agg(pg_get_constraintdef(co.oid) ORDER BY co.conname) FROM pg_constraint co
   WHERE co.contypid = t.oid AND co.contype = 'c') AS checks,
  (SELECT array_agg(a.atttypid::int8 ORDER BY a.attnum) FROM pg_attribute a
   WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) AS fields
FROM pg_type t WHERE t.typrelid = 0 OR (SELECT r.relkind FROM pg_class r WHERE r.oid = t.typrelid) = 'c'`;

/**
 * Unique indexes and the indexes of exclusion constraints, with every column they mention: key
 * columns, and the columns of expressions and predicates (PostgreSQL records those as dependencies
 * of the index), so that partial and expression unique indexes keep the seeder from repeating values.
 */
const uniqueIndexesSql = (oids: string): string => `
SELECT i.indrelid::int8 AS rel,
  ARRAY(SELECT quote_ident(a.attname) FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum > 0
    AND (a.attnum = ANY (i.indkey::int2[]) OR EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
      AND d.objid = i.indexrelid AND d.refobjid = i.indrelid AND d.refobjsubid = a.attnum)) ORDER BY a.attnum) AS columns
FROM pg_index i WHERE i.indrelid = ANY(${oids})
  AND (i.indisunique OR EXISTS (SELECT 1 FROM pg_constraint x WHERE x.conindid = i.indexrelid AND x.contype = 'x'))`;

const constraintsSql = (oids: string): string => `
SELECT co.conrelid::int8 AS rel, co.contype AS kind, quote_ident(co.conname) AS name,
  (SELECT array_agg(quote_ident(a.attname) ORDER BY k.ord) FROM unnest(co.conkey) WITH ORDINALITY AS k(attnum, ord)
   JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum) AS columns,
  CASE WHEN co.contype = 'f' THEN coalesce(pg_partition_root(co.confrelid), co.confrelid)::int8 END AS ref_root,
  CASE WHEN co.contype = 'f' THEN (SELECT quote_ident(rn.nspname) || '.' || quote_ident(rc.relname)
    FROM pg_class rc JOIN pg_namespace rn ON rn.oid = rc.relnamespace WHERE rc.oid = co.confrelid) END AS ref_table,
  (SELECT array_agg(quote_ident(a.attname) ORDER BY k.ord) FROM unnest(co.confkey) WITH ORDINALITY AS k(attnum, ord)
   JOIN pg_attribute a ON a.attrelid = co.confrelid AND a.attnum = k.attnum) AS ref_columns,
  pg_get_constraintdef(co.oid) AS def
FROM pg_constraint co
WHERE co.conrelid = ANY(${oids}) AND co.contype IN ('p', 'u', 'f', 'c')
ORDER BY co.conrelid, co.conname`;

// Only triggers that fire in a normal session (origin 'O', always 'A') need disabling.
const TRIGGERS_SQL = `
SELECT coalesce(pg_partition_root(c.oid), c.oid)::int8 AS root,
  quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS table, quote_ident(tg.tgname) AS name,
  tg.tgenabled AS enabled, (SELECT count(*) FROM pg_partition_ancestors(c.oid)) AS depth
FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT tg.tgisinternal AND tg.tgenabled IN ('O', 'A') AND ${userSchema()}
ORDER BY 1, 5, 2, 3`;

const PARTITION_LEVELS_SQL = `
SELECT coalesce(pg_partition_root(p.oid), p.oid)::int8 AS root, pt.partstrat AS strategy,
  array_length(pt.partattrs::int2[], 1) AS key_count,
  (SELECT array_agg(quote_ident(a.attname) ORDER BY k.ord) FROM unnest(pt.partattrs::int2[]) WITH ORDINALITY AS k(attnum, ord)
   JOIN pg_attribute a ON a.attrelid = p.oid AND a.attnum = k.attnum) AS key_columns,
  (SELECT array_agg(pg_get_expr(ch.relpartbound, ch.oid) ORDER BY ch.relname)
   FROM pg_inherits i JOIN pg_class ch ON ch.oid = i.inhrelid WHERE i.inhparent = p.oid) AS bounds
FROM pg_partitioned_table pt JOIN pg_class p ON p.oid = pt.partrelid
ORDER BY 1, (SELECT count(*) FROM pg_partition_ancestors(p.oid)), p.relname`;

export interface TableRow {
  oid: string;
  name: string;
  no_partitions: boolean;
}
export interface ColumnRow {
  rel: string;
  name: string;
  type: string;
  typmod: number;
  format: string;
  not_null: boolean;
  has_default: boolean;
  filled_by_server: boolean;
  serial: boolean;
}
export interface TypeRow {
  oid: string;
  name: string;
  kind: string;
  base: string;
  typmod: number;
  elem: string;
  category: string;
  not_null: boolean;
  format: string;
  labels: number | null;
  range_subtype: string | null;
  checks: string[] | null;
  fields: string[] | null;
}
export interface ConstraintRow {
  rel: string;
  kind: 'p' | 'u' | 'f' | 'c';
  name: string;
  columns: string[] | null;
  ref_root: string | null;
  ref_table: string | null;
  ref_columns: string[] | null;
  def: string;
}
export interface TriggerRow {
  root: string;
  table: string;
  name: string;
  enabled: 'O' | 'A';
}
interface PartitionLevelRow {
  root: string;
  strategy: string;
  key_count: number;
  key_columns: string[] | null;
  bounds: string[] | null;
}

interface UniqueIndexRow {
  rel: string;
  columns: string[];
}

export interface Catalog {
  tables: TableRow[];
  columns: Map<string, ColumnRow[]>;
  types: Map<string, TypeRow>;
  constraints: Map<string, ConstraintRow[]>;
  /** Per table, the columns some unique index (or constraint) mentions. */
  uniqueColumns: Map<string, Set<string>>;
  triggers: Map<string, TriggerRow[]>;
  partitionValues: Map<string, Map<string, (string | null)[]>>;
}

/**
 * Reads the catalog in one round trip (the queries go as one simple-protocol string): of the tables
 * `only` lists (oids; every user table when absent), so that a change that touches a few tables of
 * a large schema reads what the seeder needs of those few. `only` must hold the FK parents of the
 * tables it lists (seedReach's set does): the seeder orders tables by the parents it was given.
 */
export async function readCatalog(client: ClientBase, only?: ReadonlySet<string>): Promise<Catalog> {
  const tablesQuery = tablesSql(only ? `c.oid = ANY (${sqlLiteral([...only])}::oid[])` : 'true');
  const tableOids = `ARRAY(SELECT oid FROM (${tablesQuery}) AS t)::oid[]`;
  const [tables, columns, types, constraints, unique, triggers, levels] = await simpleQuery(client, [
    tablesQuery,
    columnsSql(tableOids),
    TYPES_SQL,
    constraintsSql(tableOids),
    uniqueIndexesSql(tableOids),
    TRIGGERS_SQL,
    PARTITION_LEVELS_SQL,
  ]);
  const uniqueColumns = new Map(
    [...groupBy(unique.rows as UniqueIndexRow[], (u) => u.rel)].map(([rel, indexes]) => [rel, new Set(indexes.flatMap((i) => i.columns))]),
  );
  return {
    tables: tables.rows as TableRow[],
    columns: groupBy(columns.rows as ColumnRow[], (c) => c.rel),
    types: new Map((types.rows as TypeRow[]).map((t) => [t.oid, t])),
    constraints: groupBy(constraints.rows as ConstraintRow[], (c) => c.rel),
    uniqueColumns,
    triggers: groupBy(triggers.rows as TriggerRow[], (t) => t.root),
    partitionValues: partitionValuesByRoot(levels.rows as PartitionLevelRow[]),
  };
}

// --- partition bounds --------------------------------------------------------------------------

/**
 * For each partitioned root, values per key column that land in an existing partition. Rows
 * inserted through the root must match some partition's bound, and PostgreSQL offers no function
 * that returns bound values, so they are read from pg_get_expr's `FOR VALUES ...` text. A level
 * with a DEFAULT partition or hash partitioning accepts any value and needs none.
 */
function partitionValuesByRoot(levels: PartitionLevelRow[]): Map<string, Map<string, (string | null)[]>> {
  const byRoot = new Map<string, Map<string, (string | null)[]>>();
  for (const level of levels) {
    const bounds = level.bounds ?? [];
    const keys = level.key_columns ?? [];
    // Expression keys (attnum 0) cannot be targeted through a column.
    if (level.strategy === 'h' || keys.length !== level.key_count || bounds.includes('DEFAULT')) continue;
    const tuples = bounds.flatMap((b) => boundTuples(b, keys.length));
    if (tuples.length === 0) continue;
    const values = byRoot.get(level.root) ?? new Map<string, (string | null)[]>();
    keys.forEach((column, index) => {
      // The first (shallowest) level that partitions on a column decides its values.
      if (!values.has(column))
        values.set(
          column,
          tuples.map((t) => t[index]),
        );
    });
    byRoot.set(level.root, values);
  }
  return byRoot;
}

/** Value tuples that fall into the partition with this bound (one per IN value, the FROM of a range). */
function boundTuples(bound: string, width: number): (string | null)[][] {
  const list = /^FOR VALUES IN \((.*)\)$/s.exec(bound);
  if (list) return splitLiterals(list[1]).map((v) => [v]);
  const range = /^FOR VALUES FROM \((.*?)\) TO \(/s.exec(bound);
  if (!range) return [];
  const from = splitLiterals(range[1]);
  // MINVALUE has no value to insert; such a partition is simply not targeted.
  if (from.length !== width || from.some((v) => v === MINMAX)) return [];
  return [from];
}

const MINMAX = '\u0000minmax';

/** Reads a comma-separated list of deparsed SQL literals into text values (NULL as null). */
function splitLiterals(text: string): (string | null)[] {
  const values: (string | null)[] = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === ',') i++;
    if (i >= text.length) break;
    let value = '';
    let quoted = false;
    if (text[i] === "'") {
      quoted = true;
      i++;
      while (i < text.length) {
        if (text[i] === "'" && text[i + 1] === "'") {
          value += "'";
          i += 2;
          continue;
        }
        if (text[i] === "'") {
          i++;
          break;
        }
        value += text[i++];
      }
      // A cast suffix such as ::date is not part of the value.
      while (i < text.length && text[i] !== ',') i++;
    } else {
      while (i < text.length && text[i] !== ',') value += text[i++];
      value = value.trim().replace(/::.*$/, '');
    }
    if (!quoted && value === 'NULL') values.push(null);
    else if (!quoted && (value === 'MINVALUE' || value === 'MAXVALUE')) values.push(MINMAX);
    else values.push(value);
  }
  return values;
}

/** Values allowed by a single-column `CHECK (col = ANY (ARRAY[...]))`, i.e. `col IN (...)`. */
export function checkListValues(def: string): string[] | null {
  const m = /^CHECK \(\(.*? = ANY \(\(?ARRAY\[(.*)\]\)?(?:::[\w\s[\]"]+)?\)\)\)$/s.exec(def);
  if (!m) return null;
  const values = splitLiterals(m[1]);
  return values.every((v): v is string => v !== null && v !== MINMAX) && values.length > 0 ? values : null;
}
