import { z } from 'zod';
import { ConfigError } from './errors.js';
import type { TableSize } from './rules/define-rule.js';

// The reading of `drillbot stats` files, apart from table-sizes.ts: zod takes 0.1 s or more to
// load, and only a review whose configuration names a tableSizes file needs it (review-inputs.ts
// imports this module when it does).

/** One exported query of the sizes file, as `drillbot stats` writes it. */
export const ExportedQuerySchema = z.object({
  query: z.string().min(1),
  calls: z.number().int().nonnegative(),
  meanMs: z.number().nonnegative(),
});
export type ExportedQuery = z.infer<typeof ExportedQuerySchema>;

const SizesFileSchema = z.object({
  tables: z.record(z.string(), z.object({ rows: z.number(), bytes: z.number() })),
  queries: z.array(ExportedQuerySchema).optional(),
});

/** A sizes file's contents: the table sizes and the exported queries (none in older files). */
export interface SizesFileContents {
  readonly tables: ReadonlyMap<string, TableSize>;
  readonly queries: readonly ExportedQuery[];
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
