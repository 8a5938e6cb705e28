import { asNode, baseName, relationName } from '../sql/nodes.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'ban-truncate',
  hazard: 'data-loss',
  summary: 'Do not TRUNCATE existing tables in a migration, least of all with CASCADE.',
  messages: {
    truncate: 'TRUNCATE removes every row of {{list}}, destroying data that exists before the migration (and takes ACCESS EXCLUSIVE while doing so).',
    truncateCascade:
      'TRUNCATE … CASCADE empties {{list}} and also, silently, every table that references {{them}} by foreign key (and the tables referencing those), destroying their rows.',
  },
  create: (ctx) => ({
    TruncateStmt(node, statement) {
      const tables = (node.relations ?? []).map((r) => relationName(asNode(r, 'RangeVar')));
      // Tables created earlier in this change hold no production rows (and nothing older can reference them).
      const existing = tables.filter((t) => !ctx.isNewTable(t));
      if (existing.length === 0) return;
      const cascade = node.behavior === 'DROP_CASCADE';
      const list = existing.map(baseName).join(', ');
      ctx.report({
        node: statement,
        messageId: cascade ? 'truncateCascade' : 'truncate',
        data: { list, them: existing.length === 1 ? 'it' : 'them' },
        fix: [
          `-- If emptying ${existing.length === 1 ? 'the table' : 'these tables'} is intended, acknowledge it on the line above: -- drillbot:ack data-loss <why>`,
          ...(cascade
            ? [
                `-- and name every table to empty instead of CASCADE, so the review shows them (RESTRICT fails if one is missing):`,
                `TRUNCATE ${existing.join(', ')}, <referencing tables> RESTRICT;`,
              ]
            : [
                `-- Otherwise delete only the rows that must go, in batches (repeat until 0 rows):`,
                `DELETE FROM ${existing[0]} WHERE id IN (SELECT id FROM ${existing[0]} WHERE <condition> LIMIT 10000);`,
              ]),
        ].join('\n'),
      });
    },
  }),
});
