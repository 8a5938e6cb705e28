import type { ClientBase } from 'pg';
import { groupBy } from '../collections.js';

/** How seeding went for one table (a partitioned table is seeded, and reported, through its root). */
export interface SeededTable {
  table: string;
  rows: number;
  error?: string;
}

export interface SeedResult {
  tables: SeededTable[];
  totalRows: number;
}

export interface SeedOptions {
  rowsPerTable: number;
  /** Checked between tables; an aborted signal rejects with its reason. */
  signal?: AbortSignal;
}

// Rows are made by the row number g.i only, so the same schema always gets the same data.
const ROW = 'g.i';
const DUPLICATED_ROW = '(1 + g.i / 2)';

// --- catalog -----------------------------------------------------------------------------------

const USER_SCHEMA = `n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'`;

const NOT_EXTENSION_MEMBER = `NOT EXISTS (SELECT 1 FROM pg_depend dep
  WHERE dep.classid = 'pg_class'::regclass AND dep.objid = c.oid AND dep.deptype = 'e')`;

const TABLES_SQL = `
SELECT c.oid::int8 AS oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND ${USER_SCHEMA} AND ${NOT_EXTENSION_MEMBER}
ORDER BY 2`;

const COLUMNS_SQL = `
SELECT a.attrelid::int8 AS rel, quote_ident(a.attname) AS name, a.atttypid::int8 AS type, a.atttypmod AS typmod,
  format_type(a.atttypid, a.atttypmod) AS format, a.attnotnull AS not_null, a.atthasdef AS has_default,
  (a.attidentity <> '' OR a.attgenerated <> '') AS filled_by_server,
  coalesce(pg_get_expr(ad.adbin, ad.adrelid) LIKE 'nextval(%', false) AS serial
FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum`;

// Table row types are left out: composite values are not generated.
const TYPES_SQL = `
SELECT t.oid::int8 AS oid, t.typname AS name, t.typtype AS kind, t.typbasetype::int8 AS base, t.typtypmod AS typmod,
  t.typelem::int8 AS elem, t.typcategory AS category, t.typnotnull AS not_null, format_type(t.oid, NULL) AS format,
  CASE WHEN t.typtype = 'e' THEN (SELECT count(*)::int FROM pg_enum e WHERE e.enumtypid = t.oid) END AS labels
FROM pg_type t WHERE t.typrelid = 0`;

const CONSTRAINTS_SQL = `
SELECT co.conrelid::int8 AS rel, co.contype AS kind,
  (SELECT array_agg(quote_ident(a.attname) ORDER BY k.ord) FROM unnest(co.conkey) WITH ORDINALITY AS k(attnum, ord)
   JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum) AS columns,
  CASE WHEN co.contype = 'f' THEN coalesce(pg_partition_root(co.confrelid), co.confrelid)::int8 END AS ref_root,
  CASE WHEN co.contype = 'f' THEN (SELECT quote_ident(rn.nspname) || '.' || quote_ident(rc.relname)
    FROM pg_class rc JOIN pg_namespace rn ON rn.oid = rc.relnamespace WHERE rc.oid = co.confrelid) END AS ref_table,
  (SELECT array_agg(quote_ident(a.attname) ORDER BY k.ord) FROM unnest(co.confkey) WITH ORDINALITY AS k(attnum, ord)
   JOIN pg_attribute a ON a.attrelid = co.confrelid AND a.attnum = k.attnum) AS ref_columns,
  pg_get_constraintdef(co.oid) AS def
FROM pg_constraint co
WHERE co.conrelid = ANY($1::oid[]) AND co.contype IN ('p', 'u', 'f', 'c')
ORDER BY co.conrelid, co.conname`;

// Only triggers that fire in a normal session (origin 'O', always 'A') need disabling.
const TRIGGERS_SQL = `
SELECT coalesce(pg_partition_root(c.oid), c.oid)::int8 AS root,
  quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS table, quote_ident(tg.tgname) AS name,
  tg.tgenabled AS enabled, (SELECT count(*) FROM pg_partition_ancestors(c.oid)) AS depth
FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT tg.tgisinternal AND tg.tgenabled IN ('O', 'A') AND ${USER_SCHEMA}
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

interface TableRow { oid: string; name: string }
interface ColumnRow {
  rel: string; name: string; type: string; typmod: number; format: string;
  not_null: boolean; has_default: boolean; filled_by_server: boolean; serial: boolean;
}
interface TypeRow {
  oid: string; name: string; kind: string; base: string; typmod: number; elem: string;
  category: string; not_null: boolean; format: string; labels: number | null;
}
interface ConstraintRow {
  rel: string; kind: 'p' | 'u' | 'f' | 'c'; columns: string[] | null; ref_root: string | null;
  ref_table: string | null; ref_columns: string[] | null; def: string;
}
interface TriggerRow { root: string; table: string; name: string; enabled: 'O' | 'A' }
interface PartitionLevelRow {
  root: string; strategy: string; key_count: number; key_columns: string[] | null; bounds: string[] | null;
}

interface Catalog {
  tables: TableRow[];
  columns: Map<string, ColumnRow[]>;
  types: Map<string, TypeRow>;
  constraints: Map<string, ConstraintRow[]>;
  triggers: Map<string, TriggerRow[]>;
  partitionValues: Map<string, Map<string, (string | null)[]>>;
}

async function readCatalog(client: ClientBase): Promise<Catalog> {
  const tables = (await client.query<TableRow>(TABLES_SQL)).rows;
  const oids = tables.map((t) => t.oid);
  const columns = groupBy((await client.query<ColumnRow>(COLUMNS_SQL, [oids])).rows, (c) => c.rel);
  const types = new Map((await client.query<TypeRow>(TYPES_SQL)).rows.map((t) => [t.oid, t]));
  const constraints = groupBy((await client.query<ConstraintRow>(CONSTRAINTS_SQL, [oids])).rows, (c) => c.rel);
  const triggers = groupBy((await client.query<TriggerRow>(TRIGGERS_SQL)).rows, (t) => t.root);
  const levels = (await client.query<PartitionLevelRow>(PARTITION_LEVELS_SQL)).rows;
  return { tables, columns, types, constraints, triggers, partitionValues: partitionValuesByRoot(levels) };
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
      if (!values.has(column)) values.set(column, tuples.map((t) => t[index]));
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
    if (text[i] === '\'') {
      quoted = true;
      i++;
      while (i < text.length) {
        if (text[i] === '\'' && text[i + 1] === '\'') { value += '\''; i += 2; continue; }
        if (text[i] === '\'') { i++; break; }
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
function checkListValues(def: string): string[] | null {
  const m = /^CHECK \(\(.*? = ANY \(\(?ARRAY\[(.*)\]\)?(?:::[\w\s[\]"]+)?\)\)\)$/s.exec(def);
  if (!m) return null;
  const values = splitLiterals(m[1]);
  return values.every((v): v is string => v !== null && v !== MINMAX) && values.length > 0 ? values : null;
}

// --- value expressions -------------------------------------------------------------------------

/**
 * Attempt styles, tried in order until the insert succeeds:
 * 0: distinct values from the row number, NULL in every 4th row of a nullable column;
 * 1: other shapes (small numbers, e-mail-like text) and no NULLs, for CHECKs the first style breaks;
 * 2: NULL wherever allowed and column defaults wherever present.
 */
type Variant = 0 | 1 | 2;

interface ColumnContext {
  variant: Variant;
  /** Position of the column in the table, to vary values between columns (start < end). */
  position: number;
  isUnique: boolean;
}

class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** A SQL expression of row number g.i with a value of `type`, or null when the type is not supported. */
function valueExpr(types: Map<string, TypeRow>, typeOid: string, typmod: number, ctx: ColumnContext): string | null {
  const type = types.get(typeOid);
  if (!type) return null;
  if (type.kind === 'd') {
    const base = valueExpr(types, type.base, typmod >= 0 ? typmod : type.typmod, ctx);
    return base === null ? null : `(${base})::${type.format}`;
  }
  if (type.kind === 'e') {
    // enum_range gives the labels in sort order without putting them into the SQL text.
    return type.labels ? `(enum_range(NULL::${type.format}))[1 + (${ROW} - 1) % ${type.labels}]` : null;
  }
  if (type.category === 'A' && type.elem !== '0') {
    const elem = valueExpr(types, type.elem, typmod, ctx);
    const elemType = types.get(type.elem);
    return elem === null || !elemType ? null : `ARRAY[(${elem})::${elemType.format}]`;
  }
  return baseValueExpr(type.name, typmod, ctx);
}

function baseValueExpr(name: string, typmod: number, ctx: ColumnContext): string | null {
  const small = ctx.variant !== 0 && !ctx.isUnique;
  const pos = ctx.position;
  switch (name) {
    case 'int2':
      return small ? `1 + ${ROW} % 5` : `${ROW} % 32767`;
    case 'int4':
    case 'int8':
    case 'oid':
      return small ? `1 + ${ROW} % 5` : ROW;
    case 'numeric':
      return numericExpr(typmod, small);
    case 'float4':
    case 'float8':
      return small ? `1 + ${ROW} % 5` : `${ROW} + 0.5`;
    case 'money':
      return `(${ROW})::numeric`;
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'name':
    case 'citext':
      return textExpr(name === 'name' ? 63 : typmod >= 4 ? typmod - 4 : null, ctx.variant);
    case 'char':
      return `chr(97 + ${ROW} % 26)`;
    case 'bool':
      return `${ROW} % 2 = 0`;
    case 'date':
      return `date '2024-01-01' + (${ROW} + ${pos})`;
    case 'timestamp':
      return `timestamp '2024-01-01 00:00' + ${ROW} * interval '1 hour' + ${pos} * interval '1 minute'`;
    case 'timestamptz':
      return `timestamptz '2024-01-01 00:00:00+00' + ${ROW} * interval '1 hour' + ${pos} * interval '1 minute'`;
    case 'time':
      return `time '00:00' + (${ROW} % 1440) * interval '1 minute'`;
    case 'timetz':
      return `(time '00:00' + (${ROW} % 1440) * interval '1 minute')::timetz`;
    case 'interval':
      return `${ROW} * interval '1 minute'`;
    case 'uuid':
      return `md5('u' || ${ROW} || '/' || ${pos})::uuid`;
    case 'json':
      return `json_build_object('n', ${ROW})`;
    case 'jsonb':
      return `jsonb_build_object('n', ${ROW})`;
    case 'bytea':
      return `convert_to('b' || ${ROW}, 'UTF8')`;
    case 'inet':
      return `('10.' || (${ROW} / 65536) % 256 || '.' || (${ROW} / 256) % 256 || '.' || ${ROW} % 256)::inet`;
    case 'cidr':
      return `('10.' || (${ROW} / 256) % 256 || '.' || ${ROW} % 256 || '.0/24')::cidr`;
    case 'macaddr':
      return `('08:00:2b:00:' || lpad(to_hex((${ROW} / 256) % 256), 2, '0') || ':' || lpad(to_hex(${ROW} % 256), 2, '0'))::macaddr`;
    case 'xml':
      return `xmlelement(name v, ${ROW})`;
    case 'tsvector':
      return `to_tsvector('simple', 'w' || ${ROW})`;
    case 'point':
      return `point(${ROW}, ${pos})`;
    case 'bit':
    case 'varbit':
      return `(${ROW})::bit(32)`;
    case 'ltree':
      return `('n.n' || ${ROW})`;
    case 'hstore':
      return `('k=>' || ${ROW})`;
    default:
      return null;
  }
}

function numericExpr(typmod: number, small: boolean): string {
  if (typmod < 4) return small ? `1 + ${ROW} % 5` : `${ROW} + 0.25`;
  const precision = ((typmod - 4) >> 16) & 0xffff;
  let scale = (typmod - 4) & 0x7ff;
  // PostgreSQL 15+ allows a negative scale, stored as an 11-bit two's complement.
  if (scale & 0x400) scale -= 0x800;
  const integerDigits = precision - scale;
  if (integerDigits <= 0) return `(1 + ${ROW} % 9) * power(10::numeric, ${-scale})`;
  if (small) return `1 + ${ROW} % ${Math.min(5, 10 ** integerDigits - 1)}`;
  return `${ROW} % ${10 ** Math.min(integerDigits, 15)}`;
}

function textExpr(limit: number | null, variant: Variant): string {
  const text = variant === 0 ? `'v' || ${ROW}` : `'user' || ${ROW} || '@example.com'`;
  // The right end holds the row number, so cutting from the left keeps values distinct.
  return limit !== null ? `right(${text}, ${limit})` : text;
}

// --- the INSERT ----------------------------------------------------------------------------------

interface InsertPlan {
  sql: string;
  params: unknown[];
  /** Set for a DO block, whose command tag carries no row count. */
  rows?: number;
}


/** Builds the set-based INSERT for one table, or an error when a NOT NULL column cannot be filled. */
function planInsert(catalog: Catalog, table: TableRow, rows: number, variant: Variant): InsertPlan | { error: string } {
  const columns = catalog.columns.get(table.oid) ?? [];
  const constraints = catalog.constraints.get(table.oid) ?? [];
  const params = new Params();
  const rowsParam = params.add(rows);
  const joins: string[] = [];
  const foreign = foreignSources(table, constraints, variant, joins);
  const unique = new Set(constraints.filter((c) => c.kind === 'p' || c.kind === 'u').flatMap((c) => c.columns ?? []));
  const allowed = checkLists(constraints);
  const partitionValues = catalog.partitionValues.get(table.oid) ?? new Map<string, (string | null)[]>();

  const targets: string[] = [];
  const exprs: string[] = [];
  for (const [position, column] of columns.entries()) {
    // Identity, generated and serial columns are PostgreSQL's to fill.
    if (column.filled_by_server || column.serial) continue;
    const nullable = !column.not_null && !domainNotNull(catalog.types, column.type);
    const fk = foreign.get(column.name);
    const keyValues = partitionValues.get(column.name);
    if (variant === 2 && column.has_default && !keyValues && !fk) continue;
    let expr: string | null;
    if (keyValues) {
      expr = `(${params.add(keyValues)}::text[])[1 + (${ROW} - 1) % ${keyValues.length}]`;
    } else if (fk !== undefined) {
      expr = fk;
    } else if (allowed.has(column.name)) {
      const values = allowed.get(column.name) ?? [];
      expr = `(${params.add(values)}::text[])[1 + (${ROW} - 1) % ${values.length}]`;
    } else if (variant === 2 && nullable) {
      expr = 'NULL';
    } else {
      expr = valueExpr(catalog.types, column.type, column.typmod, { variant, position, isUnique: unique.has(column.name) });
      // Production data repeats values in columns nothing keeps unique; so do the seeded rows
      // (each value twice), so that a new UNIQUE constraint fails here as it would there.
      if (expr !== null && variant === 0 && !unique.has(column.name)) expr = expr.replaceAll(ROW, DUPLICATED_ROW);
    }
    if (expr === null) {
      if (column.has_default) continue;
      if (nullable) expr = 'NULL';
      else return { error: `cannot generate values of type ${column.format} for NOT NULL column ${column.name}` };
    }
    // Spread NULLs over rows by column position so that one row is not NULL everywhere.
    if (nullable && variant === 0 && !keyValues && expr !== 'NULL') {
      expr = `CASE WHEN (${ROW} + ${position}) % 4 = 0 THEN NULL ELSE ${expr} END`;
    }
    targets.push(column.name);
    exprs.push(`(${expr})::${column.format}`);
  }
  if (targets.length === 0) {
    // Nothing to choose: every column has a default. The loop is the only way to insert n rows
    // of defaults, since INSERT ... SELECT needs at least one column.
    const sql = `DO $seed$ BEGIN FOR i IN 1..${rows} LOOP INSERT INTO ${table.name} DEFAULT VALUES; END LOOP; END $seed$`;
    return { sql, params: [], rows };
  }
  const sql = `INSERT INTO ${table.name} (${targets.join(', ')})
SELECT ${exprs.join(',\n  ')}
FROM generate_series(1, ${rowsParam}::int) AS g(i)
${joins.join('\n')}
ORDER BY ${ROW}`;
  return { sql, params: params.values };
}

/**
 * Joins that pick existing parent keys for each foreign key, and the expression for each of the
 * child's columns. Parent rows are numbered in key order; row g.i takes parent number
 * 1 + (g.i - 1) % count (style 1: a mixed radix over all foreign keys, so that a composite key
 * made of several foreign keys stays distinct when parents have fewer rows than the child).
 * Self-references stay NULL: rows of one INSERT cannot see each other.
 */
function foreignSources(table: TableRow, constraints: ConstraintRow[], variant: Variant, joins: string[]): Map<string, string> {
  const exprs = new Map<string, string>();
  const counts: string[] = [];
  let n = 0;
  for (const fk of constraints.filter((c) => c.kind === 'f')) {
    const cols = fk.columns ?? [];
    const refs = fk.ref_columns ?? [];
    if (cols.length === 0 || cols.length !== refs.length || cols.some((c) => exprs.has(c))) continue;
    if (fk.ref_root === table.oid) {
      for (const c of cols) exprs.set(c, 'NULL');
      continue;
    }
    n++;
    const f = `fk${n}`;
    const notNull = refs.map((r) => `${r} IS NOT NULL`).join(' AND ');
    const keys = refs.map((r, i) => `${r} AS k${i + 1}`).join(', ');
    const divisor = variant === 1 && counts.length > 0 ? ` / greatest(${counts.join(' * ')}, 1)` : '';
    joins.push(`CROSS JOIN (SELECT count(*) AS cnt FROM ${fk.ref_table} WHERE ${notNull}) AS ${f}c`);
    joins.push(
      `LEFT JOIN (SELECT ${keys}, row_number() OVER (ORDER BY ${refs.join(', ')}) AS rn FROM ${fk.ref_table} WHERE ${notNull}) AS ${f}` +
        ` ON ${f}.rn = 1 + ((${ROW} - 1)${divisor}) % nullif(${f}c.cnt, 0)`,
    );
    counts.push(`${f}c.cnt`);
    cols.forEach((c, i) => exprs.set(c, `${f}.k${i + 1}`));
  }
  return exprs;
}

function checkLists(constraints: ConstraintRow[]): Map<string, string[]> {
  const lists = new Map<string, string[]>();
  for (const c of constraints) {
    if (c.kind !== 'c' || c.columns?.length !== 1) continue;
    const values = checkListValues(c.def);
    if (values) lists.set(c.columns[0], values);
  }
  return lists;
}

function domainNotNull(types: Map<string, TypeRow>, typeOid: string): boolean {
  for (let t = types.get(typeOid); t && t.kind === 'd'; t = types.get(t.base)) {
    if (t.not_null) return true;
  }
  return false;
}

// --- running -----------------------------------------------------------------------------------

/**
 * Fills every user table with `rowsPerTable` synthetic rows, parents before children. Runs as
 * the connection's role (the database's unprivileged role, which owns the tables): nothing here needs a
 * superuser, and session_replication_role is left alone. Each table is seeded in its own
 * transaction and each attempt under a savepoint, so a failure is reported for that table only.
 * The client must not be inside a transaction.
 */
export async function seedDatabase(client: ClientBase, opts: SeedOptions): Promise<SeedResult> {
  const rows = opts.rowsPerTable;
  if (!Number.isSafeInteger(rows) || rows < 0) throw new RangeError(`rowsPerTable must be a non-negative integer, got ${rows}`);
  const catalog = await readCatalog(client);
  const tables: SeededTable[] = [];
  for (const table of orderByDependencies(catalog)) {
    opts.signal?.throwIfAborted();
    tables.push(await seedTable(client, catalog, table, rows));
  }
  return { tables, totalRows: tables.reduce((sum, t) => sum + t.rows, 0) };
}

async function seedTable(client: ClientBase, catalog: Catalog, table: TableRow, rows: number): Promise<SeededTable> {
  const triggers = catalog.triggers.get(table.oid) ?? [];
  // Disabling triggers is the last resort: a user trigger that rejects synthetic rows (or
  // needs state the shadow database lacks) would otherwise leave the table empty.
  const variants: Variant[] = [0, 1, 2];
  const attempts = variants.map((variant) => ({ variant, disableTriggers: false }));
  if (triggers.length > 0) attempts.push(...variants.map((variant) => ({ variant, disableTriggers: true })));

  let firstError: string | undefined;
  await client.query('BEGIN');
  try {
    for (const attempt of attempts) {
      const plan = planInsert(catalog, table, rows, attempt.variant);
      if ('error' in plan) {
        firstError ??= plan.error;
        continue;
      }
      const inserted = await tryInsert(client, plan, attempt.disableTriggers ? triggers : []);
      if (typeof inserted === 'number') {
        await client.query('COMMIT');
        return { table: table.name, rows: inserted };
      }
      firstError ??= inserted.error;
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK');
    throw e;
  }
  return { table: table.name, rows: 0, error: firstError ?? 'no insert was attempted' };
}

/**
 * Runs one insert under a savepoint. Triggers are disabled and re-enabled inside it, so the
 * exact previous state comes back on success (the ALTERs below) and on failure (the rollback).
 * ONLY keeps each ALTER to the named table; the list runs from the root down, so a partition's
 * own setting is applied last.
 */
async function tryInsert(client: ClientBase, plan: InsertPlan, triggers: TriggerRow[]): Promise<number | { error: string }> {
  await client.query('SAVEPOINT drillbot_seed');
  try {
    for (const t of triggers) await client.query(`ALTER TABLE ONLY ${t.table} DISABLE TRIGGER ${t.name}`);
    const res = await client.query(plan.sql, plan.params);
    const rows = plan.rows ?? res.rowCount ?? 0;
    for (const t of triggers) {
      await client.query(`ALTER TABLE ONLY ${t.table} ${t.enabled === 'A' ? 'ENABLE ALWAYS' : 'ENABLE'} TRIGGER ${t.name}`);
    }
    await client.query('RELEASE SAVEPOINT drillbot_seed');
    return rows;
  } catch (e) {
    await client.query('ROLLBACK TO SAVEPOINT drillbot_seed');
    await client.query('RELEASE SAVEPOINT drillbot_seed');
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * Parents before children (Kahn's algorithm, ties by name, so the order is deterministic).
 * In a cycle of foreign keys the alphabetically first table goes first; its references to the
 * not yet seeded tables come out NULL, which a nullable column accepts.
 */
function orderByDependencies(catalog: Catalog): TableRow[] {
  const byOid = new Map(catalog.tables.map((t) => [t.oid, t]));
  const parents = new Map<string, Set<string>>();
  for (const t of catalog.tables) {
    const refs = (catalog.constraints.get(t.oid) ?? [])
      .filter((c) => c.kind === 'f' && c.ref_root !== null && c.ref_root !== t.oid && byOid.has(c.ref_root))
      .map((c) => c.ref_root as string);
    parents.set(t.oid, new Set(refs));
  }
  const done = new Set<string>();
  const ordered: TableRow[] = [];
  const remaining = [...catalog.tables];
  while (remaining.length > 0) {
    const ready = remaining.find((t) => [...(parents.get(t.oid) ?? [])].every((p) => done.has(p))) ?? remaining[0];
    remaining.splice(remaining.indexOf(ready), 1);
    done.add(ready.oid);
    ordered.push(ready);
  }
  return ordered;
}
