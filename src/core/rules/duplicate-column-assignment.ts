import type { ParsedStatement, StatementNode } from '../sql/parse.js';
import { alterCommands, baseName, relationName } from '../sql/nodes.js';
import { defineRule, type RuleContext } from './define-rule.js';

export default defineRule({
  id: 'duplicate-column-assignment',
  hazard: 'forward-error',
  summary: 'Name each column once per column list, SET list or CREATE TABLE.',
  messages: {
    duplicateColumn: 'Column {{name}} appears twice in the {{where}} of {{table}}, so PostgreSQL rejects the statement.',
  },
  create: (ctx) => ({
    CreateStmt: (node, statement) =>
      check(
        ctx,
        statement,
        'CREATE TABLE',
        relationName(node.relation),
        (node.tableElts ?? []).flatMap((e: StatementNode) => (e.ColumnDef ? [e.ColumnDef.colname] : [])),
      ),
    AlterTableStmt: (node, statement) =>
      check(
        ctx,
        statement,
        'ALTER TABLE … ADD COLUMN',
        relationName(node.relation),
        alterCommands(statement).flatMap((c) => (c.subtype === 'AT_AddColumn' ? [c.def?.ColumnDef?.colname] : [])),
      ),
    InsertStmt(node, statement) {
      const table = relationName(node.relation);
      check(ctx, statement, 'INSERT column list', table, targets(node.cols));
      check(ctx, statement, 'ON CONFLICT DO UPDATE SET', table, targets(node.onConflictClause?.targetList));
    },
    UpdateStmt: (node, statement) => check(ctx, statement, 'UPDATE … SET', relationName(node.relation), targets(node.targetList)),
    ViewStmt: (node, statement) =>
      check(
        ctx,
        statement,
        'view column list',
        relationName(node.view),
        (node.aliases ?? []).map((a: StatementNode) => a.String?.sval),
      ),
  }),
});

/**
 * Target names of a column list; `SET comp.f1 = …, comp.f2 = …` assigns different fields of
 * one composite column, which PostgreSQL allows, so the field path is part of the name.
 */
function targets(list: StatementNode[] | undefined): string[] {
  return (list ?? []).map((t) => {
    const fields = (t.ResTarget?.indirection ?? []).map((i: StatementNode) => (i.String ? `.${i.String.sval}` : '[]'));
    return `${t.ResTarget?.name}${fields.join('')}`;
  });
}

function check(ctx: RuleContext, statement: ParsedStatement, where: string, table: string, names: Array<string | undefined>): void {
  const seen = new Set<string>();
  const reported = new Set<string>();
  for (const name of names) {
    if (name === undefined) continue;
    if (seen.has(name) && !reported.has(name)) {
      reported.add(name);
      ctx.report({
        node: statement,
        messageId: 'duplicateColumn',
        data: { name, where, table: baseName(table) },
        fix: `-- Keep one occurrence of ${name} in the ${where} (check which value was meant).`,
      });
    }
    seen.add(name);
  }
}
