import { constraintAddedEarlier, foreignKeyAddedAgain } from '../sql/created-in-file.js';
import { baseName } from '../sql/nodes.js';
import { defineRule } from './define-rule.js';

/**
 * The rule cannot see the catalog, so it recognises foreign keys by the names PostgreSQL
 * generates (`<table>_<column>_fkey`) and the usual conventions (`fk_…`, `…_fk`). The drill
 * sees every constraint that disappears.
 */
const FOREIGN_KEY_NAME = /(_fkey\d*|_fk)$|^fk_/i;

export default defineRule({
  id: 'drop-foreign-key',
  hazard: 'breaking-change',
  severity: 'warning',
  summary: 'Confirm that dropping a foreign key (and the integrity it enforced) is intended.',
  messages: {
    dropForeignKey: 'Dropping foreign key {{name}} on {{table}} stops PostgreSQL from enforcing that its rows reference existing rows, so orphans can appear.',
  },
  create: (ctx) => ({
    AlterTableCmd(cmd, { statement, alter, relation: table, isNewTable }) {
      // Nothing depends on the integrity of a table created earlier in this change.
      if (alter.objtype !== 'OBJECT_TABLE' || isNewTable) return;
      if (cmd.subtype !== 'AT_DropConstraint' || !cmd.name) return;
      const earlier = constraintAddedEarlier(ctx.changeStatements, statement, table, cmd.name);
      // A constraint added earlier in the change (this file or an earlier one) enforced nothing before it.
      if (earlier || !FOREIGN_KEY_NAME.test(cmd.name)) return;
      // Replaced under the same name (to change ON DELETE, say): the integrity stays; foreign-key-missing-not-valid judges the new one.
      if (foreignKeyAddedAgain(ctx.changeStatements, statement, table, cmd.name)) return;
      ctx.report({
        node: statement,
        messageId: 'dropForeignKey',
        data: { name: cmd.name, table: baseName(table) },
        fix: `-- If the reference must stay valid, keep the constraint; to replace it, add the new one first (NOT VALID, then VALIDATE CONSTRAINT) and drop ${cmd.name} afterwards.`,
      });
    },
  }),
});
