import { withConcurrently } from '../sql/concurrently.js';
import { dropObjectNames, indexCreatedEarlier, ownsLines, quoteIdent } from '../sql/nodes.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'require-concurrent-index-drop',
  hazard: 'blocking-index',
  summary: 'Drop indexes of existing tables with DROP INDEX CONCURRENTLY.',
  messages: {
    dropIndex:
      "DROP INDEX {{indexes}} takes an ACCESS EXCLUSIVE lock on the index's table: every read and write of that table waits (also behind any long-running query) until the drop commits.",
  },
  create: (ctx) => ({
    DropStmt(node, statement) {
      if (node.removeType !== 'OBJECT_INDEX' || node.concurrent) return;
      // DROP INDEX does not name the table. An index that this change created (in this file or an
      // earlier one) has served no production traffic yet, so only the indexes it did not create are reported.
      const names = dropObjectNames(node).filter((name) => !indexCreatedEarlier(ctx.changeStatements, statement, name));
      if (names.length === 0) return;
      const inTransaction = ctx.inTransaction(statement);
      const ifExists = node.missing_ok ? 'IF EXISTS ' : '';
      const cascade = node.behavior === 'DROP_CASCADE';
      // CONCURRENTLY accepts one index and no CASCADE, so anything else becomes a recipe.
      const simple = dropObjectNames(node).length === 1 && !cascade;
      const perIndex = names.map((name) => `DROP INDEX CONCURRENTLY ${ifExists}${name.split('.').map(quoteIdent).join('.')};`).join('\n');
      const outside =
        '-- CONCURRENTLY cannot run in a transaction block: move this into a migration that runs outside one (see ban-concurrently-in-transaction)';
      const fix = simple
        ? `${withConcurrently(statement)};${inTransaction ? ` ${outside}` : ''}`
        : [
            ...(cascade
              ? ['-- CONCURRENTLY does not support CASCADE: drop the objects that depend on the index (e.g. a constraint using it) first, then:']
              : []),
            ...(names.length > 1 ? ['-- CONCURRENTLY drops one index per statement:'] : []),
            perIndex,
            ...(inTransaction ? [outside] : []),
          ].join('\n');
      ctx.report({
        node: statement,
        messageId: 'dropIndex',
        data: { indexes: names.join(', ') },
        fix,
        replaces: simple && !inTransaction && ownsLines(ctx.statements, statement),
      });
    },
  }),
});
