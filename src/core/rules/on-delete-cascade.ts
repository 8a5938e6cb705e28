import type { ParsedStatement } from '../sql/parse.js';
import { baseName, foreignKeyConstraints, relationName } from '../sql/nodes.js';
import { defineRule, type RuleContext } from './define-rule.js';

export default defineRule({
  id: 'on-delete-cascade',
  hazard: 'data-loss',
  severity: 'warning',
  enabledByDefault: false,
  summary: 'Delete child rows explicitly instead of with ON DELETE CASCADE.',
  messages: {
    cascade: 'ON DELETE CASCADE{{constraint}} makes one DELETE on {{parent}} silently delete the matching rows of {{table}}.',
  },
  create: (ctx) => ({
    CreateStmt: (_node, statement) => check(ctx, statement),
    AlterTableStmt: (_node, statement) => check(ctx, statement),
  }),
});

function check(ctx: RuleContext<'cascade'>, statement: ParsedStatement): void {
  const table = baseName(relationName(statement.node.relation));
  // fk_del_action 'c' is FKCONSTR_ACTION_CASCADE in PostgreSQL's parsenodes.h.
  for (const fk of foreignKeyConstraints(statement).filter((c) => c.fk_del_action === 'c')) {
    const parent = baseName(relationName(fk.pktable));
    ctx.report({
      node: statement,
      messageId: 'cascade',
      data: { constraint: fk.conname ? ` on ${fk.conname}` : '', parent, table },
      fix: `-- Use ON DELETE RESTRICT (or NO ACTION) and delete the ${table} rows explicitly, in batches, before deleting from ${parent}.`,
    });
  }
}
