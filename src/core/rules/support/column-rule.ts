import type { MessageValue, RuleContext, RuleVisitors } from '../define-rule.js';
import { type ColumnDefinition, columnDefinitions } from '../../sql/column-definitions.js';
import { baseName } from '../../sql/nodes.js';
import type { ParsedStatement } from '../../sql/parse.js';

/** What a type-choice rule says about one column: its message, the message's values, the fix. */
export interface ColumnProblem<MessageId extends string> {
  readonly messageId: MessageId;
  readonly data: Readonly<Record<string, MessageValue>>;
  readonly fix: string;
}

/**
 * Visitors for a type-choice rule: `check` is called for every column a CREATE TABLE or
 * ALTER TABLE defines or retypes, with its name as `table.column`, and returns the problem (or nothing).
 */
export function columnTypeVisitors<MessageId extends string>(
  ctx: RuleContext<MessageId>,
  check: (column: ColumnDefinition, name: string) => ColumnProblem<MessageId> | undefined,
): RuleVisitors {
  const visit = (_node: unknown, statement: ParsedStatement): void => {
    for (const column of columnDefinitions(statement)) {
      const found = check(column, `${baseName(column.table)}.${column.column}`);
      if (found) ctx.report({ node: statement, ...found });
    }
  };
  return { CreateStmt: visit, AlterTableStmt: visit };
}
