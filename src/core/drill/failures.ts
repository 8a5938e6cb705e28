import type { LayoutId, MigrationScript } from '../layouts/layout.js';
import type { Finding } from '../report/report.js';
import { runOutsideTransaction } from '../sql/transaction-block.js';
import { finding } from '../report/findings.js';
import type { ScriptRun } from './execute.js';

/** SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation) depend on the rows present. */
export function isDataDependentCandidate(code: string): boolean {
  return code.startsWith('22') || code.startsWith('23');
}

/** The finding for a script that failed (or timed out) on the shadow database, at the failing line. */
export function failureFinding(run: ScriptRun, script: MigrationScript, hazard: 'forward-error' | 'reverse-error', layout: LayoutId): Finding {
  const failed = run.statements[run.statements.length - 1];
  const error = failed?.error;
  const line = error?.line ?? failed?.statement.line ?? script.startLine;
  const evidence = error ? `SQLSTATE ${error.code}` : undefined;
  if (run.status === 'timed-out') {
    return finding({
      hazard: 'infra',
      source: 'drill',
      path: script.path,
      line,
      message: `The statement did not finish within the drill's statement timeout on a small seeded database; the review could not complete.`,
      fix: 'Check the statement for an endless loop or lock wait, or raise shadow.statementTimeout.',
      evidence,
    });
  }
  if (error?.code === '25001') {
    return finding({
      hazard: 'concurrently-in-transaction',
      source: 'drill',
      path: script.path,
      line,
      message: `${error.message}: the migration tool runs this file in a transaction, so the migration fails in production.`,
      fix: runOutsideTransaction(layout),
      evidence,
    });
  }
  const direction = hazard === 'reverse-error' ? 'reverse' : 'forward';
  const message = `The ${direction} migration fails on PostgreSQL: ${error?.message ?? 'unknown error'}.`;
  return finding({ hazard, source: 'drill', path: script.path, line, message, fix: `Fix the ${direction} migration so that it applies.`, evidence });
}
