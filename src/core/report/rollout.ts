import type { ParsedMigration } from '../sql/parse-migrations.js';
import type { ParsedStatement, StatementNode } from '../sql/parse.js';
import { addedColumns, baseName, columnConstraints, relationName, sameRelation } from '../sql/nodes.js';
import { removedLabel, removedNames, type RemovedName } from '../sql/removed-names.js';
import { hasTimeout } from '../sql/settings.js';
import { transactionBlocks, wrappedWhole } from '../sql/transaction-block.js';
import type { Finding, LockMode, MigrationResult, ReverseDraft, ReverseNotDrafted, RolloutStep, TenantSummary } from './report.js';

/** What the runbook is built from: the change's parsed migrations and what the review found and observed. */
export interface RolloutFacts {
  readonly parsed: readonly ParsedMigration[];
  readonly migrations: readonly MigrationResult[];
  readonly findings: readonly Finding[];
  readonly roundTrip: 'restored' | 'mismatch' | 'not-run';
  readonly reverseDrafts: readonly ReverseDraft[];
  readonly reverseNotDrafted: readonly ReverseNotDrafted[];
  /** Rows the drill seeded per table at most (shadow.seedRows), so that observed times say what they were measured on. */
  readonly seededRows: number;
  /** The multi-tenant drill, when shadow.tenants is configured: each migration also runs once per tenant schema. */
  readonly tenants?: TenantSummary;
}

/** Locks that queue every other session behind them on an existing table: a lock_timeout keeps the queue short. */
const QUEUEING: readonly LockMode[] = ['AccessExclusiveLock', 'ExclusiveLock', 'ShareRowExclusiveLock', 'ShareLock'];

/** The lock_timeout the runbook recommends for a step that queues others; retried on 55P03 (lock_not_available). */
export const ROLLOUT_LOCK_TIMEOUT = '5s';

/**
 * The ordered runbook: per migration, the deploys that must come before it (code that stops using
 * what it drops or renames), the migration itself (inside or outside a transaction, its locks as
 * observed, lock_timeout and retries, how to roll it back), backfills to run in batches, and the
 * deploys that may only follow it (code using what it adds). Each step says whether the drill
 * observed what it states or it is inferred from the SQL.
 */
export function planRollout(facts: RolloutFacts): RolloutStep[] {
  const changeStatements = facts.parsed.flatMap((p) => p.forward ?? []);
  return facts.parsed.flatMap((p) => {
    const statements = p.forward ?? [];
    const removed = statements.flatMap((s) => removedNames(changeStatements, s));
    return [
      ...removed.map((r) => deployBefore(p, r, facts.findings)),
      migrateStep(p, facts),
      ...statements.filter((s) => isBackfill(changeStatements, s)).map((s) => backfillStep(p, s, facts)),
      ...deployAfter(p),
    ];
  });
}

function deployBefore(p: ParsedMigration, r: RemovedName, findings: readonly Finding[]): RolloutStep {
  const label = removedLabel(r);
  // The code-reference scan found the head still using it: the deploy this step asks for is not in the change yet.
  const stillUsed = findings.some(
    (f) => f.rule === 'code-reference' && f.severity !== 'notice' && f.path === p.migration.forward.path && f.line === r.statement.line,
  );
  const what =
    r.action === 'drop'
      ? `Deploy code that no longer reads or writes ${label}, and let every old instance drain, before running ${p.migration.name}: it drops ${label}.`
      : `Old and new code cannot both run against the rename of ${label} to ${r.newName}: split it (expand: add ${r.newName} and keep both in step; deploy code using ${r.newName}; contract: drop ${label} in a later migration), or deploy code that uses neither name first.`;
  return {
    kind: 'deploy',
    order: 'before',
    title: stillUsed ? `${what} The head's code still names ${label} (see its breaking-change finding): that code is not ready yet.` : what,
    path: p.migration.forward.path,
    line: r.statement.line,
    basis: 'inferred',
    rollback: 'Redeploy the previous release: until the migration runs, the schema still has what it uses.',
  };
}

/**
 * Whether a lock_timeout is in effect at every statement that took a queueing lock on an existing
 * table, judged as require-lock-timeout judges it (a RESET, SET … = 0 or a transaction's end lifts it).
 */
function timeoutCoversQueueing(p: ParsedMigration, result: MigrationResult | undefined): boolean {
  const statements = p.forward ?? [];
  const queueingLines = new Set((result?.statements ?? []).filter((s) => s.locks.some((l) => l.existing && QUEUEING.includes(l.mode))).map((s) => s.line));
  const queueing = statements.filter((s) => queueingLines.has(s.line));
  const blocks = transactionBlocks(p.migration.forward, statements);
  return queueing.length > 0 && queueing.every((s) => hasTimeout(statements, (x) => blocks.get(x) ?? false, s, 'lock_timeout'));
}

function migrateStep(p: ParsedMigration, facts: RolloutFacts): RolloutStep {
  const script = p.migration.forward;
  const result = facts.migrations.find((m) => m.direction === 'forward' && m.path === script.path);
  const outside = script.transaction === 'none' || (result?.statements.some((s) => s.lockView !== undefined) ?? false);
  const lock = withTenants(lockOf(result, facts.seededRows, wrappedWhole(script, p.forward?.length ?? 0)), script.path, facts.tenants);
  const setsTimeout = timeoutCoversQueueing(p, result);
  return {
    kind: 'migrate',
    title: migrateTitle(p, result, facts.tenants),
    path: script.path,
    line: script.startLine,
    transaction: outside ? 'outside' : 'inside',
    ...(lock.text ? { lock: lock.text } : {}),
    ...(lock.queues
      ? {
          lockTimeout: setsTimeout
            ? 'The migration sets lock_timeout itself; retry it with backoff when it fails with 55P03 (lock_not_available).'
            : `SET lock_timeout = '${ROLLOUT_LOCK_TIMEOUT}' for the session that runs it, and retry with backoff when it fails with 55P03 (lock_not_available), so that it never queues traffic behind a long query.`,
        }
      : {}),
    basis: result ? 'observed' : 'inferred',
    rollback: rollbackOf(p, facts),
  };
}

/** What the drill saw of the migration decides whether it can be run at all. */
function migrateTitle(p: ParsedMigration, result: MigrationResult | undefined, tenants: TenantSummary | undefined): string {
  if (!result) return `Run ${p.migration.name} (not drilled).`;
  const failed = tenants?.tenants.filter((t) => t.failedAt?.path === p.migration.forward.path).map((t) => t.schema) ?? [];
  const inTenants = failed.length > 0 ? `in tenant schema${failed.length > 1 ? 's' : ''} ${failed.join(', ')}` : '';
  if (result.status === 'applied' && !inTenants)
    return `Run ${p.migration.name} (applied on the drill${tenants ? ` and in ${tenants.tenants.length} tenant schemas` : ''}).`;
  const where =
    result.status === 'applied'
      ? `applied on the template but failed ${inTenants}`
      : `${result.status === 'timed-out' ? 'timed out' : result.status} on the drill${inTenants ? ` and ${inTenants}` : ''}`;
  return `Do not run ${p.migration.name} as it stands: it ${where} (see its findings); fix it first${inTenants ? ", for every tenant's data" : ''}.`;
}

/** The locks on existing tables, held until the end of the transaction (or of the statement outside one). */
function lockOf(result: MigrationResult | undefined, seededRows: number, wholeScript: boolean): { text?: string; queues: boolean } {
  if (!result) return { text: 'not observed: the drill did not run this migration', queues: false };
  const existing = result.locks.filter((l) => l.existing);
  const unseen = result.statements.filter((s) => s.lockView === 'not-observed').map((s) => `line ${s.line}`);
  const unseenNote = unseen.length > 0 ? `; locks of ${unseen.join(', ')} not observed (which does not mean none)` : '';
  if (existing.length === 0) return { ...(unseenNote ? { text: `no lock on an existing table observed${unseenNote}` } : {}), queues: false };
  const held = wholeScript ? result.durationMs : Math.max(...result.statements.filter((s) => s.locks.some((l) => l.existing)).map((s) => s.durationMs), 0);
  const list = existing.map((l) => `${l.relation} ${l.mode}`).join(', ');
  const text = `${list}, held ${Math.round(held)} ms on the shadow (up to ${seededRows} seeded rows per table; production time grows with the table)${unseenNote}`;
  return { text, queues: existing.some((l) => QUEUEING.includes(l.mode)) };
}

/**
 * A schema-per-tenant tool runs the migration once per tenant, one after the other: the lock time
 * that matters is the sum over the tenants.
 */
function withTenants(lock: { text?: string; queues: boolean }, path: string, tenants: TenantSummary | undefined): { text?: string; queues: boolean } {
  const total = tenants?.lockMs.find((l) => l.path === path);
  if (!total) return lock;
  const sum = `across ${total.tenants} tenant schemas, ${Math.round(total.ms)} ms of locks on existing tables in total (the sum of each tenant's lock time)`;
  return { text: lock.text ? `${lock.text}; ${sum}` : sum, queues: lock.queues };
}

/** The proven reverse, a drafted plan, or why there is none, from the drill's round trip and the reviewer's drafts. */
function rollbackOf(p: ParsedMigration, facts: RolloutFacts): string {
  const forward = p.migration.forward.path;
  const lost = facts.findings.some((f) => f.path === forward && f.hazard === 'data-loss')
    ? ' It restores the schema, not the data this migration destroys: keep a copy first.'
    : '';
  const reverse = p.migration.reverse;
  if (reverse) {
    const broken = facts.findings.filter(
      (f) => (f.path === reverse.path && f.hazard === 'reverse-error') || (f.path === forward && f.hazard === 'reverse-mismatch'),
    );
    if (broken.length > 0) {
      const hazards = [...new Set(broken.map((f) => f.hazard))].join(', ');
      return `Its reverse ${reverse.path} does not restore the schema on the drill (${hazards}): fix it before relying on it.${lost}`;
    }
    if (facts.roundTrip === 'restored')
      return `Run the reverse ${reverse.path}: proven by the drill (forward, reverse, redo restored the schema and the seeded rows).${lost}`;
    return `Run the reverse ${reverse.path} (not proven: the round trip ${facts.roundTrip === 'mismatch' ? 'did not restore the schema' : 'did not run'}).${lost}`;
  }
  const draft = facts.reverseDrafts.find((d) => d.forwardPath === forward);
  if (draft?.status === 'proven') return `Apply the drafted reverse for ${draft.path} (proven by the drill; see Drafted reverses).${lost}`;
  if (draft) return `No proven reverse: the drafted one is ${draft.status} (${draft.reason ?? 'not proven'}); roll forward with a fix instead.${lost}`;
  const none = facts.reverseNotDrafted.find((n) => n.forwardPath === forward);
  return `No reverse: ${none ? none.reason : 'none exists and none was drafted'}; roll forward with a fix instead.${lost}`;
}

/** An UPDATE or DELETE on a table that existed before the change: a backfill over its rows. */
function isBackfill(changeStatements: readonly ParsedStatement[], s: ParsedStatement): boolean {
  if (s.kind !== 'UpdateStmt' && s.kind !== 'DeleteStmt') return false;
  const table = relationName(s.node.relation);
  return !changeStatements.some((c) => c.kind === 'CreateStmt' && c.line <= s.line && sameRelation(relationName(c.node.relation), table));
}

function backfillStep(p: ParsedMigration, s: ParsedStatement, facts: RolloutFacts): RolloutStep {
  const table = relationName(s.node.relation);
  const result = facts.migrations.find((m) => m.direction === 'forward' && m.path === p.migration.forward.path)?.statements.find((r) => r.line === s.line);
  const observed = result ? ` The drill's run took ${Math.round(result.durationMs)} ms over up to ${facts.seededRows} seeded rows per table.` : '';
  return {
    kind: 'backfill',
    title: `Run the ${s.kind === 'UpdateStmt' ? 'UPDATE' : 'DELETE'} on ${baseName(table)} in batches (e.g. 1,000 rows by primary key range, each in its own transaction, pausing between batches) instead of one statement, so row locks stay short and replicas keep up.${observed}`,
    path: p.migration.forward.path,
    line: s.line,
    basis: result ? 'observed' : 'inferred',
    rollback: 'None for the rows it changed: keep a copy of the affected rows (or their old values) before running it.',
  };
}

/** A column old code cannot insert rows without: NOT NULL and no default. */
function requiredWithoutDefault(column: StatementNode): boolean {
  const constraints = columnConstraints(column);
  return (
    constraints.some((c) => c.contype === 'CONSTR_NOTNULL') &&
    !constraints.some((c) => ['CONSTR_DEFAULT', 'CONSTR_IDENTITY', 'CONSTR_GENERATED'].includes(c.contype))
  );
}

/** Code using tables or columns the migration adds can only be deployed once it has run everywhere. */
function deployAfter(p: ParsedMigration): RolloutStep[] {
  const statements = p.forward ?? [];
  const tables = statements.filter((s) => s.kind === 'CreateStmt').map((s) => baseName(relationName(s.node.relation)));
  const columns = statements.flatMap((s) =>
    addedColumns(s).map((c) => ({ name: `${baseName(relationName(s.node.relation))}.${c.colname}`, required: requiredWithoutDefault(c) })),
  );
  const added = [...tables, ...columns.map((c) => c.name)];
  if (added.length === 0) return [];
  const required = columns.filter((c) => c.required).map((c) => c.name);
  const expand =
    required.length > 0
      ? ` ${required.join(', ')} is NOT NULL without a default, so old code's INSERTs fail as soon as it exists: add it nullable (or with a default) first, deploy code that writes it, backfill, then SET NOT NULL in a later migration.`
      : '';
  return [
    {
      kind: 'deploy',
      order: 'after',
      title: `Deploy code that uses ${added.join(', ')} only after ${p.migration.name} has run: old code must keep working without it meanwhile.${expand}`,
      path: p.migration.forward.path,
      line: statements[0]?.line ?? p.migration.forward.startLine,
      basis: 'inferred',
      rollback: `Redeploy the previous release before rolling back ${p.migration.name}.`,
    },
  ];
}
