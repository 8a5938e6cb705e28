import { columnDefinitions } from '../sql/column-definitions.js';
import type { ParsedStatement } from '../sql/parse.js';
import { baseName } from '../sql/nodes.js';
import { defineRule, type RuleContext } from './define-rule.js';

export default defineRule({
  id: 'prefer-jsonb',
  hazard: 'type-choice',
  summary: 'Store JSON as jsonb, not json.',
  messages: {
    jsonColumn: 'Column {{table}}.{{column}} is json, which has no equality operator: SELECT DISTINCT, UNION and GROUP BY over it fail.',
  },
  create: (ctx) => ({
    CreateStmt: (_node, statement) => check(ctx, statement),
    AlterTableStmt: (_node, statement) => check(ctx, statement),
  }),
});

function check(ctx: RuleContext, statement: ParsedStatement): void {
  for (const column of columnDefinitions(statement)) {
    if (column.type !== 'json') continue;
    ctx.report({
      node: statement,
      messageId: 'jsonColumn',
      data: { table: baseName(column.table), column: column.column },
      fix: `-- Use jsonb for ${column.column}: it has equality, indexing (GIN) and is faster to query; keep json only to preserve key order or duplicate keys.`,
    });
  }
}
