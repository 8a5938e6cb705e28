import { asNode, baseName, ownsLines, relationName } from '../sql/nodes.js';
import { hasTimeout } from '../sql/settings.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'require-concurrent-detach-partition',
  // No scan happens: the harm is the ACCESS EXCLUSIVE lock on the parent and its wait queue.
  hazard: 'lock-timeout',
  summary: 'Detach partitions of existing tables with DETACH PARTITION … CONCURRENTLY (PostgreSQL 14+).',
  messages: {
    noConcurrentDetach:
      'DETACH PARTITION {{partition}} takes ACCESS EXCLUSIVE on {{parent}}, blocking every query on all its partitions, and PostgreSQL {{pgMajor}} has no CONCURRENTLY (14+): at least set lock_timeout.',
    detachWithoutConcurrently:
      'DETACH PARTITION {{partition}} without CONCURRENTLY takes ACCESS EXCLUSIVE on {{parent}}: every read and write of all its partitions waits, also behind any long-running query.',
  },
  create: (ctx) => ({
    AlterTableCmd(cmd, { statement, relation: parent, isNewTable }) {
      const detach = asNode(cmd.def, 'PartitionCmd');
      // A parent created earlier in this change has no traffic to block.
      if (cmd.subtype !== 'AT_DetachPartition' || detach?.concurrent || isNewTable) return;
      const partition = relationName(detach?.name);
      if (ctx.pgMajor < 14) {
        // Before 14 there is no CONCURRENTLY: a lock_timeout is all that can be done.
        if (hasTimeout(ctx.statements, ctx.inTransaction, statement, 'lock_timeout')) return;
        ctx.report({
          node: statement,
          messageId: 'noConcurrentDetach',
          data: { partition: baseName(partition), parent: baseName(parent), pgMajor: ctx.pgMajor },
          fix: `SET lock_timeout = '5s'; -- no CONCURRENTLY before PostgreSQL 14: keep the wait short and retry on timeout\n${statement.text};`,
          replaces: ownsLines(ctx.statements, statement),
        });
        return;
      }
      const inTransaction = ctx.inTransaction(statement);
      const concurrent = `${statement.text} CONCURRENTLY;`;
      ctx.report({
        node: statement,
        messageId: 'detachWithoutConcurrently',
        data: { partition: baseName(partition), parent: baseName(parent) },
        fix: inTransaction
          ? `${concurrent} -- CONCURRENTLY cannot run in a transaction block (nor with a DEFAULT partition): move it into a migration that runs outside one`
          : `${concurrent} -- not possible if ${baseName(parent)} has a DEFAULT partition`,
        replaces: !inTransaction && ownsLines(ctx.statements, statement),
      });
    },
  }),
});
