import { LOCKING_KINDS, statementLabel, strongLocksOnExistingTables } from '../sql/lock-levels.js';
import { baseName } from '../sql/nodes.js';
import type { ParsedStatement } from '../sql/parse.js';
import { isBookkeeping, transactionBlockOf } from '../sql/transaction-block.js';
import { defineRule, visitorsFor } from './define-rule.js';

export default defineRule({
  id: 'strong-lock-held-across-statements',
  hazard: 'lock-timeout',
  summary: 'Do not run more statements in a transaction after taking ACCESS EXCLUSIVE on an existing table.',
  messages: {
    heldAcrossStatements:
      '{{statement}} takes ACCESS EXCLUSIVE on {{tables}} and {{count}} more {{statements}} ({{lines}}) {{run}} before the transaction commits, so every read and write of {{thoseTables}} waits for all of them.',
  },
  create: (ctx) => {
    const aeTables = (s: ParsedStatement): string[] =>
      strongLocksOnExistingTables(s, ctx.changeStatements, ctx.isNewTable, 'ACCESS EXCLUSIVE').map((l) =>
        l.kind === 'index-table' ? `the table of index ${baseName(l.relation)}` : baseName(l.relation),
      );
    const check = (_node: unknown, statement: ParsedStatement): void => {
      const tables = aeTables(statement);
      if (tables.length === 0) return;
      // A lock is released only at COMMIT, so everything after it in the block extends the outage.
      const block = transactionBlockOf(ctx.statements, ctx.inTransaction, statement);
      const at = block.indexOf(statement);
      // Reported once per block, at the first ACCESS EXCLUSIVE statement.
      if (at < 0 || block.slice(0, at).some((s) => aeTables(s).length > 0)) return;
      const after = block.slice(at + 1).filter((s) => !isBookkeeping(s));
      if (after.length === 0) return;
      const lines = after.map((s) => s.line);
      ctx.report({
        node: statement,
        messageId: 'heldAcrossStatements',
        data: {
          statement: statementLabel(statement),
          tables: tables.join(', '),
          count: after.length,
          statements: after.length === 1 ? 'statement' : 'statements',
          lines: `line${lines.length === 1 ? '' : 's'} ${lines.join(', ')}`,
          run: after.length === 1 ? 'runs' : 'run',
          thoseTables: tables.length === 1 ? 'that table' : 'those tables',
        },
        fix: [
          `-- Hold ACCESS EXCLUSIVE for as short a time as possible:`,
          `-- 1. move this statement into its own migration (or commit right after it), or`,
          `-- 2. make it the last statement of the transaction, after the statements that take weaker locks;`,
          `-- and set lock_timeout first so that the wait for the lock cannot queue traffic:`,
          `SET lock_timeout = '5s';`,
          `${statement.text};`,
          `COMMIT;`,
        ].join('\n'),
      });
    };
    return visitorsFor(LOCKING_KINDS, check);
  },
});
