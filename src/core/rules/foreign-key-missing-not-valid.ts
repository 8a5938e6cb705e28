import { addedColumns, addedConstraints, columnConstraints, relationName } from '../sql/nodes.js';
import { notValidFix } from '../sql/not-valid-fix.js';
import type { StatementNode } from '../sql/parse.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'foreign-key-missing-not-valid',
  hazard: 'blocking-scan',
  summary: 'Add foreign keys on existing tables NOT VALID, and VALIDATE them in a later migration.',
  messages: {
    foreignKeyWithoutNotValid:
      'Adding {{name}} from {{table}} to {{referenced}} takes SHARE ROW EXCLUSIVE locks on both tables and scans {{table}}: writes to {{table}} and {{referenced}} wait until every row is checked.',
  },
  create: (ctx) => ({
    AlterTableStmt(node, statement) {
      const table = relationName(node.relation);
      // A table created earlier in this change is empty: checking it is instant, so its locks are brief.
      if (ctx.isNewTable(table)) return;
      const keys: Array<{ constraint: StatementNode; column?: string }> = [
        ...addedConstraints(statement).map((constraint) => ({ constraint })),
        // ADD COLUMN … REFERENCES cannot say NOT VALID: the key has to move to its own statement.
        ...addedColumns(statement).flatMap((def) => columnConstraints(def).map((constraint) => ({ constraint, column: String(def.colname) }))),
      ].filter(({ constraint }) => constraint.contype === 'CONSTR_FOREIGN' && !constraint.skip_validation);
      for (const { constraint, column } of keys) {
        const referenced = relationName(constraint.pktable);
        const name = constraint.conname ? `foreign key ${constraint.conname}` : column ? `column ${column} with a foreign key` : 'a foreign key';
        ctx.report({
          node: statement,
          messageId: 'foreignKeyWithoutNotValid',
          data: { name, table, referenced },
          ...notValidFix(ctx.statements, statement, table, constraint, column),
        });
      }
    },
  }),
});
