import { addedColumnTypeText } from '../sql/clause-text.js';
import { asNode, columnConstraints, columnDefault, isNullConstant, quoteIdent, typeName } from '../sql/nodes.js';
import type { StatementNode } from '../sql/parse.js';
import { defineRule } from './define-rule.js';

/** Column kinds that fill existing rows themselves (from a sequence or an expression). */
function fillsItself(column: StatementNode): boolean {
  if (/^(small|big)?serial[248]?$/.test(typeName(column.typeName))) return true;
  return columnConstraints(column).some((c) => c.contype === 'CONSTR_IDENTITY' || c.contype === 'CONSTR_GENERATED');
}

export default defineRule({
  id: 'adding-required-field',
  hazard: 'data-dependent',
  summary: 'Add NOT NULL columns to existing tables with a default, or nullable first and backfilled.',
  messages: {
    requiredWithoutDefault:
      'Adding NOT NULL column {{column}} without a default to {{table}} fails as soon as {{table}} has a row, and INSERTs of the running application that omit {{column}} fail too.',
  },
  create: (ctx) => ({
    AlterTableCmd(cmd, { statement, relation: table, isNewTable }) {
      const column = asNode(cmd.def, 'ColumnDef');
      // A table created earlier in this change has no rows yet, so the statement cannot fail on them.
      if (isNewTable || cmd.subtype !== 'AT_AddColumn' || !column) return;
      // Production statistics may say the table is empty.
      if (ctx.tableSize(table)?.rows === 0) return;
      const required = columnConstraints(column).some((c) => c.contype === 'CONSTR_NOTNULL' || c.contype === 'CONSTR_PRIMARY');
      const value = columnDefault(column);
      if (!required || (value && !isNullConstant(value)) || fillsItself(column)) return;
      const t = table.split('.').map(quoteIdent).join('.');
      const c = quoteIdent(String(column.colname));
      const type = addedColumnTypeText(statement, String(column.colname)) ?? '<type>';
      ctx.report({
        node: statement,
        messageId: 'requiredWithoutDefault',
        data: { column: column.colname, table },
        fix: [
          `ALTER TABLE ${t} ADD COLUMN ${c} ${type} NOT NULL DEFAULT <constant>; -- PostgreSQL 11+: stored once, no rewrite`,
          '-- or, when no constant fits: add it nullable, backfill, then make it NOT NULL without a blocking scan (see set-not-null):',
          `ALTER TABLE ${t} ADD COLUMN ${c} ${type};`,
          `-- UPDATE ${t} SET ${c} = <value> WHERE ${c} IS NULL AND <key range>; -- in batches, in later migrations`,
          `-- ALTER TABLE ${t} ADD CONSTRAINT ${quoteIdent(`${String(table.split('.').at(-1))}_${String(column.colname)}_not_null`)} CHECK (${c} IS NOT NULL) NOT VALID; then VALIDATE; then SET NOT NULL`,
        ].join('\n'),
      });
    },
  }),
});
