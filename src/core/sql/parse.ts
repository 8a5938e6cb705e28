import { parse } from 'libpg-query';
import type { MigrationScript } from '../layouts/layout.js';

/** A libpg-query statement node, e.g. `{ IndexStmt: { concurrent: true, … } }`. */
export type StatementNode = Record<string, any>;

/** One statement of a migration script, with where it sits in its file. */
export interface ParsedStatement {
  /** The statement's SQL without the terminating semicolon. */
  readonly text: string;
  /** libpg-query node type, e.g. `IndexStmt`, `AlterTableStmt`. */
  readonly kind: string;
  /** The node under `kind`. */
  readonly node: StatementNode;
  /** 1-based file lines. */
  readonly line: number;
  readonly endLine: number;
}

export type ParseResult =
  | { ok: true; statements: ParsedStatement[] }
  | { ok: false; error: { message: string; line: number } };

/**
 * Splits and parses a script with PostgreSQL's own parser (libpg-query), keeping each
 * statement's file lines so that every finding can point at one.
 */
export async function parseScript(script: Pick<MigrationScript, 'sql' | 'startLine'>): Promise<ParseResult> {
  const lines = lineLocator(script.sql, script.startLine);
  try {
    const tree = await parse(script.sql);
    const bytes = Buffer.from(script.sql, 'utf8');
    const statements = (tree.stmts ?? []).map((raw: any) => {
      // libpg-query reports byte offsets; lengths of 0 mean "to the end of the input".
      const start = raw.stmt_location ?? 0;
      const end = raw.stmt_len ? start + raw.stmt_len : bytes.length;
      const before = bytes.subarray(0, start).toString('utf8').length;
      const text = bytes.subarray(start, end).toString('utf8').trim();
      const kind = Object.keys(raw.stmt)[0];
      return {
        text,
        kind,
        node: raw.stmt[kind] as StatementNode,
        line: lines(before),
        endLine: lines(before + Math.max(text.length - 1, 0)),
      };
    });
    return { ok: true, statements };
  } catch (error: any) {
    // libpg-query's cursorPosition is a 0-based character offset into the input.
    const at = error?.sqlDetails?.cursorPosition;
    return {
      ok: false,
      error: { message: String(error?.sqlDetails?.message ?? error?.message ?? error), line: lines(typeof at === 'number' ? at : 0) },
    };
  }
}

/** Returns a function from a 0-based character offset in `sql` to a 1-based file line. */
export function lineLocator(sql: string, startLine: number): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < sql.length; i++) if (sql[i] === '\n') starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return startLine + lo;
  };
}
