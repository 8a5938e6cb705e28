import { statementsBefore } from '../sql/created-in-file.js';
import { transactionEffect } from '../sql/transaction-block.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'uncommitted-transaction',
  hazard: 'forward-error',
  summary: 'Close every BEGIN written in a migration with a COMMIT.',
  messages: {
    beginWithoutCommit:
      'BEGIN has no COMMIT in this file, so the migration tool can report success while the session ends and PostgreSQL rolls every statement back.',
  },
  create: (ctx) => ({
    TransactionStmt(_node, statement) {
      if (transactionEffect(statement) !== 'begin') return;
      // Only the first BEGIN of a block counts; a nested one is transaction-nesting's finding.
      const before = statementsBefore(ctx.statements, statement);
      const open = before.reduce((o, s) => (transactionEffect(s) === 'begin' ? true : transactionEffect(s) === 'end' ? false : o), false);
      if (open) return;
      const after = ctx.statements.slice(before.length + 1);
      if (after.some((s) => transactionEffect(s) === 'end')) return;
      ctx.report({
        node: statement,
        messageId: 'beginWithoutCommit',
        fix: '-- Add COMMIT; after the last statement of the transaction (or remove BEGIN if the tool already runs the file in a transaction).',
      });
    },
  }),
});
