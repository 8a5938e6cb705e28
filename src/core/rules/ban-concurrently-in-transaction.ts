import { nonTransactionalStatement, openExplicitBegin, runOutsideTransaction, whyInTransaction } from '../sql/transaction-block.js';
import type { ParsedStatement } from '../sql/parse.js';
import { defineRule } from './define-rule.js';
import type { RuleContext } from './define-rule.js';

export default defineRule({
  id: 'ban-concurrently-in-transaction',
  hazard: 'concurrently-in-transaction',
  summary: 'Run CONCURRENTLY, VACUUM, ALTER SYSTEM and CREATE DATABASE outside a transaction block.',
  messages: {
    concurrentlyInTransaction: '{{what}} cannot run inside a transaction block, but {{why}}: the migration fails{{leftover}}.',
  },
  create: (ctx) => {
    const check = (_node: unknown, statement: ParsedStatement): void => report(ctx, statement);
    return {
      IndexStmt: check,
      DropStmt: check,
      ReindexStmt: check,
      AlterTableStmt: check,
      VacuumStmt: check,
      AlterSystemStmt: check,
      CreatedbStmt: check,
      DropdbStmt: check,
      CreateTableSpaceStmt: check,
      DropTableSpaceStmt: check,
      AlterEnumStmt: check,
    };
  },
});

function report(ctx: RuleContext, statement: ParsedStatement): void {
  const what = nonTransactionalStatement(statement, ctx.pgMajor);
  if (!what || !ctx.inTransaction(statement)) return;
  const begin = openExplicitBegin(ctx.statements, statement);
  const why = begin ? `the BEGIN on line ${begin.line} opens a transaction block around it` : whyInTransaction(ctx.layout);
  // A CONCURRENTLY build that fails half-way leaves an INVALID index behind, which a rerun with
  // IF NOT EXISTS then keeps (concurrent-index-if-not-exists).
  const leftover = /^(CREATE INDEX|REINDEX) CONCURRENTLY/.test(what) ? ', and a failed attempt can leave an INVALID index behind' : '';
  ctx.report({
    node: statement,
    messageId: 'concurrentlyInTransaction',
    data: { what, why, leftover },
    fix: [
      ...(begin ? [`Remove the BEGIN (line ${begin.line}) … COMMIT around the statement.`] : []),
      runOutsideTransaction(ctx.layout),
      `${statement.text};`,
    ].join('\n'),
  });
}
