import { asNode, baseName, relationName } from '../sql/nodes.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'ban-delete-without-where',
  hazard: 'data-loss',
  summary: 'Do not DELETE every row of an existing table in a migration.',
  messages: {
    deleteEveryRow: 'DELETE without WHERE removes every row of {{table}}, destroying data that exists before the migration.',
  },
  create: (ctx) => ({
    DeleteStmt(node, statement) {
      const table = relationName(node.relation);
      // `WHERE true` deletes every row just the same.
      const everyRow = !node.whereClause || asNode(node.whereClause, 'A_Const')?.boolval?.boolval === true;
      // A table created earlier in this change holds no production rows.
      if (!everyRow || ctx.isNewTable(table)) return;
      ctx.report({
        node: statement,
        messageId: 'deleteEveryRow',
        data: { table: baseName(table) },
        fix: [
          `-- If every row must go, keep the statement and acknowledge it on the line above: -- drillbot:ack data-loss <why>`,
          `-- Otherwise say which rows, and delete a large set in batches (repeat until it deletes 0 rows):`,
          `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE <condition> LIMIT 10000);`,
        ].join('\n'),
      });
    },
  }),
});
