import { baseName, dropObjectNames } from '../sql/nodes.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'ban-drop-table',
  hazard: 'data-loss',
  summary: 'Drop a table only after the application has stopped using it and its data is backed up.',
  messages: {
    drop: 'DROP TABLE {{list}} destroys every row, and application instances still using {{them}} fail.',
    dropCascade:
      'DROP TABLE {{list}} destroys every row, and application instances still using {{them}} fail; CASCADE also silently drops the views and foreign keys that depend on it.',
  },
  create: (ctx) => ({
    DropStmt(node, statement) {
      if (node.removeType !== 'OBJECT_TABLE') return;
      // Tables created earlier in this change hold no production data and no code uses them yet.
      const existing = dropObjectNames(node).filter((name) => !ctx.isNewTable(name));
      if (existing.length === 0) return;
      const list = existing.map(baseName).join(', ');
      const cascade = node.behavior === 'DROP_CASCADE';
      ctx.report({
        node: statement,
        messageId: cascade ? 'dropCascade' : 'drop',
        data: { list, them: existing.length > 1 ? 'them' : 'it' },
        fix: [
          `-- 1. Stop using ${list} in the application and deploy that.`,
          `-- 2. Keep a copy (pg_dump -t, or a renamed table you drop weeks later):`,
          ...existing.map((name) => `ALTER TABLE ${name} RENAME TO ${baseName(name)}_deprecated;`),
          `-- 3. In a later migration, drop it${cascade ? ' and drop its dependents explicitly instead of CASCADE' : ''}:`,
          ...existing.map((name) => `DROP TABLE ${baseName(name)}_deprecated;`),
        ].join('\n'),
      });
    },
  }),
});
