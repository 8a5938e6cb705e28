import { isVacuumFull } from '../sql/lock-levels.js';
import { baseName, relationName } from '../sql/nodes.js';
import type { ParsedStatement, StatementNode } from '../sql/parse.js';
import { defineRule, type RuleContext } from './define-rule.js';

function report(ctx: RuleContext, statement: ParsedStatement, what: string, tables: string[]): void {
  const target = tables.length ? tables.map(baseName).join(', ') : what === 'CLUSTER' ? 'every previously clustered table' : 'every table of the database';
  ctx.report({
    node: statement,
    messageId: 'rewritesUnderLock',
    data: { what, target },
    fix: [
      `-- Do not rewrite a live table in a migration. To reclaim space or re-order rows online:`,
      ...(ctx.pgMajor >= 19 ? [`REPACK (CONCURRENTLY) ${tables[0] ?? '<table>'}; -- PostgreSQL 19+`] : []),
      `-- pg_repack (extension + client) rebuilds the table with only brief locks: pg_repack --table=${tables[0] ?? '<table>'} <database>`,
      `-- otherwise run it by hand in a maintenance window; a plain VACUUM (SHARE UPDATE EXCLUSIVE) marks space reusable without a rewrite.`,
    ].join('\n'),
  });
}

export default defineRule({
  id: 'ban-vacuum-full-and-cluster',
  hazard: 'rewrite',
  summary: 'Do not run VACUUM FULL or CLUSTER on existing tables in a migration.',
  messages: {
    rewritesUnderLock: '{{what}} rewrites {{target}} under ACCESS EXCLUSIVE: every read and write waits until the whole copy and its indexes are rebuilt.',
  },
  create: (ctx) => ({
    VacuumStmt(node, statement) {
      if (!node.is_vacuumcmd || !isVacuumFull(node)) return;
      const tables: string[] = (node.rels ?? []).map((r: StatementNode) => relationName(r.VacuumRelation?.relation));
      // Tables created earlier in this change have no traffic to block.
      const existing = tables.filter((t) => !ctx.isNewTable(t));
      if (tables.length > 0 && existing.length === 0) return;
      report(ctx, statement, 'VACUUM FULL', existing);
    },
    ClusterStmt(node, statement) {
      const table = node.relation ? relationName(node.relation) : '';
      if (table && ctx.isNewTable(table)) return;
      report(ctx, statement, 'CLUSTER', table ? [table] : []);
    },
  }),
});
