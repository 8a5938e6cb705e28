import type { ClientBase } from 'pg';
import type { MigrationScript } from '../layouts/layout.js';
import { finding } from '../report/findings.js';
import type { Finding } from '../report/report.js';
import { safeAlternative } from './advice.js';
import type { PgFailure, ScriptRun } from './execute.js';
import type { Baseline } from './observe.js';

/**
 * A forward statement that failed on the seeded rows but applies to the unseeded base. The seeded
 * values are Drillbot's own invention, so the finding says what is known: whether any row at all
 * breaks the statement (then production fails unless the table is empty), or only rows like the
 * seeded ones (then it gives the query that looks for such rows in production).
 */
export interface DataDependence {
  /** Any row makes the statement fail, whatever its values (a new NOT NULL column without a default). */
  readonly anyRow: boolean;
  /** The table PostgreSQL named, schema-qualified and quoted. */
  readonly table?: string;
  /** A read-only query that finds the rows that would make the statement fail in production. */
  readonly check?: string;
}

/** SQLSTATEs whose error report names the table (and column or constraint) behind the failure. */
const NOT_NULL_VIOLATION = '23502';
const FOREIGN_KEY_VIOLATION = '23503';
const UNIQUE_VIOLATION = '23505';
const CHECK_VIOLATION = '23514';

/**
 * Explains a data failure with the catalog of a database where the failing statement applied (the
 * unseeded copy), which holds the constraint or index the seeded run could not create.
 */
export async function explainDataFailure(client: ClientBase, error: PgFailure, baseline: Baseline): Promise<DataDependence> {
  if (!error.table || !error.schema) return { anyRow: false };
  const table = await one<string>(client, `SELECT format('%I.%I', $1::text, $2::text) AS v`, [error.schema, error.table]);
  if (table === null) return { anyRow: false };
  switch (error.code) {
    case NOT_NULL_VIOLATION:
      return notNull(client, table, error, baseline);
    case UNIQUE_VIOLATION:
      return { anyRow: false, table, check: await duplicatesQuery(client, table, error) };
    case CHECK_VIOLATION:
      return { anyRow: false, table, check: await violatingRowsQuery(client, table, error) };
    case FOREIGN_KEY_VIOLATION:
      return { anyRow: false, table, check: await orphansQuery(client, table, error) };
    default:
      return { anyRow: false, table };
  }
}

/** A column the table had before the change fails on its NULLs; a column the statement adds fails on any row. */
async function notNull(client: ClientBase, table: string, error: PgFailure, baseline: Baseline): Promise<DataDependence> {
  const column = error.column ? await one<string>(client, `SELECT quote_ident($1::text) AS v`, [error.column]) : null;
  const existing = [...baseline.tables.values()].find((t) => t.name === table);
  const isNewColumn = column !== null && existing !== undefined && !existing.columns.some((c) => c.name === column);
  if (isNewColumn) return { anyRow: true, table, check: `SELECT EXISTS (SELECT 1 FROM ${table});` };
  return { anyRow: false, table, check: column ? `SELECT count(*) FROM ${table} WHERE ${column} IS NULL;` : undefined };
}

/** `Key (a, lower(b))=(…) is duplicated.`: the key as PostgreSQL prints it, with the unique index's predicate. */
async function duplicatesQuery(client: ClientBase, table: string, error: PgFailure): Promise<string | undefined> {
  const key = /^Key \((.+)\)=\(/.exec(error.detail ?? '')?.[1];
  if (!key) return undefined;
  const predicate = error.constraint
    ? await one<string>(
        client,
        `SELECT pg_get_expr(i.indpred, i.indrelid) AS v FROM pg_index i WHERE i.indexrelid = to_regclass(format('%I.%I', $1::text, $2::text))`,
        [error.schema, error.constraint],
      )
    : null;
  return `SELECT ${key}, count(*) FROM ${table}${predicate ? ` WHERE ${predicate}` : ''} GROUP BY ${key} HAVING count(*) > 1 LIMIT 10;`;
}

/** The CHECK expression as the server stores it; NULL results pass a CHECK, as NOT (…) leaves them out. */
async function violatingRowsQuery(client: ClientBase, table: string, error: PgFailure): Promise<string | undefined> {
  if (!error.constraint) return undefined;
  const expression = await one<string>(
    client,
    `SELECT regexp_replace(pg_get_constraintdef(c.oid), '^CHECK (.*?)( NOT VALID)?$', '\\1') AS v
     FROM pg_constraint c WHERE c.conname = $1 AND c.conrelid = $2::regclass AND c.contype = 'c'`,
    [error.constraint, table],
  );
  return expression ? `SELECT count(*) FROM ${table} WHERE NOT ${expression};` : undefined;
}

/** Rows whose key is set but matches no row of the referenced table. */
async function orphansQuery(client: ClientBase, table: string, error: PgFailure): Promise<string | undefined> {
  if (!error.constraint) return undefined;
  return (
    (await one<string>(
      client,
      `SELECT format('SELECT count(*) FROM %s c WHERE %s AND NOT EXISTS (SELECT 1 FROM %s r WHERE %s);',
          $2::text,
          string_agg(format('c.%I IS NOT NULL', a.attname), ' AND ' ORDER BY k.ord),
          c.confrelid::regclass,
          string_agg(format('r.%I = c.%I', ra.attname, a.attname), ' AND ' ORDER BY k.ord)) AS v
       FROM pg_constraint c
       CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(attnum, refnum, ord)
       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
       JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.refnum
       WHERE c.conname = $1 AND c.conrelid = $2::regclass AND c.contype = 'f'
       GROUP BY c.confrelid`,
      [error.constraint, table],
    )) ?? undefined
  );
}

async function one<T>(client: ClientBase, sql: string, params: unknown[]): Promise<T | null> {
  const { rows } = await client.query<{ v: T | null }>(sql, params);
  return rows[0]?.v ?? null;
}

/** The finding: an error when any row breaks the statement, a warning with the query to run on production otherwise. */
export function dataDependentFinding(run: ScriptRun, script: MigrationScript, explained: DataDependence): Finding {
  const failed = run.statements[run.statements.length - 1]!;
  const error = failed.error!;
  const seen = `${error.message}${error.detail ? `; ${error.detail}` : ''}`;
  const where = explained.table ?? 'the table';
  const message = explained.anyRow
    ? `Fails as soon as ${where} holds any row (${seen}), whatever its values; it applied only to the empty tables of the unseeded base. It will fail in production unless ${where} is empty there.`
    : `Fails on the rows Drillbot seeded into ${where} (${seen}), although it applies to the unseeded base: it fails in production only if production has rows like these, which the drill cannot know.` +
      (explained.check ? ` Check production before merging: ${explained.check}` : '');
  return finding({
    hazard: 'data-dependent',
    source: 'drill',
    severity: explained.anyRow ? 'error' : 'warning',
    path: script.path,
    line: error.line,
    message,
    fix:
      safeAlternative(failed.statement, 'data-dependent') ??
      `Make the migration work on the rows production has${explained.check ? ` (see the query above)` : ''}.`,
    evidence: `SQLSTATE ${error.code} on seeded rows; the same migrations applied without them`,
  });
}
