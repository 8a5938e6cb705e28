import type { ClientBase } from 'pg';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { collectTopQueries, ExportedQuerySchema, type ExportedQuery } from './queries/representative.js';
import type { TableSize } from './rules/define-rule.js';
import type { Finding, MigrationResult } from './report/report.js';

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

const SizesFileSchema = z.object({
  tables: z.record(z.string(), z.object({ rows: z.number(), bytes: z.number() })),
  queries: z.array(ExportedQuerySchema).optional(),
});

/** A sizes file's contents: the table sizes and the exported queries (none in older files). */
export interface SizesFileContents {
  readonly tables: ReadonlyMap<string, TableSize>;
  readonly queries: readonly ExportedQuery[];
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
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
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

/** Parses a stats file; malformed content is a configuration error naming the file and the field. */
export function parseSizesFile(text: string, source: string): SizesFileContents {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${source}: not JSON (${(error as Error).message})`);
  }
  const parsed = SizesFileSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `${source}: ${issue.path.join('.') || '(root)'}: ${issue.message} (expected { "tables": { "<schema.table>": { "rows": N, "bytes": N } }, "queries": [{ "query", "calls", "meanMs" }] } as written by drillbot stats)`,
    );
  }
  return { tables: new Map(Object.entries(parsed.data.tables)), queries: parsed.data.queries ?? [] };
}

/** The table sizes of a stats file. */
export function parseTableSizes(text: string, source: string): ReadonlyMap<string, TableSize> {
  return parseSizesFile(text, source).tables;
}

/**
 * States production's size and an estimated lock duration on lock findings, and lowers errors on
 * small tables to warnings: rewriting a 200-row lookup table is not rewriting 200 million rows.
 * The estimate scales the drill's measured time on the seeded rows to the production row count.
 */
export function judgeBySize(
  findings: readonly Finding[],
  sizes: ReadonlyMap<string, TableSize>,
  migrations: readonly MigrationResult[],
  seededRowsPerTable: number,
): Finding[] {
  return findings.map((f) => {
    const size = f.table && SIZE_HAZARDS.has(f.hazard) ? lookup(sizes, f.table) : undefined;
    if (!size) return f;
    const statement = migrations.find((m) => m.path === f.path && m.direction === 'forward')?.statements.find((s) => s.line === f.line);
    const seeded = statement?.scannedRows[f.table!] || seededRowsPerTable;
    const estimate = statement && seeded > 0 ? (statement.durationMs * size.rows) / seeded : undefined;
    const facts = `On production ${f.table} has about ${formatCount(size.rows)} rows (${formatBytes(size.bytes)})${estimate !== undefined ? `; estimated lock time ≈ ${formatDuration(estimate)}` : ''}.`;
    const small = size.rows < SMALL_TABLE_ROWS && f.severity === 'error';
    return {
      ...f,
      message: `${f.message} ${facts}${small ? ' The table is small, so this is a warning.' : ''}`,
      ...(small ? { severity: 'warning' as const } : {}),
    };
  });
}

function lookup(sizes: ReadonlyMap<string, TableSize>, table: string): TableSize | undefined {
  return sizes.get(table) ?? sizes.get(`public.${table}`) ?? sizes.get(table.replace(/^public\./, ''));
}

function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} billion`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} million`;
  return n >= 1e4 ? `${Math.round(n / 1e3)} thousand` : String(n);
}

function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) [n, i] = [n / 1024, i + 1];
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(1, Math.round(ms))} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return ms < 7_200_000 ? `${Math.round(ms / 60_000)} min` : `${(ms / 3_600_000).toFixed(1)} h`;
}
