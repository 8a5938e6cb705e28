import type { RuleContext, RuleVisitors } from '../define-rule.js';
import { type ColumnDefinition, columnDefinitions } from '../../sql/column-definitions.js';
import { baseName } from '../../sql/nodes.js';

/**
 * Visitors for a type-choice rule: `message` is called for every column a CREATE TABLE or
 * ALTER TABLE defines or retypes, and returns the finding's message (or nothing).
 */
export function columnTypeVisitors(
  ctx: RuleContext,
  check: (column: ColumnDefinition, name: string) => { message: string; fix: string } | undefined,
): RuleVisitors {
  const visit: NonNullable<RuleVisitors[string]> = (_node, statement) => {
    for (const column of columnDefinitions(statement)) {
      const found = check(column, `${baseName(column.table)}.${column.column}`);
      if (found) ctx.report({ statement, ...found });
    }
  };
  return { CreateStmt: visit, AlterTableStmt: visit };
}
