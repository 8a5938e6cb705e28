import { describeLocks, LOCKING_KINDS, statementLabel } from '../sql/lock-levels.js';
import { ownsLines } from '../sql/nodes.js';
import type { ParsedStatement } from '../sql/parse.js';
import { uncoveredRunAt } from '../sql/timeout-coverage.js';
import { defineRule, visitorsFor } from './define-rule.js';

export default defineRule({
  id: 'require-lock-timeout',
  hazard: 'lock-timeout',
  summary: 'Set lock_timeout before statements that take SHARE ROW EXCLUSIVE or ACCESS EXCLUSIVE on existing tables.',
  messages: {
    noLockTimeout:
      '{{statement}} takes {{locks}} with no lock_timeout set{{tail}}: while it waits behind a long-running query, every later query on {{tables}} queues behind it.',
  },
  create: (ctx) => {
    // SHARE ROW EXCLUSIVE and stronger conflict with writes and with each other, so they queue.
    const check = (_node: unknown, statement: ParsedStatement): void => {
      const run = uncoveredRunAt(ctx, statement, 'lock_timeout', 'SHARE ROW EXCLUSIVE');
      if (!run) return;
      const tail = run.later > 0 ? `, like ${run.later} later statement${run.later === 1 ? '' : 's'} of this file` : '';
      ctx.report({
        node: statement,
        messageId: 'noLockTimeout',
        data: { statement: statementLabel(statement), locks: describeLocks(run.locks), tail, tables: run.locks.length === 1 ? 'that table' : 'those tables' },
        // A session-level SET (unlike SET LOCAL) outlives COMMIT, so it covers the rest of the file.
        fix: `SET lock_timeout = '5s'; -- if the lock is not granted in time the migration fails: retry it later (with backoff)\n${statement.text};`,
        replaces: ownsLines(ctx.statements, statement),
      });
    };
    return visitorsFor(LOCKING_KINDS, check);
  },
});
