import { describeLocks, LOCKING_KINDS, statementLabel } from '../sql/lock-levels.js';
import { ownsLines } from '../sql/nodes.js';
import type { ParsedStatement } from '../sql/parse.js';
import { uncoveredRunAt } from '../sql/timeout-coverage.js';
import { defineRule, visitorsFor } from './define-rule.js';

export default defineRule({
  id: 'require-statement-timeout',
  hazard: 'lock-timeout',
  summary: 'Set statement_timeout before statements that block writes to existing tables.',
  // squawk asks for it, strong_migrations only suggests it and disagrees on the value (5s vs 1h): opt-in.
  enabledByDefault: false,
  messages: {
    noStatementTimeout:
      '{{statement}} takes {{locks}} with no statement_timeout set{{tail}}: if it runs far longer than expected, nothing stops it and the lock is held until it ends.',
  },
  create: (ctx) => {
    // SHARE and stronger block writes for as long as the statement runs; the timeout bounds that.
    const check = (_node: unknown, statement: ParsedStatement): void => {
      const run = uncoveredRunAt(ctx, statement, 'statement_timeout', 'SHARE');
      if (!run) return;
      const tail = run.later > 0 ? `, like ${run.later} later statement${run.later === 1 ? '' : 's'} of this file` : '';
      ctx.report({
        node: statement,
        messageId: 'noStatementTimeout',
        data: { statement: statementLabel(statement), locks: describeLocks(run.locks), tail },
        // A session-level SET (unlike SET LOCAL) outlives COMMIT, so it covers the rest of the file.
        fix: `SET statement_timeout = '1min'; -- above the longest expected run of this statement (it includes lock waits)\n${statement.text};`,
        replaces: ownsLines(ctx.statements, statement),
      });
    };
    return visitorsFor(LOCKING_KINDS, check);
  },
});
