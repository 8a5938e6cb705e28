import { withConcurrently } from '../sql/concurrently.js';
import { baseName, relationName } from '../sql/nodes.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'refresh-materialized-view-concurrently',
  // A non-concurrent refresh builds a new heap and swaps it in under ACCESS EXCLUSIVE: a rewrite of
  // the view. A warning, not an error: CONCURRENTLY needs a unique index that many views lack.
  hazard: 'rewrite',
  severity: 'warning',
  summary: 'Refresh materialized views that are in use with REFRESH MATERIALIZED VIEW CONCURRENTLY.',
  messages: {
    refreshBlocksReads:
      'REFRESH MATERIALIZED VIEW {{view}} recomputes and rewrites it under ACCESS EXCLUSIVE: every query reading {{view}} waits until the whole view query has run.',
  },
  create: (ctx) => ({
    RefreshMatViewStmt(node, statement) {
      const view = relationName(node.relation);
      // WITH NO DATA only empties the view (fast); a view created earlier in this change has no readers yet.
      if (node.concurrent || node.skipData || ctx.isNewTable(view)) return;
      ctx.report({
        node: statement,
        messageId: 'refreshBlocksReads',
        data: { view: baseName(view) },
        fix: [
          `-- CONCURRENTLY (EXCLUSIVE lock: reads go on) needs a unique index on plain columns covering all rows, e.g.:`,
          `-- CREATE UNIQUE INDEX CONCURRENTLY ${baseName(view)}_key ON ${view} (<key columns>);`,
          `${withConcurrently(statement)};`,
        ].join('\n'),
      });
    },
  }),
});
