import { addedConstraints, quoteIdent, relationName, sameRelation } from '../sql/nodes.js';
import type { ParsedStatement, StatementNode } from '../sql/parse.js';
import { transactionBoundaryBetween } from '../sql/transaction-block.js';
import { defineRule } from './define-rule.js';

/** The statement (this one or an earlier one of the file) that added constraint `name` NOT VALID to `table`. */
function notValidAdd(
  statements: readonly ParsedStatement[],
  statement: ParsedStatement,
  table: string,
  name: string,
): { at: ParsedStatement; constraint: StatementNode } | undefined {
  let found: { at: ParsedStatement; constraint: StatementNode } | undefined;
  for (const s of statements) {
    if (s.kind === 'AlterTableStmt' && sameRelation(relationName(s.node.relation), table)) {
      const constraint = addedConstraints(s).find((c) => c.conname === name && c.skip_validation);
      if (constraint) found = { at: s, constraint };
    }
    if (s === statement) break;
  }
  return found;
}

export default defineRule({
  id: 'validate-in-same-transaction',
  hazard: 'blocking-scan',
  summary: 'VALIDATE a NOT VALID constraint in a later transaction than the one that added it.',
  messages: {
    validateInSameTransaction:
      'VALIDATE CONSTRAINT {{name}} on {{table}} runs in the same transaction as its NOT VALID add {{where}}, whose {{lock}} of {{table}} for the whole validation scan.',
  },
  create: (ctx) => ({
    AlterTableCmd(cmd, { statement, relation: table, isNewTable }) {
      // A table created earlier in this change is empty and unused: its scan costs nothing.
      if (isNewTable || cmd.subtype !== 'AT_ValidateConstraint' || !cmd.name) return;
      const added = notValidAdd(ctx.statements, statement, table, cmd.name);
      if (!added) return;
      // Locks are held until the transaction ends: a COMMIT between the two statements releases them.
      const sameTransaction =
        added.at === statement ||
        (ctx.inTransaction(added.at) && ctx.inTransaction(statement) && !transactionBoundaryBetween(ctx.statements, added.at, statement));
      if (!sameTransaction) return;
      const foreign = added.constraint.contype === 'CONSTR_FOREIGN';
      const lock = foreign ? 'SHARE ROW EXCLUSIVE lock blocks writes' : 'ACCESS EXCLUSIVE lock blocks reads and writes';
      const where = added.at === statement ? 'in the same statement' : `on line ${added.at.line}`;
      ctx.report({
        node: statement,
        messageId: 'validateInSameTransaction',
        data: { name: cmd.name, table, where, lock },
        fix: [
          '-- Commit between the two: keep the NOT VALID add here and move the validation to a later migration:',
          `ALTER TABLE ${table.split('.').map(quoteIdent).join('.')} VALIDATE CONSTRAINT ${quoteIdent(cmd.name)};`,
        ].join('\n'),
      });
    },
  }),
});
