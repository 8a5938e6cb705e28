import type { LayoutId, MigrationScript } from '../layouts/layout.js';
import type { Finding } from '../report/report.js';
import { runOutsideTransaction } from '../sql/transaction-block.js';
import { finding } from '../report/findings.js';
import type { PgFailure, ScriptRun } from './execute.js';

/** SQLSTATE insufficient_privilege. */
const INSUFFICIENT_PRIVILEGE = '42501';

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
  if (error?.code === INSUFFICIENT_PRIVILEGE) {
    const { needs, fix } = privilegeNeeded(error);
    return finding({
      hazard,
      source: 'drill',
      path: script.path,
      line,
      message:
        `The ${direction} migration needs ${needs}: ${error.message}. Observed on the shadow database, where the change runs as the database's owner ` +
        `without superuser, as a migrator role usually does; it applies only where the migrator has that privilege.`,
      fix,
      evidence,
    });
  }
  const message = `The ${direction} migration fails on PostgreSQL: ${error?.message ?? 'unknown error'}.`;
  return finding({ hazard, source: 'drill', path: script.path, line, message, fix: `Fix the ${direction} migration so that it applies.`, evidence });
}

/** What a statement PostgreSQL refused for lack of privilege needs, read from its message and hint, and how to do without it. */
export function privilegeNeeded(error: Pick<PgFailure, 'message' | 'hint'>): { needs: string; fix: string } {
  const text = `${error.message} ${error.hint ?? ''}`;
  if (/is a system trigger/.test(text)) {
    return {
      needs: 'superuser (DISABLE/ENABLE TRIGGER ALL also switches the foreign-key triggers PostgreSQL keeps, which only a superuser may)',
      fix: "Use ALTER TABLE … DISABLE TRIGGER USER (and ENABLE TRIGGER USER): it switches only the table's own triggers and needs only its ownership; foreign keys stay checked.",
    };
  }
  const owner = /must be owner of (.+)$/.exec(error.message);
  if (owner) return { needs: `ownership of ${owner[1]}`, fix: `Leave ${owner[1]} to its owner, or have its owner run this outside the migration.` };
  const parameter = /permission denied to set parameter "([^"]+)"/.exec(error.message);
  if (parameter) {
    return {
      needs: `superuser, or the SET privilege on parameter ${parameter[1]} (GRANT SET ON PARAMETER ${parameter[1]}, PostgreSQL 15+)`,
      fix: `Do without setting ${parameter[1]}, or grant the migrator role that privilege in production first.`,
    };
  }
  if (/superuser|permission denied for language|untrusted/i.test(text)) {
    return {
      needs: 'superuser',
      fix: 'Do it without superuser, or have an administrator run it once outside the migration and keep the migration to what its role may do.',
    };
  }
  if (/permission denied to create role/.test(error.message))
    return { needs: 'the CREATEROLE attribute', fix: 'Create roles outside the migration (an administrator’s step).' };
  const object = /permission denied for (.+)$/.exec(error.message);
  if (object)
    return { needs: `a privilege on ${object[1]}`, fix: `Grant the migrator role that privilege on ${object[1]} in production first, or do without it.` };
  return { needs: 'a privilege the database owner does not have', fix: 'Do it with the privileges of the migrator role, or outside the migration.' };
}
