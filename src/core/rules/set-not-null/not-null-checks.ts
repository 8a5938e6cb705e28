import type { ParsedStatement, StatementNode } from '../../sql/parse.js';
import { addedConstraints, alterCommands, isColumnRef, relationName, sameRelation } from '../../sql/nodes.js';

/**
 * CHECK constraints that prove a column has no NULLs. From PostgreSQL 12, SET NOT NULL skips its
 * full-table scan when a valid one exists (ALTER TABLE, SET/DROP NOT NULL), which is what makes
 * the CHECK … NOT VALID → VALIDATE → SET NOT NULL path safe.
 */

/** Whether a CHECK expression implies `column IS NOT NULL` (the test alone, or one arm of an AND). */
export function provesNotNull(expr: StatementNode | undefined, column: string): boolean {
  if (!expr) return false;
  if (expr.NullTest) return expr.NullTest.nulltesttype === 'IS_NOT_NULL' && isColumnRef(expr.NullTest.arg, column);
  if (expr.BoolExpr?.boolop === 'AND_EXPR') return (expr.BoolExpr.args ?? []).some((a: StatementNode) => provesNotNull(a, column));
  return false;
}

/**
 * Whether the statements of `statements` before `statement` leave a valid CHECK proving `column`
 * of `table` not null: added without NOT VALID, or added NOT VALID and then validated. Pass the
 * change's statements: the recommended recipe spreads these steps over several migrations.
 */
export function validNotNullCheckBefore(statements: readonly ParsedStatement[], statement: ParsedStatement, table: string, column: string): boolean {
  const pending = new Set<string>();
  let valid = false;
  for (const s of statements) {
    if (s === statement) break;
    if (s.kind !== 'AlterTableStmt' || !sameRelation(relationName(s.node.relation), table)) continue;
    for (const c of addedConstraints(s)) {
      if (c.contype !== 'CONSTR_CHECK' || !provesNotNull(c.raw_expr, column)) continue;
      if (!c.skip_validation) valid = true;
      else if (c.conname) pending.add(String(c.conname));
    }
    for (const cmd of alterCommands(s)) {
      if (cmd.subtype === 'AT_ValidateConstraint' && cmd.name && pending.has(cmd.name)) valid = true;
    }
  }
  return valid;
}
