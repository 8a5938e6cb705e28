import { columnAddedEarlier } from '../sql/created-in-file.js';
import { baseName } from '../sql/nodes.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'ban-drop-column',
  hazard: 'data-loss',
  summary: 'Drop a column only after the application has stopped using it, in a later deploy.',
  messages: {
    dropColumn: 'DROP COLUMN {{table}}.{{column}} destroys its data, and application instances still reading or writing it fail until they are redeployed.',
  },
  create: (ctx) => ({
    AlterTableCmd(cmd, { statement, alter, relation: table, isNewTable }) {
      // A table created earlier in this change holds no production data and no code reads it yet.
      if (alter.objtype !== 'OBJECT_TABLE' || isNewTable) return;
      if (cmd.subtype !== 'AT_DropColumn' || !cmd.name) return;
      // Dropping a column that the change added (in this file or an earlier one) destroys nothing that existed before.
      if (columnAddedEarlier(ctx.changeStatements, statement, table, cmd.name)) return;
      const t = baseName(table);
      ctx.report({
        node: statement,
        messageId: 'dropColumn',
        data: { table: t, column: cmd.name },
        fix: [
          `-- 1. Stop reading and writing ${t}.${cmd.name} in the application (e.g. Rails ignored_columns) and deploy that.`,
          `-- 2. If the values may be needed again, keep a copy first:`,
          `CREATE TABLE ${t}_${cmd.name}_backup AS SELECT * FROM ${table};`,
          `-- 3. In a later migration, once no deployed code uses the column:`,
          `ALTER TABLE ${table} DROP COLUMN ${cmd.name};`,
        ].join('\n'),
      });
    },
  }),
});
