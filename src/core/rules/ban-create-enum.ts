import { qualifiedName } from '../sql/created-in-file.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'ban-create-enum',
  hazard: 'type-choice',
  enabledByDefault: false,
  summary: 'Prefer a lookup table (or text with a CHECK) to an enum type.',
  messages: {
    createEnum: 'Enum type {{type}} cannot lose values later (there is no DROP VALUE) and cannot carry extra data per value.',
  },
  create: (ctx) => ({
    CreateEnumStmt(node, statement) {
      const type = qualifiedName(node.typeName);
      ctx.report({
        node: statement,
        messageId: 'createEnum',
        data: { type },
        fix: `-- Use a lookup table with a foreign key, or a text column with a CHECK (col IN (...)) constraint, instead of ${type}.`,
      });
    },
  }),
});
