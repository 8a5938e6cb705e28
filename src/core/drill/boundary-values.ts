import type { ClientBase } from 'pg';
import { finding } from '../report/findings.js';
import type { Finding } from '../report/report.js';
import { alterCommands, relationName } from '../sql/nodes.js';
import { columnType, typeText } from '../sql/type-changes.js';
import type { ParsedStatement } from '../sql/parse.js';

/**
 * Lossy type changes show only on values at the edges of the old type: 1000 in a column bound for
 * varchar(3), a time of day in a timestamp bound for date, digits past a numeric's new scale. The
 * seeder's values rarely sit there, so the columns a change converts get some that do, before the
 * forward runs. Each planted row is read again after the forward: a value the new type cannot
 * give back (cast back to the old type, it no longer equals what was planted) is data lost.
 *
 * A planted value must not change what the drill sees otherwise: only values the conversion
 * accepts are planted (PostgreSQL's assignment cast to the new type, the one ALTER COLUMN … TYPE
 * applies, tried on a temporary table), and a conversion with USING gets none, since its
 * expression decides what fails; the lossy-type-change rule judges those.
 */

/** A column that an ALTER TABLE … ALTER COLUMN … TYPE of the change converts, and where. */
export interface ConvertedColumn {
  readonly relation: string;
  readonly column: string;
  /** The new type as the statement writes it (`numeric(12, 2)`). */
  readonly newType: string;
  readonly path: string;
  readonly line: number;
}

/** A boundary value written into one row, found again by its primary key. */
export interface PlantedValue extends ConvertedColumn {
  /** Schema-qualified, quoted table and column, and the column's type before the change. */
  readonly table: string;
  readonly quotedColumn: string;
  readonly oldType: string;
  /** Primary key columns (quoted) and the row's key, as text. */
  readonly keyColumns: readonly string[];
  readonly key: readonly string[];
  /** The planted value as the old type prints it. */
  readonly value: string;
}

/** Edge values per pg_type.typcategory; each is tried in a savepoint, and kept only if the old type and constraints take it. */
const EDGES: Readonly<Record<string, readonly string[]>> = {
  N: ['2147483647', '-9223372036854775807', '1000', '123456.789', '0.000123456789', '1e15'],
  S: ['1000', 'x'.repeat(300), 'Grüße, 東京 ✓ ' + 'y'.repeat(40), '  padded  ', '2024-02-29 23:59:59.999999+05:30'],
  D: ['2024-02-29 23:59:59.999999+05:30', '1999-12-31 12:34:56.5', '2024-02-29'],
  T: ['1 year 2 mons 3 days 04:05:06.789', '-00:00:00.000001'],
};

/** The columns the change's forward statements convert with ALTER COLUMN … TYPE. */
export function convertedColumns(scripts: ReadonlyArray<{ path: string; statements: readonly ParsedStatement[] }>): ConvertedColumn[] {
  return scripts.flatMap(({ path, statements }) =>
    statements.flatMap((statement) => {
      const relation = relationName(statement.node.relation);
      return alterCommands(statement)
        .filter((cmd) => cmd.subtype === 'AT_AlterColumnType' && typeof cmd.name === 'string' && cmd.def?.ColumnDef && !cmd.def.ColumnDef.raw_default)
        .map((cmd) => ({ relation, column: cmd.name as string, newType: typeText(columnType(cmd.def?.ColumnDef?.typeName)), path, line: statement.line }));
    }),
  );
}

const COLUMN_SQL = `
SELECT format('%I.%I', n.nspname, c.relname) AS table, quote_ident(a.attname) AS column,
  format_type(a.atttypid, a.atttypmod) AS type, t.typcategory AS category,
  (SELECT array_agg(quote_ident(ka.attname) ORDER BY k.ord) FROM pg_index i
     CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
     JOIN pg_attribute ka ON ka.attrelid = i.indrelid AND ka.attnum = k.attnum
   WHERE i.indrelid = c.oid AND i.indisprimary) AS key
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = $2 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
WHERE c.oid = to_regclass($1) AND NOT a.attisdropped`;

/**
 * Writes edge values into distinct rows of each converted column of an existing table with a
 * primary key (rows are found again by it; without one the round trip's fingerprint still sees
 * what the reverse does not restore). Must run outside any transaction of the drill.
 */
export async function plantBoundaryValues(client: ClientBase, columns: readonly ConvertedColumn[]): Promise<PlantedValue[]> {
  const planted: PlantedValue[] = [];
  for (const target of columns) {
    const { rows } = await client.query<{ table: string; column: string; type: string; category: string; key: string[] | null }>(COLUMN_SQL, [
      target.relation,
      target.column,
    ]);
    const info = rows[0];
    // Tables the change creates, arrays and key columns themselves are left alone.
    if (!info?.key || info.key.includes(info.column) || !EDGES[info.category] || info.type.endsWith('[]')) continue;
    const used = planted.filter((p) => p.table === info.table).length;
    for (const [i, value] of EDGES[info.category].entries()) {
      const row = await plantOne(client, { table: info.table, column: info.column, type: info.type, newType: target.newType, key: info.key }, value, used + i);
      if (row) planted.push({ ...target, table: info.table, quotedColumn: info.column, oldType: info.type, keyColumns: info.key, ...row });
    }
  }
  return planted;
}

interface PlantTarget {
  readonly table: string;
  readonly column: string;
  readonly type: string;
  readonly newType: string;
  readonly key: readonly string[];
}

async function plantOne(
  client: ClientBase,
  { table, column, type, newType, key }: PlantTarget,
  value: string,
  offset: number,
): Promise<{ key: string[]; value: string } | null> {
  const keyText = key.map((k) => `${k}::text`).join(', ');
  await client.query('BEGIN');
  try {
    // The conversion must take the value (assignment cast into the new type), or the forward would fail on it.
    await client.query(`CREATE TEMP TABLE drillbot_probe (v ${newType}) ON COMMIT DROP`);
    await client.query(`INSERT INTO drillbot_probe SELECT $1::${type}`, [value]);
    // Names come from quote_ident/format('%I'); the old type from format_type; the new type as the migration writes it.
    const { rows } = await client.query<{ key: string[]; value: string }>(
      `UPDATE ${table} SET ${column} = $1::${type}
       WHERE (${key.join(', ')}) = (SELECT ${key.join(', ')} FROM ${table} ORDER BY ${key.join(', ')} OFFSET $2 LIMIT 1)
       RETURNING ARRAY[${keyText}] AS key, ${column}::text AS value`,
      [value, offset],
    );
    await client.query('COMMIT');
    return rows[0] ?? null;
  } catch {
    // The old type, the new one or a constraint refuses this edge: another one will do.
    await client.query('ROLLBACK');
    return null;
  }
}

/** After the forward: every planted value the converted column no longer gives back, one finding per statement. */
export async function lostBoundaryValues(client: ClientBase, planted: readonly PlantedValue[]): Promise<Finding[]> {
  const lost = new Map<string, { p: PlantedValue; now: string | null }[]>();
  for (const p of planted) {
    const now = await readBack(client, p);
    if (now === undefined) continue;
    const at = `${p.path}\0${p.line}`;
    lost.set(at, [...(lost.get(at) ?? []), { p, now }]);
  }
  return Promise.all(
    [...lost.values()].map(async (items) => {
      const { p } = items[0];
      const examples = items
        .slice(0, 3)
        .map(({ p: item, now }) => `${item.table}.${item.quotedColumn} '${short(item.value)}' became ${now === null ? 'NULL' : `'${short(now)}'`}`);
      const newType = await typeOf(client, p);
      // The values are Drillbot's: whether production holds such values is for this query to say.
      const check = newType
        ? ` Check production before merging (a plain cast; adapt it to a USING expression): SELECT count(*) FROM ${p.table} WHERE ${p.quotedColumn} IS DISTINCT FROM ${p.quotedColumn}::${newType}::${p.oldType};`
        : '';
      return finding({
        hazard: 'data-loss',
        source: 'drill',
        severity: 'warning',
        path: p.path,
        line: p.line,
        table: p.table,
        message: `Converts values with loss: ${examples.join('; ')} (edge values of ${p.oldType} planted by Drillbot); such values cannot be recovered from the new column.${check}`,
        fix: 'Keep the old column until the conversion is proven lossless: add the new column, backfill it, compare (SELECT … WHERE new::old_type IS DISTINCT FROM old), then switch; or choose a type that holds every existing value.',
        evidence: `${items.length} planted value(s) no longer equal after the forward, compared as ${p.oldType}`,
      });
    }),
  );
}

async function typeOf(client: ClientBase, p: PlantedValue): Promise<string | null> {
  const { rows } = await client.query<{ type: string }>(
    `SELECT format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND quote_ident(a.attname) = $2 AND NOT a.attisdropped`,
    [p.table, p.quotedColumn],
  );
  return rows[0]?.type ?? null;
}

/**
 * The value now, when it is not the planted one: compared in the old type, so a different text
 * form of the same value (1.50 and 1.5) is not a loss. undefined: unchanged, or not comparable
 * (the row or column is gone, or the new value no longer converts back).
 */
async function readBack(client: ClientBase, p: PlantedValue): Promise<string | null | undefined> {
  try {
    const { rows } = await client.query<{ now: string | null; same: boolean | null }>(
      `SELECT ${p.quotedColumn}::text AS now, (${p.quotedColumn}::text::${p.oldType} IS NOT DISTINCT FROM $1::${p.oldType}) AS same
       FROM ${p.table} WHERE ARRAY[${p.keyColumns.map((k) => `${k}::text`).join(', ')}] = $2::text[]`,
      [p.value, p.key],
    );
    if (rows.length === 0 || rows[0].same) return undefined;
    return rows[0].now;
  } catch {
    return undefined;
  }
}

function short(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}
