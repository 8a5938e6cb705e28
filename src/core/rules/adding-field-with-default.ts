import { addedColumnDefaultText, addedColumnTypeText } from '../sql/clause-text.js';
import { asNode, callsVolatileFunction, columnConstraints, columnDefault, findFunctionCalls, isNullConstant, quoteIdent, typeName } from '../sql/nodes.js';
import type { ParsedStatement, StatementNode } from '../sql/parse.js';
import { defineRule } from './define-rule.js';

const SERIALS: Record<string, string> = {
  smallserial: 'smallint',
  serial2: 'smallint',
  serial: 'integer',
  serial4: 'integer',
  bigserial: 'bigint',
  serial8: 'bigint',
};

type Rewrite = { kind: 'volatile' | 'serial' | 'identity' | 'generated' | 'pre11'; why: string };

/**
 * Why adding this column fills every existing row (a rewrite of the table and its indexes), or
 * undefined when PostgreSQL stores the value once in the catalog (PG11+ non-volatile defaults).
 */
function rewriteOf(column: StatementNode, pgMajor: number): Rewrite | undefined {
  const type = typeName(column.typeName);
  if (SERIALS[type]) return { kind: 'serial', why: `a ${type} column takes a new sequence value for every existing row` };
  const constraints = columnConstraints(column);
  if (constraints.some((c) => c.contype === 'CONSTR_IDENTITY'))
    return { kind: 'identity', why: 'an identity column takes a new sequence value for every existing row' };
  // PostgreSQL 18 adds VIRTUAL generated columns (generated_kind 'v'), computed on read: no rewrite.
  if (constraints.some((c) => c.contype === 'CONSTR_GENERATED' && c.generated_kind !== 'v')) {
    return { kind: 'generated', why: 'a STORED generated column is computed and written for every existing row' };
  }
  const value = columnDefault(column);
  if (!value || isNullConstant(value)) return undefined;
  if (callsVolatileFunction(value)) {
    const fn = findFunctionCalls(value).find((f) => callsVolatileFunction({ FuncCall: { funcname: [{ String: { sval: f } }] } }));
    return { kind: 'volatile', why: `its default calls the volatile ${fn}(), which is evaluated and written for every existing row` };
  }
  if (pgMajor < 11) return { kind: 'pre11', why: `before PostgreSQL 11 every default is written into every existing row (target is PostgreSQL ${pgMajor})` };
  return undefined;
}

function recipe(statement: ParsedStatement, table: string, column: StatementNode, rewrite: Rewrite): string {
  const t = table.split('.').map(quoteIdent).join('.');
  const c = quoteIdent(String(column.colname));
  const written = addedColumnTypeText(statement, String(column.colname)) ?? '<type>';
  const type = SERIALS[typeName(column.typeName)] ?? written;
  const expr = addedColumnDefaultText(statement, String(column.colname)) ?? '<default>';
  const backfill = `-- then, in later migrations outside this transaction, backfill in batches: UPDATE ${t} SET ${c} = <value> WHERE ${c} IS NULL AND <key range>;`;
  switch (rewrite.kind) {
    case 'volatile':
    case 'pre11':
      return [
        `ALTER TABLE ${t} ADD COLUMN ${c} ${type};`,
        `ALTER TABLE ${t} ALTER COLUMN ${c} SET DEFAULT ${expr}; -- applies to new rows only, no rewrite`,
        backfill.replace('<value>', expr),
        '-- and, if the column must be NOT NULL, add it afterwards with CHECK … NOT VALID / VALIDATE / SET NOT NULL (see set-not-null).',
        ...(rewrite.kind === 'pre11' ? ['-- or upgrade to PostgreSQL 11+, where a non-volatile default is stored once in the catalog.'] : []),
      ].join('\n');
    case 'serial':
    case 'identity': {
      const sequence = `${String(table.split('.').at(-1))}_${String(column.colname)}_seq`;
      return [
        `ALTER TABLE ${t} ADD COLUMN ${c} ${type};`,
        `CREATE SEQUENCE ${quoteIdent(sequence)} OWNED BY ${t}.${c};`,
        `ALTER TABLE ${t} ALTER COLUMN ${c} SET DEFAULT nextval('${sequence}'); -- new rows only, no rewrite`,
        backfill.replace('<value>', `nextval('${sequence}')`),
      ].join('\n');
    }
    case 'generated':
      return [
        `ALTER TABLE ${t} ADD COLUMN ${c} ${type};`,
        '-- keep it up to date with a BEFORE INSERT OR UPDATE trigger that computes the same expression,',
        backfill.replace('<value>', '<the generation expression>'),
        '-- on PostgreSQL 18+, GENERATED ALWAYS AS (…) VIRTUAL needs no rewrite at all.',
      ].join('\n');
  }
}

export default defineRule({
  id: 'adding-field-with-default',
  hazard: 'rewrite',
  summary:
    'Add columns to existing tables without a default that forces a rewrite (volatile, serial, identity, stored generated, or any default before PostgreSQL 11).',
  messages: {
    rewritingDefault: 'Adding column {{column}} to {{table}} rewrites the table and its indexes under an ACCESS EXCLUSIVE lock: {{why}}.',
  },
  create: (ctx) => ({
    AlterTableCmd(cmd, { statement, relation: table, isNewTable }) {
      const column = asNode(cmd.def, 'ColumnDef');
      // A table created earlier in this change is empty and unused: rewriting it costs nothing.
      if (isNewTable || cmd.subtype !== 'AT_AddColumn' || !column) return;
      const rewrite = rewriteOf(column, ctx.pgMajor);
      if (!rewrite) return;
      ctx.report({
        node: statement,
        messageId: 'rewritingDefault',
        data: { column: column.colname, table, why: rewrite.why },
        fix: recipe(statement, table, column, rewrite),
      });
    },
  }),
});
