import { statementsBefore } from '../sql/created-in-file.js';
import { baseName, ownsLines, relationName, sameRelation } from '../sql/nodes.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'renaming-table',
  hazard: 'breaking-change',
  summary: 'Keep the old table name working (a view shim) when renaming a table.',
  messages: {
    renameTable: 'Renaming table {{from}} to {{to}} breaks every application instance that still queries {{from}} until all of them are redeployed.',
  },
  create: (ctx) => ({
    RenameStmt(node, statement) {
      if (node.renameType !== 'OBJECT_TABLE') return;
      const from = relationName(node.relation);
      // Nothing uses a table created earlier in this change, so renaming it breaks nobody.
      if (ctx.isNewTable(from)) return;
      const to = node.relation?.schemaname ? `${node.relation.schemaname}.${node.newname}` : String(node.newname);
      // A view under the old name, created after the rename (as Atlas accepts), keeps old clients working.
      const later = ctx.statements.filter((s) => s !== statement && !statementsBefore(ctx.statements, statement).includes(s));
      if (later.some((s) => s.kind === 'ViewStmt' && sameRelation(relationName(s.node.view), from))) return;
      const shim = `${statement.text};\nCREATE VIEW ${from} AS SELECT * FROM ${to};`;
      const replaces = ownsLines(ctx.statements, statement);
      ctx.report({
        node: statement,
        messageId: 'renameTable',
        data: { from: baseName(from), to: node.newname },
        fix: replaces
          ? shim
          : `${shim}\n-- The simple view keeps SELECT, INSERT, UPDATE and DELETE on the old name working; drop it once no deployed code uses it.`,
        replaces,
      });
    },
  }),
});
