import { asNode, quoteIdent } from '../sql/nodes.js';
import { alterTypeChange, columnType, typeText } from '../sql/type-changes.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'changing-column-type',
  hazard: 'rewrite',
  summary: 'Change column types of existing tables only when the change is binary-coercible; otherwise expand and contract.',
  messages: {
    rewritingTypeChange: 'Changing {{table}}.{{column}} to {{type}} rewrites {{table}} and all its indexes under an ACCESS EXCLUSIVE lock: {{why}}.',
  },
  create: (ctx) => ({
    AlterTableCmd(cmd, { statement, relation: table, isNewTable }) {
      // A table created earlier in this change is empty and unused: rewriting it costs nothing.
      const def = asNode(cmd.def, 'ColumnDef');
      if (isNewTable || cmd.subtype !== 'AT_AlterColumnType' || !def || !cmd.name) return;
      const column = cmd.name;
      const to = columnType(def.typeName);
      const change = alterTypeChange(ctx.changeStatements, statement, table, cmd, ctx.pgMajor);
      if (change.kind !== 'rewrite') return;
      const t = table.split('.').map(quoteIdent).join('.');
      const c = quoteIdent(column);
      const n = quoteIdent(`${column}_new`);
      ctx.report({
        node: statement,
        messageId: 'rewritingTypeChange',
        data: { table, column, type: typeText(to), why: change.why },
        fix: [
          '-- Expand and contract instead of converting in place, one step per migration:',
          `ALTER TABLE ${t} ADD COLUMN ${n} ${typeText(to)};`,
          `-- a trigger writes ${n} on every INSERT and UPDATE of ${c}; backfill existing rows in batches outside the DDL transaction;`,
          `-- switch the application to ${n}; then drop ${c} and rename ${n} to ${c}:`,
          `ALTER TABLE ${t} DROP COLUMN ${c};`,
          `ALTER TABLE ${t} RENAME COLUMN ${n} TO ${c};`,
        ].join('\n'),
      });
    },
  }),
});
