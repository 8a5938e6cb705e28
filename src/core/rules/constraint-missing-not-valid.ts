import { addedColumns, addedConstraints, columnConstraints, relationName } from '../sql/nodes.js';
import type { StatementNode } from '../sql/parse.js';
import { notValidFix } from '../sql/not-valid-fix.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'constraint-missing-not-valid',
  hazard: 'blocking-scan',
  summary: 'Add CHECK constraints to existing tables NOT VALID, and VALIDATE them in a later migration.',
  messages: {
    checkWithoutNotValid:
      'Adding {{name}} to {{table}} scans the whole table while holding an ACCESS EXCLUSIVE lock: reads and writes of {{table}} wait until every row is checked.',
  },
  create: (ctx) => ({
    AlterTableStmt(node, statement) {
      const table = relationName(node.relation);
      // A table created earlier in this change is empty and unused: its scan costs nothing.
      if (ctx.isNewTable(table)) return;
      const checks: Array<{ constraint: StatementNode; column?: string }> = [
        ...addedConstraints(statement).map((constraint) => ({ constraint })),
        // ADD COLUMN … CHECK validates every row too (crates.io's versions_zip_sha256_len), and cannot say NOT VALID.
        ...addedColumns(statement).flatMap((def) => columnConstraints(def).map((constraint) => ({ constraint, column: String(def.colname) }))),
      ].filter(({ constraint }) => constraint.contype === 'CONSTR_CHECK' && !constraint.skip_validation);
      for (const { constraint, column } of checks) {
        const name = constraint.conname ? `CHECK constraint ${constraint.conname}` : column ? `column ${column} with a CHECK constraint` : 'a CHECK constraint';
        ctx.report({
          node: statement,
          messageId: 'checkWithoutNotValid',
          data: { name, table },
          ...notValidFix(ctx.statements, statement, table, constraint, column),
        });
      }
    },
  }),
});
