import { withConcurrently } from '../sql/concurrently.js';
import { indexCreatedEarlier, isConcurrent, ownsLines, relationName } from '../sql/nodes.js';
import { defineRule } from './define-rule.js';

/** REINDEX targets, by the parser's kind, as the statement spells them. */
const TARGETS: Record<string, string> = {
  REINDEX_OBJECT_INDEX: 'index',
  REINDEX_OBJECT_TABLE: 'table',
  REINDEX_OBJECT_SCHEMA: 'schema',
  REINDEX_OBJECT_DATABASE: 'database',
  REINDEX_OBJECT_SYSTEM: 'system',
};

export default defineRule({
  id: 'require-concurrent-reindex',
  hazard: 'blocking-index',
  summary: 'Rebuild indexes of existing tables with REINDEX … CONCURRENTLY (PostgreSQL 12+).',
  messages: {
    reindexIndex: 'REINDEX INDEX {{name}} blocks writes to its table, and every query that would use the index, until the rebuild finishes.',
    reindexMany: 'REINDEX {{target}} {{name}} rebuilds each index while blocking writes to its table and the queries that use it.',
  },
  create: (ctx) => ({
    ReindexStmt(node, statement) {
      // REINDEX SYSTEM cannot run concurrently at all: there is no alternative to offer.
      if (isConcurrent(statement) || node.kind === 'REINDEX_OBJECT_SYSTEM') return;
      const target = TARGETS[String(node.kind)] ?? 'index';
      const name = relationName(node.relation) || String(node.name ?? '');
      // An index or table created earlier in this change has no production traffic to block.
      if (target === 'table' && ctx.isNewTable(name)) return;
      if (target === 'index') {
        const created = indexCreatedEarlier(ctx.changeStatements, statement, name);
        if (created) return;
      }
      const inTransaction = ctx.inTransaction(statement);
      const concurrent = `${withConcurrently(statement)};`;
      const fix =
        ctx.pgMajor < 12
          ? [
              `-- REINDEX CONCURRENTLY needs PostgreSQL 12; on ${ctx.pgMajor}, build a replacement and swap it in, outside a transaction:`,
              `CREATE INDEX CONCURRENTLY ${target === 'index' ? name : '<index>'}_new ON <table> (<same columns>);`,
              `DROP INDEX CONCURRENTLY ${target === 'index' ? name : '<index>'};`,
              `ALTER INDEX ${target === 'index' ? name : '<index>'}_new RENAME TO ${target === 'index' ? name : '<index>'};`,
            ].join('\n')
          : inTransaction
            ? `${concurrent} -- CONCURRENTLY cannot run in a transaction block: move this into a migration that runs outside one`
            : concurrent;
      ctx.report({
        node: statement,
        messageId: target === 'index' ? 'reindexIndex' : 'reindexMany',
        data: { target: target.toUpperCase(), name },
        fix,
        replaces: ctx.pgMajor >= 12 && !inTransaction && ownsLines(ctx.statements, statement),
      });
    },
  }),
});
