import type { Node, ParseResult as ParseTree } from '@pgsql/types';
import { hasSqlDetails, parse } from 'libpg-query';
import type { MigrationScript } from '../layouts/layout.js';

/** libpg-query's AST as @pgsql/types describes it: each node type's interface, by its tag (`IndexStmt` → IndexStmt). */
export type NodeMap = { [N in Node as keyof N & string]: N[keyof N] };

/** A node tag of PostgreSQL's AST: `IndexStmt`, `AlterTableStmt`, `ColumnDef`, … (a misspelled one does not compile). */
export type NodeTag = keyof NodeMap;

/** The node under a tag: `NodeOf<'IndexStmt'>` is @pgsql/types' IndexStmt. */
export type NodeOf<T extends NodeTag> = NodeMap[T];

/**
 * A node walked generically by field name (the drill's and the helpers' tree walks). Rules get
 * typed nodes (TypedStatement, NodeOf); this door stays for code that walks any node.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the one untyped door into the AST
export type StatementNode = Record<string, any>;

/** A statement whose tag is known, with its node typed by @pgsql/types. */
export type TypedStatement<T extends NodeTag = NodeTag> = Omit<ParsedStatement, 'kind' | 'node'> & { readonly kind: T; readonly node: NodeOf<T> };

/** One statement of a migration script, with where it sits in its file. */
export interface ParsedStatement {
  /** The statement's SQL without the terminating semicolon. */
  readonly text: string;
  /** libpg-query node type, e.g. `IndexStmt`, `AlterTableStmt`. */
  readonly kind: NodeTag;
  /** The node under `kind`. */
  readonly node: StatementNode;
  /** 1-based file lines. */
  readonly line: number;
  readonly endLine: number;
}

export type ParseResult = { ok: true; statements: ParsedStatement[] } | { ok: false; error: { message: string; line: number } };

/**
 * Splits and parses a script with PostgreSQL's own parser (libpg-query), keeping each
 * statement's file lines so that every finding can point at one.
 */
export async function parseScript(script: Pick<MigrationScript, 'sql' | 'startLine'>): Promise<ParseResult> {
  const lines = lineLocator(script.sql, script.startLine);
  try {
    return { ok: true, statements: statementsOf(script.sql, await parse(script.sql), lines) };
  } catch (error) {
    // libpg-query's cursorPosition is a 0-based character offset into the input.
    const details = hasSqlDetails(error) ? error.sqlDetails : undefined;
    const at = details?.cursorPosition;
    return {
      ok: false,
      error: { message: String(details?.message ?? (error instanceof Error ? error.message : error)), line: lines(typeof at === 'number' ? at : 0) },
    };
  }
}

/**
 * The statements of a parsed `sql`, each with its text and its lines (`lines`: from a character
 * offset in `sql`). Once parseScript has loaded libpg-query, `parseSync(sql)` gives the tree too.
 */
export function statementsOf(sql: string, tree: ParseTree, lines: (offset: number) => number): ParsedStatement[] {
  const bytes = Buffer.from(sql, 'utf8');
  return (tree.stmts ?? []).map((raw) => {
    // libpg-query reports byte offsets; lengths of 0 mean "to the end of the input".
    const start = raw.stmt_location ?? 0;
    const end = raw.stmt_len ? start + raw.stmt_len : bytes.length;
    const before = bytes.subarray(0, start).toString('utf8').length;
    const text = bytes.subarray(start, end).toString('utf8').trim();
    // Every parsed statement is a Node: one key, its node type.
    const stmt = raw.stmt as Record<string, StatementNode>;
    const kind = Object.keys(stmt)[0] as NodeTag;
    return {
      text,
      kind,
      node: stmt[kind],
      line: lines(before),
      endLine: lines(before + Math.max(text.length - 1, 0)),
    };
  });
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
