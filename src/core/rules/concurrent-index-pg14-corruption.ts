import { isConcurrent } from '../sql/nodes.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'concurrent-index-pg14-corruption',
  hazard: 'blocking-index',
  severity: 'warning',
  summary: 'On PostgreSQL 14, build indexes concurrently only on 14.4 or later.',
  messages: {
    pg14Corruption: 'On PostgreSQL 14.0 to 14.3, CREATE INDEX CONCURRENTLY and REINDEX CONCURRENTLY can silently build a corrupt index.',
  },
  create: (ctx) => {
    // PostgreSQL 14.0–14.3 could corrupt indexes built or rebuilt CONCURRENTLY (fixed in 14.4).
    const check = (statement: Parameters<typeof isConcurrent>[0]) => {
      if (ctx.pgMajor !== 14 || !isConcurrent(statement)) return;
      ctx.report({
        node: statement,
        messageId: 'pg14Corruption',
        fix: '-- Make sure production runs PostgreSQL 14.4 or later (SELECT version();) before this migration,\n-- and after upgrading, REINDEX CONCURRENTLY the indexes built concurrently on 14.0–14.3.',
      });
    };
    return { IndexStmt: (_node, statement) => check(statement), ReindexStmt: (_node, statement) => check(statement) };
  },
});
