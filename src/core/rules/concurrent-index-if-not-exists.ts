import { createdIndexName, quoteIdent, relationName } from '../sql/nodes.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'concurrent-index-if-not-exists',
  hazard: 'blocking-index',
  severity: 'warning',
  summary: 'Drop a possibly INVALID index before retrying CREATE INDEX CONCURRENTLY IF NOT EXISTS.',
  messages: {
    ifNotExistsKeepsInvalid:
      'If an earlier CREATE INDEX CONCURRENTLY of {{index}} on {{table}} failed, it left an INVALID index that IF NOT EXISTS silently keeps: {{table}} then has no usable index {{index}}.',
  },
  create: (ctx) => ({
    IndexStmt(node, statement) {
      if (!node.concurrent || !node.if_not_exists) return;
      const table = relationName(node.relation);
      // A table created earlier in this change has no concurrent writes, so a build there
      // does not fail half-way the way a long concurrent build on a busy table does.
      if (ctx.isNewTable(table)) return;
      const index = createdIndexName(node);
      const quoted = index.split('.').map(quoteIdent).join('.');
      ctx.report({
        node: statement,
        messageId: 'ifNotExistsKeepsInvalid',
        data: { index, table },
        fix: [
          '-- Drop a leftover INVALID index first, so that a retry builds it again (both outside a transaction block):',
          `DROP INDEX CONCURRENTLY IF EXISTS ${quoted};`,
          `${statement.text.replace(/\s+IF\s+NOT\s+EXISTS\b/i, '')};`,
          '-- or keep IF NOT EXISTS and check afterwards: SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid;',
        ].join('\n'),
      });
    },
  }),
});
