import { createHash } from 'node:crypto';
import type { ClientBase } from 'pg';
import { userRelation } from '../user-relations.js';
import { batchedQueries, preparedQuery } from './prepared.js';

/** Row count and, per column (quote_ident name), a hash of the multiset of its values. */
export interface TableFingerprint {
  readonly rows: number;
  readonly columns: ReadonlyMap<string, string>;
}

/** Fingerprints by schema-qualified table name (quote_ident parts). */
export type DataFingerprint = ReadonlyMap<string, TableFingerprint>;

/** Something present in the earlier fingerprint that the later one lost; before/after are row counts. */
export interface DataLoss {
  table: string;
  column?: string;
  kind: 'table-missing' | 'column-missing' | 'rows-lost' | 'values-changed';
  before: number;
  after: number;
}

// Each table with its live columns in attnum order. Partitions are read through their root, so each row is hashed once.
const COLUMNS = `ARRAY(SELECT quote_ident(a.attname) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS columns`;

/**
 * The tables to fingerprint among those `condition` (over pg_class c) admits, each as `{ name, columns }`
 * (a FingerprintedTable): user tables, partitions read through their root.
 */
export const tablesToFingerprintSql = (condition: string): string => `
SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name, ${COLUMNS}
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND ${userRelation()} AND ${condition}
ORDER BY 1`;

const ALL_TABLES_SQL = tablesToFingerprintSql('true');

// Names the caller gives are resolved like any table name; tables that do not exist are skipped.
const NAMED_TABLES_SQL = `
SELECT DISTINCT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name, ${COLUMNS}
FROM unnest($1::text[]) AS t(name)
JOIN pg_class c ON c.oid = to_regclass(t.name)
JOIN pg_namespace n ON n.oid = c.relnamespace
ORDER BY 1`;

/**
 * Fingerprints the data of the given tables (default: every user table): one scan per table, all
 * sent in one round trip. Each column's value is the sum of a 64-bit hash of every value's text
 * form: a sum does not depend on row order and needs no sort, and 'n' for NULL versus 'v' || text
 * keeps NULL apart from any string. Text forms follow the session's settings (DateStyle, TimeZone,
 * extra_float_digits, ...), so compare fingerprints taken with the same (the drill pins them, see
 * scan-session.ts).
 */
export async function fingerprintData(client: ClientBase, tables?: string[]): Promise<DataFingerprint> {
  const list = (
    tables
      ? await preparedQuery<FingerprintedTable>(client, 'named_tables', NAMED_TABLES_SQL, [tables])
      : await preparedQuery<FingerprintedTable>(client, 'all_tables', ALL_TABLES_SQL, [])
  ).rows;
  return fingerprintTables(client, list);
}

/**
 * Fingerprints the listed tables (see fingerprintData), in one round trip: one scan per table, each
 * prepared the first time the session scans that table with those columns (batchedQueries), so a
 * drill's later checkpoints skip planning it again: about a third of the scans' time on Lemmy's
 * 73 small tables. statement_timeout applies to each scan on its own.
 */
export async function fingerprintTables(client: ClientBase, list: readonly FingerprintedTable[]): Promise<DataFingerprint> {
  if (list.length === 0) return new Map();
  const scans = list.map((table) => {
    const text = fingerprintSql(table);
    return { name: `scan_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`, text, values: [] };
  });
  const results = await batchedQueries<Record<string, string>>(client, scans);
  return new Map(list.map((t, i) => [t.name, fingerprintOf(t, results[i].rows[0])]));
}

/** A table to fingerprint: its qualified name and live columns, quote_ident each. */
export interface FingerprintedTable {
  name: string;
  columns: string[];
}

function fingerprintSql({ name, columns }: FingerprintedTable): string {
  // Table and column names come from quote_ident, so they are safe to place in the SQL text.
  // sum(int8) is exact (numeric), and adds in 128-bit integers where summing numerics is slower.
  const hashes = columns.map((c, i) => `coalesce(sum(hashtextextended(coalesce('v' || ${c}::text, 'n'), 0)), 0)::text AS h${i}`);
  return `SELECT count(*) AS rows${hashes.map((h) => `, ${h}`).join('')} FROM ${name}`;
}

function fingerprintOf({ columns }: FingerprintedTable, row: Record<string, string>): TableFingerprint {
  return { rows: Number(row.rows), columns: new Map(columns.map((c, i) => [c, row[`h${i}`]])) };
}

/**
 * Lists what `after` lost compared with `before`. Only tables and columns present before are
 * looked at: new ones are not losses. Values are compared only when the row count is unchanged,
 * since added rows change every column's hash without losing anything.
 */
export function compareFingerprints(before: DataFingerprint, after: DataFingerprint): DataLoss[] {
  const losses: DataLoss[] = [];
  for (const [table, was] of [...before].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const now = after.get(table);
    if (!now) {
      losses.push({ table, kind: 'table-missing', before: was.rows, after: 0 });
      continue;
    }
    if (now.rows < was.rows) losses.push({ table, kind: 'rows-lost', before: was.rows, after: now.rows });
    for (const [column, hash] of was.columns) {
      const current = now.columns.get(column);
      if (current === undefined) {
        losses.push({ table, column, kind: 'column-missing', before: was.rows, after: now.rows });
      } else if (current !== hash && now.rows === was.rows) {
        losses.push({ table, column, kind: 'values-changed', before: was.rows, after: now.rows });
      }
    }
  }
  return losses;
}
