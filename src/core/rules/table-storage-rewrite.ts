import { alterCommands, baseName, relationName } from '../sql/nodes.js';
import { defineRule } from './define-rule.js';

/** ALTER TABLE subcommands that copy the table's data under ACCESS EXCLUSIVE (ALTER TABLE docs). */
const STORAGE_REWRITES: Record<string, string> = {
  AT_SetLogged: 'SET LOGGED',
  AT_SetUnLogged: 'SET UNLOGGED',
  AT_SetTableSpace: 'SET TABLESPACE',
  AT_SetAccessMethod: 'SET ACCESS METHOD',
};

const RECIPE = [
  '-- There is no online form of this change in core PostgreSQL. Either:',
  '-- 1. run it in a maintenance window (acknowledge this finding with the reason), or',
  '-- 2. create a new table with the wanted storage, copy the rows in batches while a trigger keeps it in sync,',
  '--    then swap the names in one short transaction (pg_repack --tablespace does this for SET TABLESPACE).',
].join('\n');

export default defineRule({
  id: 'table-storage-rewrite',
  hazard: 'rewrite',
  summary: 'Do not change the storage (logged, tablespace, access method) of existing tables in a migration.',
  messages: {
    rewriteTable:
      'ALTER TABLE {{table}} {{forms}} copies the whole table (and its indexes) under ACCESS EXCLUSIVE: every read and write of {{table}} waits until the copy is done.',
    moveTablespace:
      'ALTER TABLE ALL IN TABLESPACE {{tablespace}} SET TABLESPACE moves every table of that tablespace, each under ACCESS EXCLUSIVE until its data files are copied.',
  },
  create: (ctx) => ({
    AlterTableStmt(node, statement) {
      const table = relationName(node.relation);
      const forms = alterCommands(statement).flatMap((c) => (STORAGE_REWRITES[c.subtype] ? [STORAGE_REWRITES[c.subtype]] : []));
      // A table created earlier in this change has no traffic to block.
      if (forms.length === 0 || ctx.isNewTable(table)) return;
      ctx.report({
        node: statement,
        messageId: 'rewriteTable',
        data: { table: baseName(table), forms: forms.join(', ') },
        fix: RECIPE,
      });
    },
    AlterTableMoveAllStmt(node, statement) {
      ctx.report({
        node: statement,
        messageId: 'moveTablespace',
        data: { tablespace: node.orig_tablespacename },
        fix: RECIPE,
      });
    },
  }),
});
