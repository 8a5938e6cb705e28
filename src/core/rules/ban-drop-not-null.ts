import { columnAddedEarlier } from '../sql/created-in-file.js';
import { baseName } from '../sql/nodes.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'ban-drop-not-null',
  hazard: 'breaking-change',
  severity: 'warning',
  summary: 'Check that no code relies on a column being non-null before dropping NOT NULL.',
  messages: {
    dropNotNull:
      "Dropping NOT NULL on {{table}}.{{name}} lets NULLs in, which breaks code (including PL/pgSQL, views and clients' non-nullable types) that assumes a value.",
  },
  create: (ctx) => ({
    AlterTableCmd(cmd, { statement, alter, relation: table, isNewTable }) {
      // Nothing relies on the columns of a table created earlier in this change.
      if (alter.objtype !== 'OBJECT_TABLE' || isNewTable) return;
      if (cmd.subtype !== 'AT_DropNotNull' || !cmd.name) return;
      // Nor on a column that the change added, in this file or an earlier one.
      if (columnAddedEarlier(ctx.changeStatements, statement, table, cmd.name)) return;
      ctx.report({
        node: statement,
        messageId: 'dropNotNull',
        data: { table: baseName(table), name: cmd.name },
        fix: `-- Make sure every reader handles NULL in ${cmd.name} before this runs, or keep NOT NULL and store a sentinel value instead.`,
      });
    },
  }),
});
