import type { ParsedStatement, StatementNode } from './parse.js';

/**
 * Which `SET` of a setting is still in effect when a statement runs. This refines the rule
 * context's `settingBefore` with PostgreSQL's scoping: `SET LOCAL` outside a transaction block
 * does nothing (the server only warns), and it ends at the block's COMMIT or ROLLBACK.
 * https://www.postgresql.org/docs/current/sql-set.html
 */
export function settingInEffect(
  statements: readonly ParsedStatement[],
  inTransaction: (statement: ParsedStatement) => boolean,
  statement: ParsedStatement,
  name: string,
): string | undefined {
  let session: string | undefined;
  let local: string | undefined;
  let localSet = false;
  for (const s of statements) {
    if (s === statement) break;
    if (s.kind === 'TransactionStmt' && ['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK'].includes(String(s.node.kind))) {
      local = undefined;
      localSet = false;
      continue;
    }
    if (s.kind !== 'VariableSetStmt' || s.node.name !== name) continue;
    const value = s.node.kind === 'VAR_SET_VALUE' ? constantText(s.node.args?.[0]) : undefined;
    if (s.node.is_local) {
      if (!inTransaction(s)) continue;
      local = value;
      localSet = true;
    } else {
      session = value;
      local = undefined;
      localSet = false;
    }
  }
  return localSet ? local : session;
}

/** Whether a timeout setting's value leaves the timeout off: unset, DEFAULT/RESET, or zero. */
export function isTimeoutOff(value: string | undefined): boolean {
  return value === undefined || /^\s*0+(\.0*)?\s*(ms|s|min|h|d)?\s*$/i.test(value) || value.trim() === '';
}

/** Whether a timeout setting (`lock_timeout`, `statement_timeout`) is in effect for a statement. */
export function hasTimeout(
  statements: readonly ParsedStatement[],
  inTransaction: (statement: ParsedStatement) => boolean,
  statement: ParsedStatement,
  name: string,
): boolean {
  return !isTimeoutOff(settingInEffect(statements, inTransaction, statement, name));
}

function constantText(arg: StatementNode | undefined): string | undefined {
  const constant = arg?.A_Const;
  if (!constant) return undefined;
  // libpg-query leaves out zero values: `ival: {}` is 0.
  if (constant.ival) return String(constant.ival.ival ?? 0);
  return String(constant.sval?.sval ?? constant.fval?.fval ?? '');
}
