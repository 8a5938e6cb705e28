import { withConcurrently } from '../sql/concurrently.js';
import { baseName, relationName } from '../sql/nodes.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'require-concurrent-index',
  hazard: 'blocking-index',
  summary: 'Build indexes on existing tables with CREATE INDEX CONCURRENTLY.',
  messages: {
    notConcurrent: 'CREATE INDEX on {{table}} takes a SHARE lock: every write to the table waits until the whole index is built.',
  },
  create: (ctx) => ({
    IndexStmt(node, statement) {
      const table = relationName(node.relation);
      // A table created earlier in this change has no traffic yet, so locking it is harmless.
      if (node.concurrent || ctx.isNewTable(table)) return;
      const concurrent = withConcurrently(statement);
      ctx.report({
        node: statement,
        messageId: 'notConcurrent',
        data: { table: baseName(table) },
        fix: ctx.inTransaction(statement)
          ? `${concurrent}; -- CONCURRENTLY cannot run in a transaction block: move this statement into a migration that runs outside one`
          : `${concurrent};`,
        replaces: !ctx.inTransaction(statement),
      });
    },
  }),
});
