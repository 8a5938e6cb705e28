import { openExplicitBegin, transactionEffect } from '../sql/transaction-block.js';
import { defineRule, type RuleContext } from './define-rule.js';

export default defineRule({
  id: 'transaction-nesting',
  hazard: 'forward-error',
  summary: 'Do not write BEGIN/COMMIT in a file the migration tool already runs in a transaction, nor nest BEGIN.',
  messages: {
    nestedBegin:
      'BEGIN inside the transaction opened on line {{line}} is ignored with a warning, so the first COMMIT ends both and the statements after it run outside any transaction.',
    blockInToolTransaction:
      '{{statement}} in a file the migration tool already runs in a transaction {{consequence}}: the statements after it run and commit one by one.',
  },
  create: (ctx) => ({
    TransactionStmt(_node, statement) {
      const effect = transactionEffect(statement);
      if (!effect) return;
      const open = openExplicitBegin(ctx.statements, statement);
      if (effect === 'begin' && open) {
        ctx.report({
          node: statement,
          messageId: 'nestedBegin',
          data: { line: open.line },
          fix: '-- Remove the inner BEGIN (and its COMMIT): one transaction per file.',
        });
        return;
      }
      if (!open && toolWraps(ctx)) {
        ctx.report({
          node: statement,
          messageId: 'blockInToolTransaction',
          data: {
            statement: effect === 'begin' ? 'BEGIN' : 'COMMIT',
            consequence:
              effect === 'begin' ? "is ignored with a warning, so its COMMIT ends the tool's transaction early" : "ends the tool's transaction early",
          },
          fix: [
            '-- Remove BEGIN/COMMIT from the file: the tool already wraps it in one transaction.',
            "-- To run statements outside a transaction, use the tool's mode for that instead",
            '-- (goose: -- +goose NO TRANSACTION; dbmate: -- migrate:up transaction:false; Diesel: run_in_transaction = false).',
          ].join('\n'),
        });
      }
    },
  }),
});

/**
 * Whether the tool itself wraps the file in a transaction. golang-migrate never does: a BEGIN in
 * its multi-statement string just turns the implicit transaction into an explicit one.
 */
function toolWraps(ctx: RuleContext): boolean {
  return ctx.transaction === 'transaction';
}
