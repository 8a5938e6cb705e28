import type { Catalog, ColumnRow, ConstraintRow, TableRow, TypeRow } from './catalog.js';
import { checkListValues } from './catalog.js';
import { sqlLiteral } from '../prepared.js';
import { DUPLICATED_ROW, ROW, valueExpr, type Variant } from './values.js';

/** One set-based INSERT for a table; its values are literals, so it shares a simple-protocol round trip (see tryInsert). */
export interface InsertPlan {
  sql: string;
  /** Set for a DO block, whose command tag carries no row count. */
  rows?: number;
  /** CHECK constraints (table and domain) whose expressions filter the generated rows. */
  filteredBy: string[];
}

export interface PlanRequest {
  readonly catalog: Catalog;
  readonly table: TableRow;
  /** Rows to insert. */
  readonly rows: number;
  readonly variant: Variant;
  /** Rows each table held after its turn (by oid): a parent at 0 cannot be referenced. */
  readonly held: ReadonlyMap<string, number>;
  /** Skip rows that a unique index already holds instead of failing (after a first unique violation). */
  readonly onConflictDoNothing: boolean;
  /** See SeedOptions. */
  readonly shuffledText?: boolean;
}

// Candidate rows per wanted row when CHECKs filter them: selective CHECKs still leave enough.
const CANDIDATES_PER_ROW = 10;
const ROW_ALIAS = '"?row"';

interface Column {
  readonly column: ColumnRow;
  /** Expression of g.i in the candidate query (before CHECK filtering). */
  readonly inner: string;
  /** Expression over the candidate row s in the INSERT's select list. */
  readonly outer: string;
  /** For a self-reference: the referenced column, whose value the row takes. */
  readonly selfRef?: string;
}

/** Builds the INSERT for one table, or the reason it cannot be built (a NOT NULL column that cannot be filled). */
export function planInsert(req: PlanRequest): InsertPlan | { error: string } {
  const { catalog, table } = req;
  const constraints = catalog.constraints.get(table.oid) ?? [];
  const emptyParent = emptyRequiredParent(req, constraints);
  if (emptyParent) return { error: `parent table ${emptyParent} is empty` };
  const joins: string[] = [];
  const foreign = foreignSources(table, constraints, req.variant, joins);
  const columns: Column[] = [];
  for (const [position, column] of (catalog.columns.get(table.oid) ?? []).entries()) {
    const planned = planColumn(req, foreign, joins, position, column);
    if (planned === 'skip') continue;
    if (planned === null) return { error: `cannot generate values of type ${column.format} for NOT NULL column ${column.name}` };
    columns.push(planned);
  }
  const generated = new Set(columns.filter((c) => c.selfRef === undefined).map((c) => c.column.name));
  for (const [i, c] of columns.entries()) {
    if (c.selfRef === undefined || generated.has(c.selfRef)) continue;
    // The referenced key is PostgreSQL's to fill (serial, identity): a nullable reference stays NULL.
    if (c.column.not_null) return { error: `NOT NULL self-reference ${c.column.name} points at ${c.selfRef}, which PostgreSQL fills` };
    columns[i] = { column: c.column, inner: `NULL::${c.column.format}`, outer: `s.${c.column.name}` };
  }
  if (columns.length === 0) {
    // Nothing to choose: every column has a default. The loop is the only way to insert n rows
    // of defaults, since INSERT ... SELECT needs at least one column.
    const sql = `DO $seed$ BEGIN FOR i IN 1..${req.rows} LOOP INSERT INTO ${table.name} DEFAULT VALUES; END LOOP; END $seed$`;
    return { sql, rows: req.rows, filteredBy: [] };
  }
  return candidateInsert(req, columns, joins, constraints);
}

/**
 * INSERT ... SELECT over candidate rows: the CHECKs of the table and of domains are evaluated on
 * the candidates first (a CHECK passes unless it is false), so rows a CHECK would reject are
 * dropped instead of failing the whole insert.
 */
function candidateInsert(req: PlanRequest, columns: Column[], joins: string[], constraints: ConstraintRow[]): InsertPlan {
  const filters = checkFilters(req.catalog.types, columns, constraints);
  const candidates = sqlLiteral(filters.length > 0 ? req.rows * CANDIDATES_PER_ROW : req.rows);
  const limit = sqlLiteral(req.rows);
  const sql = `INSERT INTO ${req.table.name} (${columns.map((c) => c.column.name).join(', ')})
SELECT ${columns.map((c) => c.outer).join(',\n  ')}
FROM (
  SELECT ${ROW} AS ${ROW_ALIAS}, ${columns.map((c) => `${c.inner} AS ${c.column.name}`).join(',\n    ')}
  FROM generate_series(1, ${candidates}::int) AS g(i)
  ${joins.join('\n  ')}
) AS s
${filters.length > 0 ? `WHERE ${filters.map((f) => `(${f.expr}) IS NOT FALSE`).join(' AND ')}\n` : ''}ORDER BY s.${ROW_ALIAS}
LIMIT ${limit}${req.onConflictDoNothing ? '\nON CONFLICT DO NOTHING' : ''}`;
  return { sql, filteredBy: filters.map((f) => f.name) };
}

/** The value of one column, 'skip' when PostgreSQL fills it, null when a NOT NULL column cannot be filled. */
function planColumn(req: PlanRequest, foreign: Map<string, string>, joins: string[], position: number, column: ColumnRow): Column | 'skip' | null {
  const { catalog, variant } = req;
  // Identity, generated and serial columns are PostgreSQL's to fill.
  if (column.filled_by_server || column.serial) return 'skip';
  const nullable = !column.not_null && !domainNotNull(catalog.types, column.type);
  const fk = foreign.get(column.name);
  if (fk?.startsWith(SELF))
    return { column, inner: `NULL::${column.format}`, outer: `(s.${fk.slice(SELF.length)})::${column.format}`, selfRef: fk.slice(SELF.length) };
  const keyValues = catalog.partitionValues.get(req.table.oid)?.get(column.name);
  const allowed = checkLists(catalog.constraints.get(req.table.oid) ?? []).get(column.name);
  if (variant === 2 && column.has_default && !keyValues && !fk) return 'skip';
  let expr: string | null;
  if (keyValues) {
    expr = `(${sqlLiteral(keyValues)}::text[])[1 + (${ROW} - 1) % ${keyValues.length}]`;
  } else if (fk !== undefined) {
    expr = fk;
  } else if (allowed) {
    expr = `(${sqlLiteral(allowed)}::text[])[1 + (${ROW} - 1) % ${allowed.length}]`;
  } else if (variant === 2 && nullable) {
    expr = 'NULL';
  } else {
    expr = generatedValue(req, joins, column, position);
  }
  if (expr === null) {
    if (column.has_default) return 'skip';
    if (!nullable) return null;
    expr = 'NULL';
  }
  // Spread NULLs over rows by column position so that one row is not NULL everywhere.
  if (nullable && variant === 0 && !keyValues && expr !== 'NULL') {
    expr = `CASE WHEN (${ROW} + ${position}) % 4 = 0 THEN NULL ELSE ${expr} END`;
  }
  return { column, inner: `(${expr})::${innermostFormat(catalog.types, column)}`, outer: `s.${column.name}::${column.format}` };
}

/** A value made from the row number, for a column that is no key, reference or listed choice. */
function generatedValue(req: PlanRequest, joins: string[], column: ColumnRow, position: number): string | null {
  const { catalog, variant, shuffledText } = req;
  const unique = catalog.uniqueColumns.get(req.table.oid)?.has(column.name) ?? false;
  const expr = valueExpr(catalog.types, column.type, column.typmod, { variant, position, isUnique: unique, shuffledText });
  if (expr === null) return null;
  // Production data repeats values in columns nothing keeps unique; so do the seeded rows
  // (each value twice), so that a new UNIQUE constraint fails here as it would there. A uuid is
  // an identifier made by gen_random_uuid() or the application: production does not repeat it.
  const repeated = variant === 0 && !unique && innermostFormat(catalog.types, column) !== 'uuid';
  return pooled(req, joins, column, repeated ? expr.replaceAll(ROW, DUPLICATED_ROW) : expr);
}

/**
 * A column with CHECKs of its own (table CHECKs on it alone, domain CHECKs) takes its values from
 * a pool: the candidate values that pass them, in row order. Filtering whole rows instead would
 * need every column's CHECK to pass on the same row number, which independent ranges, lengths and
 * patterns rarely do.
 */
function pooled(req: PlanRequest, joins: string[], column: ColumnRow, expr: string): string {
  const checks = ownChecks(req.catalog.types, column, req.catalog.constraints.get(req.table.oid) ?? []);
  if (checks.length === 0) return expr;
  const pool = `pool${joins.length}`;
  const where = checks.map((f) => `(${f.expr}) IS NOT FALSE`).join(' AND ');
  joins.push(
    `CROSS JOIN (SELECT array_agg(${column.name} ORDER BY ${ROW_ALIAS}) AS v FROM (SELECT ${ROW} AS ${ROW_ALIAS}, (${expr})::${innermostFormat(req.catalog.types, column)} AS ${column.name}` +
      ` FROM generate_series(1, ${sqlLiteral(req.rows * CANDIDATES_PER_ROW)}::int) AS g(i)) AS c WHERE ${where}) AS ${pool}`,
  );
  return `${pool}.v[1 + (${ROW} - 1) % cardinality(${pool}.v)]`;
}

/** Marks a self-referencing column: its value is the referenced column of the same row. */
const SELF = '\u0000self:';

/** The type the candidate query produces: a domain's base type, so that its CHECKs filter before the cast. */
function innermostFormat(types: Map<string, TypeRow>, column: ColumnRow): string {
  let t = types.get(column.type);
  if (!t || t.kind !== 'd') return column.format;
  while (t.kind === 'd' && types.get(t.base)) t = types.get(t.base)!;
  return t.format;
}

/**
 * Joins that pick existing parent keys for each foreign key, and the expression for each of the
 * child's columns. Parent rows are numbered in key order; row g.i takes parent number
 * 1 + (g.i - 1) % count (style 1: a mixed radix over all foreign keys, so that a composite key
 * made of several foreign keys stays distinct when parents have fewer rows than the child).
 * A second foreign key to the same parent starts one parent later, so that CHECKs such as
 * parent_id <> child_id hold. A self-reference points at the row itself (rows of one INSERT
 * cannot see each other, but a row satisfies its own foreign key).
 */
function foreignSources(table: TableRow, constraints: ConstraintRow[], variant: Variant, joins: string[]): Map<string, string> {
  const exprs = new Map<string, string>();
  const counts: string[] = [];
  const perParent = new Map<string, number>();
  let n = 0;
  for (const fk of constraints.filter((c) => c.kind === 'f')) {
    const cols = fk.columns ?? [];
    const refs = fk.ref_columns ?? [];
    if (cols.length === 0 || cols.length !== refs.length || cols.some((c) => exprs.has(c))) continue;
    if (fk.ref_root === table.oid) {
      cols.forEach((c, i) => exprs.set(c, `${SELF}${refs[i]}`));
      continue;
    }
    n++;
    const f = `fk${n}`;
    const offset = perParent.get(fk.ref_root ?? '') ?? 0;
    perParent.set(fk.ref_root ?? '', offset + 1);
    const notNull = refs.map((r) => `${r} IS NOT NULL`).join(' AND ');
    const keys = refs.map((r, i) => `${r} AS k${i + 1}`).join(', ');
    const divisor = variant === 1 && counts.length > 0 ? ` / greatest(${counts.join(' * ')}, 1)` : '';
    joins.push(`CROSS JOIN (SELECT count(*) AS cnt FROM ${fk.ref_table} WHERE ${notNull}) AS ${f}c`);
    joins.push(
      `LEFT JOIN (SELECT ${keys}, row_number() OVER (ORDER BY ${refs.join(', ')}) AS rn FROM ${fk.ref_table} WHERE ${notNull}) AS ${f}` +
        ` ON ${f}.rn = 1 + ((${ROW} - 1)${divisor}${offset > 0 ? ` + ${offset}` : ''}) % nullif(${f}c.cnt, 0)`,
    );
    counts.push(`${f}c.cnt`);
    cols.forEach((c, i) => exprs.set(c, `${f}.k${i + 1}`));
  }
  return exprs;
}

/** A parent (other than the table itself) that a foreign key of NOT NULL columns needs but that holds no rows. */
function emptyRequiredParent(req: PlanRequest, constraints: ConstraintRow[]): string | null {
  const columns = new Map((req.catalog.columns.get(req.table.oid) ?? []).map((c) => [c.name, c]));
  for (const fk of constraints) {
    if (fk.kind !== 'f' || fk.ref_root === null || fk.ref_root === req.table.oid || req.held.get(fk.ref_root) !== 0) continue;
    if ((fk.columns ?? []).every((c) => columns.get(c)?.not_null)) return fk.ref_table;
  }
  return null;
}

interface Filter {
  name: string;
  expr: string;
}

/** CHECK expressions that can be evaluated on the candidate rows: those whose columns are all generated. */
function checkFilters(types: Map<string, TypeRow>, columns: Column[], constraints: ConstraintRow[]): Filter[] {
  const generated = new Set(columns.map((c) => c.column.name));
  const filters: Filter[] = [];
  for (const c of constraints) {
    const expr = c.kind === 'c' ? checkExpression(c.def) : null;
    if (expr && (c.columns ?? []).every((col) => generated.has(col))) filters.push({ name: c.name, expr });
  }
  return [...filters, ...columns.flatMap(({ column }) => domainChecks(types, column))];
}

/** The CHECKs on one column alone: the table's and its domains'. */
function ownChecks(types: Map<string, TypeRow>, column: ColumnRow, constraints: ConstraintRow[]): Filter[] {
  const own = constraints.filter((c) => c.kind === 'c' && c.columns?.length === 1 && c.columns[0] === column.name);
  const table = own.flatMap((c) => {
    const expr = checkExpression(c.def);
    return expr ? [{ name: c.name, expr }] : [];
  });
  return [...table, ...domainChecks(types, column)];
}

function domainChecks(types: Map<string, TypeRow>, column: ColumnRow): Filter[] {
  const filters: Filter[] = [];
  for (let t = types.get(column.type); t && t.kind === 'd'; t = types.get(t.base)) {
    for (const def of t.checks ?? []) {
      const expr = checkExpression(def);
      // In a domain CHECK, VALUE is the value being checked: here, the candidate's column.
      if (expr) filters.push({ name: `${t.format} (domain)`, expr: expr.replace(/\bVALUE\b/g, column.name) });
    }
  }
  return filters;
}

function checkExpression(def: string): string | null {
  return /^CHECK \((.*)\)(?: NO INHERIT)?(?: NOT VALID)?$/s.exec(def)?.[1] ?? null;
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
