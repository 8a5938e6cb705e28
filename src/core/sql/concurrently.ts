import type { ParsedStatement } from './parse.js';

/**
 * The statement's text with CONCURRENTLY added where PostgreSQL accepts it (CREATE [UNIQUE]
 * INDEX, DROP INDEX, REINDEX [(options)] INDEX|TABLE|SCHEMA|DATABASE, REFRESH MATERIALIZED
 * VIEW), without the final semicolon; undefined for other statements.
 */
export function withConcurrently(statement: ParsedStatement): string | undefined {
  const pattern = CONCURRENT_KEYWORD_AFTER[statement.kind];
  return pattern && pattern.test(statement.text) ? statement.text.replace(pattern, '$1 CONCURRENTLY') : undefined;
}

/** Where the keyword goes, per statement kind: right after the capture. */
const CONCURRENT_KEYWORD_AFTER: Partial<Record<string, RegExp>> = {
  IndexStmt: /^(CREATE\s+(?:UNIQUE\s+)?INDEX)\b/i,
  DropStmt: /^(DROP\s+INDEX)\b/i,
  ReindexStmt: /^(REINDEX\s*(?:\([^)]*\)\s*)?(?:INDEX|TABLE|SCHEMA|DATABASE))\b/i,
  RefreshMatViewStmt: /^(REFRESH\s+MATERIALIZED\s+VIEW)\b/i,
};
