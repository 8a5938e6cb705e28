import { addedConstraints, relationName } from '../sql/nodes.js';
import { notValidFix } from '../sql/not-valid-fix.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'constraint-missing-not-valid',
  hazard: 'blocking-scan',
  summary: 'Add CHECK constraints to existing tables NOT VALID, and VALIDATE them in a later migration.',
  create: (ctx) => ({
    AlterTableStmt(node, statement) {
      const table = relationName(node.relation);
      // A table created earlier in this change is empty and unused: its scan costs nothing.
      if (ctx.isNewTable(table)) return;
      for (const constraint of addedConstraints(statement)) {
        if (constraint.contype !== 'CONSTR_CHECK' || constraint.skip_validation) continue;
        const name = constraint.conname ? `CHECK constraint ${constraint.conname}` : 'a CHECK constraint';
        ctx.report({
          statement,
          message: `Adding ${name} to ${table} scans the whole table while holding an ACCESS EXCLUSIVE lock: reads and writes of ${table} wait until every row is checked.`,
          ...notValidFix(ctx.statements, statement, table, constraint),
        });
      }
    },
  }),
});
