import { asNode, collectNodes, findFunctionCalls, quoteIdent } from '../sql/nodes.js';
import { columnType, columnTypeBefore, typeText, type ColumnType } from '../sql/type-changes.js';
import { defineRule } from './define-rule.js';

const INTEGERS = new Set(['int2', 'int4', 'int8']);
const TIMESTAMPS = new Set(['timestamp', 'timestamptz']);
const FRACTIONAL_SECONDS = new Set(['timestamp', 'timestamptz', 'time', 'timetz', 'interval']);
/** Functions that cut or round their argument: in USING they change values without an error. */
const CUTTING_FUNCTIONS = new Set(['substr', 'substring', 'left', 'trunc', 'round', 'floor', 'ceil', 'ceiling', 'date_trunc']);
/** Character and bit types whose explicit cast truncates to the length instead of failing. */
const LENGTH_TYPES = new Set(['varchar', 'bpchar', 'bit', 'varbit']);

/**
 * What converting `from` to `to` changes without an error: the assignment cast PostgreSQL applies
 * rounds or drops these, where it refuses values that do not fit (int8 → int4, varchar(n) narrowing).
 */
function silentLoss(from: ColumnType, to: ColumnType): string | null {
  if (from.array || to.array) return null;
  if (TIMESTAMPS.has(from.name) && to.name === 'date') return 'the time of day of every value is dropped';
  if (TIMESTAMPS.has(from.name) && (to.name === 'time' || to.name === 'timetz')) return 'the date of every value is dropped';
  if ((from.name === 'numeric' || from.name.startsWith('float')) && INTEGERS.has(to.name)) return 'fractions are rounded away';
  if (from.name === 'float8' && to.name === 'float4') return 'digits past the sixth significant one are rounded';
  if (from.name === 'numeric' && to.name === 'numeric' && to.mods.length > 0 && scale(to) < scale(from)) return `digits past scale ${scale(to)} are rounded`;
  if (FRACTIONAL_SECONDS.has(from.name) && from.name === to.name && to.mods.length > 0 && (from.mods[0] ?? 6) > to.mods[0]!)
    return `fractional seconds past ${to.mods[0]} digits are rounded`;
  return null;
}

/** numeric(p) has scale 0, numeric without modifiers any scale. */
const scale = (t: ColumnType): number => (t.mods.length === 0 ? Number.POSITIVE_INFINITY : (t.mods[1] ?? 0));

/** An explicit cast or a cutting function in USING changes values where the plain conversion would fail. */
function cuttingUsing(using: unknown): string | null {
  const cast = collectNodes(using, 'TypeCast')
    .map((c) => columnType(c.typeName))
    .find((t) => (LENGTH_TYPES.has(t.name) && t.mods.length > 0) || (t.name === 'numeric' && t.mods.length > 0) || t.name === 'date' || INTEGERS.has(t.name));
  if (cast)
    return `the explicit cast to ${typeText(cast)} in USING ${LENGTH_TYPES.has(cast.name) ? 'truncates longer values' : 'rounds or cuts values'} instead of failing`;
  const cut = findFunctionCalls(using).find((name) => CUTTING_FUNCTIONS.has(name));
  return cut ? `${cut}() in USING cuts or rounds values` : null;
}

export default defineRule({
  id: 'lossy-type-change',
  hazard: 'data-loss',
  severity: 'warning',
  summary: 'Column type changes that silently round, truncate or drop parts of existing values.',
  messages: {
    lossyConversion: 'Converting {{table}}.{{column}} to {{type}} loses data without an error: {{why}}, and no reverse can bring the old values back.',
  },
  create: (ctx) => ({
    AlterTableCmd(cmd, { statement, relation: table, isNewTable }) {
      const def = asNode(cmd.def, 'ColumnDef');
      if (isNewTable || cmd.subtype !== 'AT_AlterColumnType' || !def || !cmd.name) return;
      const to = columnType(def.typeName);
      const from = columnTypeBefore(ctx.changeStatements, statement, table, cmd.name);
      const why = cuttingUsing(def.raw_default) ?? (from ? silentLoss(from, to) : null);
      if (!why) return;
      const t = table.split('.').map(quoteIdent).join('.');
      const c = quoteIdent(cmd.name);
      ctx.report({
        node: statement,
        messageId: 'lossyConversion',
        data: { table, column: cmd.name, type: typeText(to), why },
        fix: [
          `-- Find the values the conversion would change, on production, before converting:`,
          `SELECT count(*) FROM ${t} WHERE ${c} IS DISTINCT FROM ${c}::${typeText(to)}${from ? `::${typeText(from)}` : ''};`,
          `-- If any, keep them: add a ${typeText(to)} column beside ${c}, backfill it, switch, and drop ${c} only once nothing needs the old values.`,
        ].join('\n'),
      });
    },
  }),
});
