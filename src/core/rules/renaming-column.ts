import { columnAddedEarlier } from '../sql/created-in-file.js';
import { baseName, relationName } from '../sql/nodes.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'renaming-column',
  hazard: 'breaking-change',
  summary: 'Rename a column by expand/contract (new column, dual writes, switch, drop), not in place.',
  messages: {
    renameColumn: 'Renaming {{table}}.{{from}} to {{to}} breaks every application instance that still uses the old name until all of them are redeployed.',
  },
  create: (ctx) => ({
    RenameStmt(node, statement) {
      if (node.renameType !== 'OBJECT_COLUMN' || node.relationType !== 'OBJECT_TABLE') return;
      const table = relationName(node.relation);
      const [from, to] = [String(node.subname), String(node.newname)];
      // Nothing reads a table or column that the same change created, so renaming it breaks nobody.
      if (ctx.isNewTable(table) || columnAddedEarlier(ctx.changeStatements, statement, table, from)) return;
      const t = baseName(table);
      ctx.report({
        node: statement,
        messageId: 'renameColumn',
        data: { table: t, from, to },
        fix: [
          `-- Expand/contract instead of renaming in place:`,
          `-- 1. Expand: add the new column and keep it in step with the old one.`,
          `ALTER TABLE ${table} ADD COLUMN ${to} <type of ${from}>;`,
          `--    Add a trigger copying ${from} into ${to} on INSERT/UPDATE, then backfill in batches:`,
          `UPDATE ${table} SET ${to} = ${from} WHERE ${to} IS DISTINCT FROM ${from} AND <primary key range>;`,
          `-- 2. Deploy code that reads and writes ${to}.`,
          `-- 3. Contract, in a later migration: drop the trigger, then`,
          `ALTER TABLE ${table} DROP COLUMN ${from};`,
          `-- Alternatively, rename behind a view shim: clients that use a view exposing both names keep working.`,
        ].join('\n'),
      });
    },
  }),
});
