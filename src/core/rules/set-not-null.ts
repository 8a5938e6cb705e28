import { alterCommands, quoteIdent } from '../sql/nodes.js';
import { validNotNullCheckBefore } from './set-not-null/not-null-checks.js';
import { alterTypeChange } from '../sql/type-changes.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'set-not-null',
  hazard: 'blocking-scan',
  summary: 'Make columns of existing tables NOT NULL through a validated CHECK constraint, not a scan under ACCESS EXCLUSIVE.',
  messages: {
    setNotNullScans:
      'SET NOT NULL on {{table}}.{{column}} scans the whole table for NULLs while holding an ACCESS EXCLUSIVE lock: reads and writes of {{table}} wait until the scan ends.',
  },
  create: (ctx) => ({
    AlterTableCmd(cmd, { statement, relation: table, isNewTable }) {
      // A table created earlier in this change is empty and unused: its scan costs nothing.
      if (isNewTable || cmd.subtype !== 'AT_SetNotNull' || !cmd.name) return;
      // A type change that rewrites the table in the same statement checks NOT NULL while it
      // rewrites: no scan of its own, and changing-column-type reports the rewrite and its lock.
      const rewrites = alterCommands(statement).some(
        (other) =>
          other.subtype === 'AT_AlterColumnType' &&
          other.def?.ColumnDef &&
          alterTypeChange(ctx.changeStatements, statement, table, other, ctx.pgMajor).kind === 'rewrite',
      );
      if (rewrites) return;
      const column = cmd.name;
      // PostgreSQL 12+ skips the scan when a valid CHECK (column IS NOT NULL) already proves it,
      // usually added and validated by earlier migrations of the change (the recipe of the fix).
      if (ctx.pgMajor >= 12 && validNotNullCheckBefore(ctx.changeStatements, statement, table, column)) return;
      const t = table.split('.').map(quoteIdent).join('.');
      const c = quoteIdent(column);
      const check = quoteIdent(`${String(table.split('.').at(-1))}_${column}_not_null`);
      ctx.report({
        node: statement,
        messageId: 'setNotNullScans',
        data: { table, column },
        fix: [
          `ALTER TABLE ${t} ADD CONSTRAINT ${check} CHECK (${c} IS NOT NULL) NOT VALID;`,
          '-- in a later migration (its own transaction): the scan runs under SHARE UPDATE EXCLUSIVE and does not block writes',
          `ALTER TABLE ${t} VALIDATE CONSTRAINT ${check};`,
          ...(ctx.pgMajor >= 12
            ? [
                `ALTER TABLE ${t} ALTER COLUMN ${c} SET NOT NULL; -- PostgreSQL 12+ skips the scan thanks to the valid CHECK`,
                `ALTER TABLE ${t} DROP CONSTRAINT ${check};`,
              ]
            : [`-- before PostgreSQL 12, SET NOT NULL scans even then: keep the validated CHECK ${check} instead of SET NOT NULL.`]),
        ].join('\n'),
      });
    },
  }),
});
