import type { StatementNode } from '../../sql/parse.js';
import { relationName } from '../../sql/nodes.js';

/**
 * Heuristics for data changes that touch a whole table: a WHERE clause that is absent or
 * matches most rows in a typical backfill (`col IS NULL`, `NOT flag`, `status <> 'x'`, a join
 * condition) versus one that picks rows (`id = $1`, `id BETWEEN …`, `IN (… LIMIT n)`).
 */

/** The AND-ed parts of a condition. */
function conjuncts(expr: StatementNode): StatementNode[] {
  if (expr.BoolExpr?.boolop === 'AND_EXPR') return (expr.BoolExpr.args ?? []).flatMap(conjuncts);
  return [expr];
}

const isColumn = (e: StatementNode | undefined): boolean => !!e?.ColumnRef;

/** Whether one condition (not an AND) matches most rows of a table in a typical backfill. */
function isBroad(expr: StatementNode): boolean {
  if (expr.NullTest || expr.BooleanTest || expr.ColumnRef || expr.A_Const) return true;
  if (expr.BoolExpr?.boolop === 'NOT_EXPR') return isBroad(expr.BoolExpr.args?.[0] ?? {});
  if (expr.BoolExpr?.boolop === 'OR_EXPR') return (expr.BoolExpr.args ?? []).some(isBroad);
  if (expr.BoolExpr?.boolop === 'AND_EXPR') return conjuncts(expr).every(isBroad);
  const a = expr.A_Expr;
  if (a?.kind === 'AEXPR_OP') {
    const op = String(a.name?.at(-1)?.String?.sval ?? '');
    if (op === '<>' || op === '!=') return true;
    // column = column is a join condition (UPDATE … FROM): it matches every joined row.
    if (op === '=' && isColumn(a.lexpr) && isColumn(a.rexpr)) return true;
    return false;
  }
  if (a?.kind === 'AEXPR_DISTINCT') return true;
  // IN lists, ranges, sub-selects, function calls: assume they pick rows (no false alarms).
  return false;
}

/** Whether a WHERE clause is missing or matches most rows (every AND-ed part is broad). */
export function isBroadWhere(where: StatementNode | undefined): boolean {
  return !where || conjuncts(where).every(isBroad);
}

/** Tables a SELECT reads in its FROM clauses (joins included, sub-selects not). */
export function tablesReadBy(select: StatementNode | undefined): string[] {
  const from = (item: StatementNode): string[] => {
    if (item.RangeVar) return [relationName(item.RangeVar)];
    if (item.JoinExpr) return [...from(item.JoinExpr.larg ?? {}), ...from(item.JoinExpr.rarg ?? {})];
    return [];
  };
  if (!select) return [];
  if (select.op && select.op !== 'SETOP_NONE') return [...tablesReadBy(select.larg), ...tablesReadBy(select.rarg)];
  return (select.fromClause ?? []).flatMap(from);
}

/**
 * The offset of a keyword at parenthesis depth 0 and outside quotes, or -1: where the outer
 * WHERE of `UPDATE t SET a = (SELECT … WHERE …) WHERE …` starts.
 */
export function topLevelKeywordAt(text: string, keyword: string): number {
  const word = new RegExp(`^${keyword}\\b`, 'i');
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) return -1;
      i = end;
    } else if (c === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i);
      if (end < 0) return -1;
      i = end;
    } else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && /\s/.test(text[i - 1] ?? ' ') && word.test(text.slice(i))) return i;
  }
  return -1;
}
