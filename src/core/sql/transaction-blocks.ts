import type { ParsedStatement } from './parse.js';

/**
 * The statements that share a transaction block with `statement` (including itself), in order;
 * [] when it runs outside one. Blocks come from the tool's wrapping (the rule context's
 * inTransaction) and end at COMMIT/ROLLBACK or start at BEGIN written in the file.
 */
export function transactionBlockOf(
  statements: readonly ParsedStatement[],
  inTransaction: (statement: ParsedStatement) => boolean,
  statement: ParsedStatement,
): ParsedStatement[] {
  if (!inTransaction(statement)) return [];
  let block: ParsedStatement[] = [];
  let found = false;
  for (const s of statements) {
    const kind = s.kind === 'TransactionStmt' ? String(s.node.kind) : '';
    if (!inTransaction(s) || kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START') {
      if (found) return block;
      block = [];
      if (!inTransaction(s)) continue;
    }
    block.push(s);
    if (s === statement) found = true;
    if (kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK') {
      if (found) return block;
      block = [];
    }
  }
  return found ? block : [];
}

/** Statements that do no work of their own: transaction control, SET/SHOW, COMMENT ON. */
export function isBookkeeping(statement: ParsedStatement): boolean {
  return ['TransactionStmt', 'VariableSetStmt', 'VariableShowStmt', 'CommentStmt'].includes(statement.kind);
}
