import type { ClientBase } from 'pg';
import { formatBytes, formatCount, formatDuration } from './format.js';
import { collectTopQueries } from './queries/representative.js';
import type { ExportedQuery } from './sizes-file.js';
import type { TableSize } from './rules/define-rule.js';
import { statementKey, type SizedPass } from './drill/sized-pass.js';
import type { Finding, MigrationResult, TableSeeding } from './report/report.js';
import { userRelation } from './user-relations.js';

/**
 * What `drillbot stats` writes: catalog statistics of production tables and the most called
 * normalised queries of pg_stat_statements, never data or parameters. Files without `queries`
 * (older exports) stay valid.
 */
export interface TableSizesFile {
  readonly generatedAt: string;
  readonly serverVersion: string;
  readonly tables: Record<string, TableSize>;
  readonly queries?: ExportedQuery[];
  /** Why there are no queries (pg_stat_statements not installed or not loaded). */
  readonly queriesUnavailable?: string;
}

/** Below this many rows a lock or rewrite is brief: its errors become warnings. */
export const SMALL_TABLE_ROWS = 10_000;

const SIZE_HAZARDS = new Set(['rewrite', 'blocking-scan', 'blocking-index', 'lock-timeout', 'unbatched-backfill']);

/** Reads row estimates (pg_class.reltuples, as ANALYZE left them) and total sizes of user tables. */
export async function collectTableSizes(client: ClientBase): Promise<TableSizesFile> {
  const version = await client.query<{ server_version: string }>('SHOW server_version');
  const { rows } = await client.query<{ name: string; rows: string; bytes: string }>(`
    SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name,
           greatest(c.reltuples, 0)::int8 AS rows, pg_total_relation_size(c.oid) AS bytes
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
      AND ${userRelation()}
    ORDER BY 1`);
  const tables = Object.fromEntries(rows.map((r) => [r.name, { rows: Number(r.rows), bytes: Number(r.bytes) }]));
  const queries = await collectTopQueries(client);
  return {
    generatedAt: new Date().toISOString(),
    serverVersion: version.rows[0].server_version,
    tables,
    ...('queries' in queries ? { queries: queries.queries } : { queriesUnavailable: queries.unavailable }),
  };
}

/** Rows the sized pass gives a large table (fewer when production has fewer): enough for the fixed part of a statement's time to fade. */
export const SIZED_SEED_ROWS = 100_000;

/**
 * The tables worth timing at more rows, with the rows to seed them with: those a size hazard
 * concerns that production holds many rows of (at least SMALL_TABLE_ROWS, and more than the drill
 * seeded). Empty when no finding needs it: then no second pass runs.
 */
export function tablesToSize(findings: readonly Finding[], sizes: ReadonlyMap<string, TableSize>, seededRowsPerTable: number): Map<string, number> {
  const tables = new Map<string, number>();
  for (const f of findings) {
    const size = f.table && SIZE_HAZARDS.has(f.hazard) ? lookup(sizes, f.table) : undefined;
    if (!size || size.rows < SMALL_TABLE_ROWS) continue;
    const rows = Math.min(SIZED_SEED_ROWS, Math.round(size.rows));
    if (rows > seededRowsPerTable) tables.set(f.table!, rows);
  }
  return tables;
}

/** The rows `tables` (from tablesToSize) gives the table of this name, however either spells the schema. */
export function rowsToSeed(tables: ReadonlyMap<string, number>, table: string): number | undefined {
  return lookup(tables, table);
}

/** A statement's time measured at two row counts. */
export interface TwoSizes {
  readonly n1: number;
  readonly t1: number;
  readonly n2: number;
  readonly t2: number;
}

/**
 * The time at `rows`, from the slope between two measurements: t1 + slope × (rows − n1), assuming
 * the time is a fixed part plus a part linear in the rows (an index build's sort is n log n: over
 * a 10-30× extrapolation the log factor stays small). Never below t1, what was measured. Null when
 * the measurements give no slope: the larger size was not larger, or did not take longer.
 */
export function extrapolateTime({ n1, t1, n2, t2 }: TwoSizes, rows: number): number | null {
  if (n2 <= n1 || t2 <= t1) return null;
  return Math.max(t1, t1 + ((t2 - t1) / (n2 - n1)) * (rows - n1));
}

/** What the drill measured, for size-aware messages. */
export interface SizeMeasurements {
  /** The drill's migrations: each forward statement's time on the seeded rows. */
  readonly migrations: readonly MigrationResult[];
  /** Rows each table held in the drill. */
  readonly seeding: readonly TableSeeding[];
  /** The second pass with the large tables seeded at more rows; absent when none was needed. */
  readonly sized?: SizedPass;
}

/**
 * States production's size and an estimated lock duration on lock findings, and lowers errors on
 * small tables to warnings: rewriting a 200-row lookup table is not rewriting 200 million rows.
 * The estimate extrapolates the statement's times on the drill's seeded rows and on the sized
 * pass's larger count to the production row count (see extrapolateTime); when there is no slope,
 * the message says what was measured and no more.
 */
export function judgeBySize(findings: readonly Finding[], sizes: ReadonlyMap<string, TableSize>, measured: SizeMeasurements): Finding[] {
  const seeded = new Map(measured.seeding.map((t) => [t.table, t.rows]));
  return findings.map((f) => {
    const size = f.table && SIZE_HAZARDS.has(f.hazard) ? lookup(sizes, f.table) : undefined;
    if (!size) return f;
    const statement = measured.migrations.find((m) => m.path === f.path && m.direction === 'forward')?.statements.find((s) => s.line === f.line);
    const timing = statement?.status === 'applied' ? lockTime(f, size.rows, { t1: statement.durationMs, n1: lookup(seeded, f.table!) }, measured.sized) : '';
    const facts = `On production ${f.table} has about ${formatCount(size.rows)} rows (${formatBytes(size.bytes)})${timing}.`;
    const small = size.rows < SMALL_TABLE_ROWS && f.severity === 'error';
    return {
      ...f,
      message: `${f.message} ${facts}${small ? ' The table is small, so this is a warning.' : ''}`,
      ...(small ? { severity: 'warning' as const } : {}),
    };
  });
}

/** The clause on lock time: an estimate with its assumption and measurements, or only what was measured, and why. */
function lockTime(f: Finding, rows: number, first: { t1: number; n1: number | undefined }, sized: SizedPass | undefined): string {
  const onSeeded = `${formatDuration(first.t1)}${first.n1 !== undefined ? ` on ${formatCount(first.n1)} seeded rows` : ''}`;
  const measuredOnly = (why: string) => `; the drill measured ${onSeeded}, not extrapolated to production's size${why ? ` (${why})` : ''}`;
  if (!sized || first.n1 === undefined) return measuredOnly('');
  if ('failed' in sized) return measuredOnly(`the timing with more rows failed: ${sized.failed}`);
  const n2 = lookup(sized.rows, f.table!);
  const key = statementKey(f.path, f.line);
  const t2 = sized.durations.get(key);
  const timedOut = sized.timedOut.get(key);
  if (n2 !== undefined && timedOut !== undefined) {
    // Production has at least n2 rows (n2 is the smaller of the two): a lower bound is all there is, and a telling one.
    return `; the drill measured ${onSeeded}, and on ${formatCount(n2)} rows it ran past the statement timeout (${formatDuration(timedOut)}), so on production's rows it holds its lock longer than that`;
  }
  if (n2 === undefined || t2 === undefined) return measuredOnly('the timing with more rows did not reach this statement');
  const estimate = extrapolateTime({ n1: first.n1, t1: first.t1, n2, t2 }, rows);
  if (estimate === null) {
    return measuredOnly(
      n2 <= first.n1
        ? `only ${formatCount(n2)} rows could be seeded for the timing with more rows`
        : `on ${formatCount(n2)} rows it took ${formatDuration(t2)}, no longer`,
    );
  }
  const measurements = `measured ${onSeeded} and ${formatDuration(t2)} on ${formatCount(n2)} rows`;
  if (n2 >= rows) return `; estimated lock time ≈ ${formatDuration(estimate)}, ${measurements}, as many as production has`;
  return `; estimated lock time ≈ ${formatDuration(estimate)}, assuming the time is a fixed part plus a part linear in the rows: ${measurements}`;
}

function lookup<T>(sizes: ReadonlyMap<string, T>, table: string): T | undefined {
  return sizes.get(table) ?? sizes.get(`public.${table}`) ?? sizes.get(table.replace(/^public\./, ''));
}
