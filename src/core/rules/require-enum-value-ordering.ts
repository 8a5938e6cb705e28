import { qualifiedName } from '../sql/created-in-file.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'require-enum-value-ordering',
  hazard: 'type-choice',
  enabledByDefault: false,
  summary: 'Say where a new enum value sorts (BEFORE or AFTER an existing one).',
  messages: {
    enumValueOrdering: "ALTER TYPE {{type}} ADD VALUE '{{newVal}}' appends the value, so it sorts after every existing value in ORDER BY and comparisons.",
  },
  create: (ctx) => ({
    AlterEnumStmt(node, statement) {
      // RENAME VALUE keeps the position; only ADD VALUE without a neighbour appends.
      if (node.oldVal !== undefined || node.newValNeighbor !== undefined || node.newVal === undefined) return;
      const type = qualifiedName(node.typeName);
      ctx.report({
        node: statement,
        messageId: 'enumValueOrdering',
        data: { type, newVal: node.newVal },
        fix: `-- Say where it belongs, e.g.: ALTER TYPE ${type} ADD VALUE '${node.newVal}' BEFORE '<existing value>';`,
      });
    },
  }),
});
