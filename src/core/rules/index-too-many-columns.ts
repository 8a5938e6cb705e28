import { baseName, relationName } from '../sql/nodes.js';
import { defineRule } from './define-rule.js';

/** strong_migrations' add_index_columns limit. */
const MAX_COLUMNS = 3;

export default defineRule({
  id: 'index-too-many-columns',
  hazard: 'type-choice',
  enabledByDefault: false,
  summary: `Keep non-unique indexes to at most ${MAX_COLUMNS} key columns.`,
  messages: {
    tooManyColumns: 'Index {{index}}on {{table}} has {{columns}} key columns: queries rarely use the later ones, and every write pays for them.',
  },
  create: (ctx) => ({
    IndexStmt(node, statement) {
      const columns = (node.indexParams ?? []).length;
      // A unique index needs every column to enforce its constraint; INCLUDE columns are not keys.
      if (node.unique || columns <= MAX_COLUMNS) return;
      ctx.report({
        node: statement,
        messageId: 'tooManyColumns',
        // The index's name and a space, or nothing for an unnamed index.
        data: { index: node.idxname ? `${node.idxname} ` : '', table: baseName(relationName(node.relation)), columns },
        fix: `-- Keep the ${MAX_COLUMNS} most selective leading columns, or move the others to INCLUDE (…) for index-only scans.`,
      });
    },
  }),
});
