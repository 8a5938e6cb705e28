import type { ParsedStatement } from './parse.js';

/** What a statement does to the transaction block: opens one, ends one, or neither. */
export function transactionEffect(statement: ParsedStatement): 'begin' | 'end' | undefined {
  if (statement.kind !== 'TransactionStmt') return undefined;
  switch (statement.node.kind) {
    case 'TRANS_STMT_BEGIN':
    case 'TRANS_STMT_START':
      return 'begin';
    // COMMIT/ROLLBACK AND CHAIN end the block and open the next one at once: it stays open.
    case 'TRANS_STMT_COMMIT':
    case 'TRANS_STMT_ROLLBACK':
      return statement.node.chain ? undefined : 'end';
    // PREPARE TRANSACTION ends the session's block (the transaction lives on, prepared).
    case 'TRANS_STMT_PREPARE':
      return 'end';
    default:
      return undefined;
  }
}

/** The BEGIN written in the file whose block is still open when `statement` runs, if any. */
export function openExplicitBegin(statements: readonly ParsedStatement[], statement: ParsedStatement): ParsedStatement | undefined {
  let open: ParsedStatement | undefined;
  for (const s of statements) {
    if (s === statement) return open;
    const effect = transactionEffect(s);
    if (effect === 'begin') open ??= s;
    if (effect === 'end') open = undefined;
  }
  return undefined;
}
