import { baseName, relationName } from '../sql/nodes.js';
import { defineRule } from './define-rule.js';

/** strong_migrations' add_index_columns limit. */
const MAX_COLUMNS = 3;

export default defineRule({
  id: 'index-too-many-columns',
  hazard: 'type-choice',
  enabledByDefault: false,
  summary: `Keep non-unique indexes to at most ${MAX_COLUMNS} key columns.`,
  create: (ctx) => ({
    IndexStmt(node, statement) {
      const columns = (node.indexParams ?? []).length;
      // A unique index needs every column to enforce its constraint; INCLUDE columns are not keys.
      if (node.unique || columns <= MAX_COLUMNS) return;
      ctx.report({
        statement,
        message: `Index ${node.idxname ? `${node.idxname} ` : ''}on ${baseName(relationName(node.relation))} has ${columns} key columns: queries rarely use the later ones, and every write pays for them.`,
        fix: `-- Keep the ${MAX_COLUMNS} most selective leading columns, or move the others to INCLUDE (…) for index-only scans.`,
      });
    },
  }),
});
