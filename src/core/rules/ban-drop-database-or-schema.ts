import { createdEarlier } from '../sql/created-in-file.js';
import { dropObjectNames } from '../sql/nodes.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'ban-drop-database-or-schema',
  hazard: 'data-loss',
  summary: 'Never drop a database or a schema from a migration.',
  messages: {
    dropSchema: 'DROP SCHEMA {{list}} destroys {{what}} and breaks every client whose search_path or queries name it.',
    dropDatabase: 'DROP DATABASE {{database}} destroys the whole database.',
  },
  create: (ctx) => ({
    DropStmt(node, statement) {
      if (node.removeType !== 'OBJECT_SCHEMA') return;
      // A schema that the change created (in this file or an earlier one) holds nothing that existed before.
      const existing = dropObjectNames(node).filter((name) => !createdEarlier(ctx.changeStatements, statement, 'schema', name));
      if (existing.length === 0) return;
      const list = existing.join(', ');
      ctx.report({
        node: statement,
        messageId: 'dropSchema',
        data: { list, what: node.behavior === 'DROP_CASCADE' ? 'every table, view and function in it' : 'the schema' },
        fix: [
          `-- Do not drop schemas from a migration. Stop using ${list}, back it up, then:`,
          ...existing.map((name) => `ALTER SCHEMA ${name} RENAME TO ${name}_deprecated;`),
          '-- and drop it by hand, after review, once nothing has used it for a while.',
        ].join('\n'),
      });
    },
    DropdbStmt(node, statement) {
      ctx.report({
        node: statement,
        messageId: 'dropDatabase',
        data: { database: node.dbname },
        fix: `-- Never drop a database from a migration: remove this statement and retire the database by hand, after a backup.`,
      });
    },
  }),
});
