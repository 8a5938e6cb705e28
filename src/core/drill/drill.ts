import pg from 'pg';
import type { HistoryPrivileges, TenantsConfig } from '../config.js';
import type { Finding, LockObservation, MigrationResult, QueryPlanSummary, StatementResult, TenantSummary } from '../report/report.js';
import type { LayoutId, Migration, MigrationScript } from '../layouts/layout.js';
import { finding } from '../report/findings.js';
import type { ParsedStatement } from '../sql/parse.js';
import type { ParsedMigration } from '../sql/parse-migrations.js';
import { prepareBase, type PreparedBase } from './base-history.js';
import { convertedColumns, lostBoundaryValues, plantBoundaryValues, type PlantedValue } from './boundary-values.js';
import { dataDependentFinding, explainDataFailure, type DataDependence } from './data-dependence.js';
import type { Deadline } from '../deadline.js';
import { statementGuard } from './admin-side.js';
import type { ShadowDatabase } from './databases.js';
import type { OpenSession } from './bare-locks.js';
import { runScript, type PgFailure, type RunOptions, type ScriptRun, type StatementBound } from './execute.js';
import { DrillStopped, Guard, type DrillCaps } from './guard.js';
import { judgeStatement, rank, type Baseline } from './observe.js';
import type { ShadowServer } from './providers/provider.js';
import { captureRelationState } from './relation-state.js';
import { planCheckpointScopes } from './checkpoint-scope.js';
import { checkRoundTrip, takeCheckpoint, type Checkpoint, type CheckpointSessions, type NewerRoundTrip } from './round-trip.js';
import { ScanSession } from './scan-session.js';
import { seedReach } from './reach.js';
import { seedDatabase, type SeededTable, type SeedOptions, type SeedResult } from './seed.js';
import { failureFinding, isDataDependentCandidate } from './failures.js';
import { drillTenants } from './tenants.js';
import { planQueries } from '../queries/plans.js';
import type { RepresentativeQuery } from '../queries/representative.js';
import { QueryWatch } from './query-checks.js';
import type { ClonePool } from './clone-pool.js';

export interface DrillPlan {
  readonly layout: LayoutId;
  readonly base: readonly Migration[];
  /** The change's migrations, parsed (a script that does not parse is null and stops the drill there). */
  readonly added: readonly ParsedMigration[];
  readonly setupSql?: string;
  /** Whose privileges the base history replays with; the change always runs as the database's owner. */
  readonly historyPrivileges: HistoryPrivileges;
  readonly seedRows: number;
  readonly statementTimeoutMs: number;
  readonly useTemplateCache: boolean;
  /** Caps that end the drill with an `infra` finding when passed (see guard.ts). */
  readonly limits: DrillCaps;
  /** Schema-per-tenant: the change also runs once per tenant schema, on a clone of its own (none when absent). */
  readonly tenants?: TenantsConfig;
  /** The base's representative queries, planned before and after the change (none: nothing is planned). */
  readonly queries?: readonly RepresentativeQuery[];
  /** A plan whose estimated cost grows more than this many times is a query-regression. */
  readonly queryCostRatio?: number;
  /** Ready clones of the base template, where the server outlives the review (the App): the review's database is taken from it, and it is refilled after the drill. */
  readonly pool?: ClonePool;
}

/** shadow.queryCostRatio's default. */
export const DEFAULT_QUERY_COST_RATIO = 10;

export interface DrillOutcome {
  readonly migrations: MigrationResult[];
  readonly findings: Finding[];
  readonly templateCache: 'hit' | 'miss';
  readonly seededRows: number;
  readonly seededTables: number;
  readonly seeding: SeededTable[];
  readonly roundTrip: 'restored' | 'mismatch' | 'not-run';
  readonly tenants?: TenantSummary;
  readonly queryPlans?: QueryPlanSummary;
}

export type Progress = (message: string) => void;

/**
 * The rollback drill: base history → seed → forward (observed) → reverse, newest first, each
 * checked against the state before its forward → forward again (redo). Every database it creates
 * is confined by a Guard and gone (with its role) when this returns or throws; a drill stopped at a
 * cap returns what it saw until then and the guard's `infra` finding.
 */
export async function runDrill(server: ShadowServer, plan: DrillPlan, onProgress: Progress, deadline: Deadline): Promise<DrillOutcome> {
  const seen: Seen = { migrations: [], findings: [], templateCache: 'miss', seededRows: 0, seededTables: 0, seeding: [] };
  try {
    return await guarded(server, plan, deadline, async (guard, changePath) => {
      try {
        return await confinedDrill(server, plan, onProgress, guard, seen, changePath, deadline);
      } catch (error) {
        const stop = guard.finding();
        if (!stop) throw error;
        onProgress(`stopped: ${stop.message}`);
        return { ...seen, findings: [...seen.findings, stop], roundTrip: 'not-run' };
      }
    });
  } finally {
    // After the drill, not before: the copy would compete with it for the disk.
    plan.pool?.refill(server);
  }
}

/** Runs `work` under a new Guard with the plan's caps, which ends every database still there when it returns or throws. */
export async function guarded<T>(
  server: ShadowServer,
  plan: DrillPlan,
  deadline: Deadline,
  work: (guard: Guard, changePath: string) => Promise<T>,
): Promise<T> {
  const changePath = plan.added[0]?.migration.forward.path ?? '';
  const guard = new Guard(server, { ...plan.limits, statementTimeoutMs: plan.statementTimeoutMs }, deadline, changePath);
  try {
    return await work(guard, changePath);
  } finally {
    await guard.close();
  }
}

/** What the drill has seen so far, filled in as it goes: all there is to report when the guard stops it. */
type Seen = { -readonly [K in Exclude<keyof DrillOutcome, 'roundTrip' | 'tenants' | 'queryPlans'>]: DrillOutcome[K] } & {
  tenants?: TenantSummary;
  queryPlans?: QueryPlanSummary;
};

async function confinedDrill(
  server: ShadowServer,
  plan: DrillPlan,
  onProgress: Progress,
  guard: Guard,
  seen: Seen,
  changePath: string,
  deadline: Deadline,
): Promise<DrillOutcome> {
  const cloneBase = baseCloner(server, plan, guard, deadline, onProgress);
  const { database, cache } = await cloneBase('review');
  seen.templateCache = cache;
  const client = await connect(database, plan.statementTimeoutMs, deadline);
  // The checkpoints' table scans run on a session of their own, opened while the rows are seeded.
  const scans = new ScanSession(() => connect(database, plan.statementTimeoutMs, deadline));
  scans.prepare();
  try {
    guard.running(changePath, 1); // the seeding is for the change's drill
    const seed = await seedForChange(client, plan, onProgress);
    seen.seededRows = seed.totalRows;
    seen.seededTables = seed.tables.filter((t) => t.rows > 0).length;
    seen.seeding = seed.tables;
    const planted = await plantBoundaryValues(
      client,
      convertedColumns(plan.added.flatMap((p) => (p.forward ? [{ path: p.migration.forward.path, statements: p.forward }] : []))),
    );
    const baseline = await captureBaseline(client, seed.tables);
    const bound = statementGuard(server, client, plan.statementTimeoutMs);
    const openSession = () => connect(database, plan.statementTimeoutMs, deadline);
    const queries = await watchQueries(server, client, plan, changePath, seen, onProgress);
    const session: Session = {
      guard,
      deadline,
      server,
      client,
      bound,
      openSession,
      plan,
      cloneBase,
      baseline,
      planted,
      checkpoints: { own: client, scans },
      findings: seen.findings,
      results: seen.migrations,
      onProgress,
      queries,
    };
    const roundTrip = await forwardReverseRedo(session, plan.added);
    if (queries) seen.queryPlans = queries.summary();
    if (plan.tenants) seen.tenants = await tenantDrill(session, plan.tenants);
    return { ...seen, roundTrip };
  } finally {
    // Past the deadline its stream is already destroyed (closeAtDeadline).
    if (!deadline.passed) await scans.close();
    await endOwnDatabase(client, database, guard, deadline);
  }
}

/**
 * Seeds the existing tables the change can touch (and their FK parents) with plan.seedRows rows
 * each, or those `rowsFor` names with as many as it says.
 */
export async function seedForChange(
  client: pg.Client,
  plan: DrillPlan,
  onProgress: Progress,
  sized: Pick<SeedOptions, 'rowsFor' | 'shuffledText'> = {},
): Promise<SeedResult> {
  const only = await seedReach(
    client,
    plan.added.flatMap((p) => [...(p.forward ?? []), ...(p.reverse ?? [])]),
  );
  onProgress(`seeding ${only ? 'the existing tables the change can touch, and their FK parents,' : 'existing tables'} with up to ${plan.seedRows} rows each`);
  return seedDatabase(client, { rowsPerTable: plan.seedRows, only, ...sized });
}

/** The baseline plans of the representative queries, when there are any; on a shadow older than PostgreSQL 16 the notice that says so. */
async function watchQueries(
  server: ShadowServer,
  client: pg.Client,
  plan: DrillPlan,
  changePath: string,
  seen: Seen,
  onProgress: Progress,
): Promise<QueryWatch | null> {
  const queries = plan.queries ?? [];
  if (queries.length === 0) return null;
  onProgress(`planning ${queries.length} representative queries on the base schema`);
  const started = await QueryWatch.start(client, queries, plan.queryCostRatio ?? DEFAULT_QUERY_COST_RATIO, server, changePath);
  if ('watch' in started) return started.watch;
  seen.findings.push(started.notice);
  seen.queryPlans = started.summary;
  return null;
}

/** Past the deadline the guard ended the database from outside (bounded); its connection may never answer again. */
export async function endOwnDatabase(client: pg.Client, database: ShadowDatabase, guard: Guard, deadline: Deadline): Promise<void> {
  if (deadline.passed) return;
  await client.end();
  await guard.drop(database);
}

export type BaseCloner = (prefix: 'review' | 'empty' | 'sized' | 'tenants') => Promise<{ database: ShadowDatabase; cache: 'hit' | 'miss' }>;

/** SQLSTATE 3D000: the database (here: the template) does not exist. */
const MISSING_DATABASE = '3D000';

/**
 * Clones the base history's template into a new database. Another review on the same server may
 * evict the template between finding and cloning it (the cache keeps a few); then the base is
 * prepared again, once.
 */
export function baseCloner(server: ShadowServer, plan: DrillPlan, guard: Guard, deadline: Deadline, onProgress: Progress): BaseCloner {
  const options = {
    setupSql: plan.setupSql,
    historyPrivileges: plan.historyPrivileges,
    useCache: plan.useTemplateCache,
    statementTimeoutMs: plan.statementTimeoutMs,
    onProgress,
    guard,
    hold: closeAtDeadline(deadline),
  };
  return async (prefix) => {
    for (let attempt = 0; ; attempt++) {
      const base = await prepareBase(server, plan.base, options);
      try {
        const ready = prefix === 'review' ? await takeReady(server, plan, base) : null;
        if (ready) onProgress('base history: a ready clone of the template from the pool');
        return { database: ready ? guard.adopt(ready) : await guard.create(prefix, base.template), cache: base.cache };
      } catch (error) {
        if (attempt > 0 || (error as { code?: string }).code !== MISSING_DATABASE) throw error;
        onProgress('the base template was evicted by another review meanwhile; preparing it again');
      }
    }
  };
}

/** A ready clone of the template from the plan's pool, when it has one (never for a review that asked for a replay). */
async function takeReady(server: ShadowServer, plan: DrillPlan, base: PreparedBase): Promise<ShadowDatabase | null> {
  if (!plan.pool || !plan.useTemplateCache) return null;
  return plan.pool.take(server, base.template, base.key, { maxTempFiles: plan.limits.maxTempFiles, statementTimeoutMs: plan.statementTimeoutMs });
}

interface Session {
  readonly guard: Guard;
  readonly deadline: Deadline;
  readonly server: ShadowServer;
  /** Bounds each statement of the drill's own connection from the admin side. */
  readonly bound: StatementBound;
  readonly client: pg.Client;
  /** A second session of the same database, to watch statements that run outside a transaction block. */
  readonly openSession: OpenSession;
  readonly plan: DrillPlan;
  readonly cloneBase: BaseCloner;
  readonly baseline: Baseline;
  readonly checkpoints: CheckpointSessions;
  /** Edge values written into the columns the change converts, checked after each forward. */
  readonly planted: readonly PlantedValue[];
  readonly findings: Finding[];
  readonly results: MigrationResult[];
  readonly onProgress: Progress;
  /** The representative queries' plans, when there are queries to plan. */
  readonly queries: QueryWatch | null;
}

/**
 * Forward until the first failure, then the round trip of every migration that applied: when a
 * later migration fails, the earlier ones still get their reverse checked.
 */
async function forwardReverseRedo(s: Session, parsed: readonly ParsedMigration[]): Promise<DrillOutcome['roundTrip']> {
  const checkpoints: Checkpoint[] = [];
  const scopes = await planCheckpointScopes(s.client, parsed);
  for (const [i, p] of parsed.entries()) {
    if (!p.forward) break;
    const checkpoint = await takeCheckpoint(s.checkpoints, scopes[i]);
    s.onProgress(`forward ${i + 1}/${parsed.length}: ${p.migration.name}`);
    const run = await runObserved(s, p.migration.forward, p.forward, 'forward', p.migration);
    if (run.status !== 'applied') {
      await reportForwardFailure(s, parsed.slice(0, i + 1), run);
      break;
    }
    s.findings.push(
      ...(await lostBoundaryValues(
        s.client,
        s.planted.filter((v) => v.path === p.migration.forward.path),
      )),
    );
    checkpoints.push(checkpoint);
    if (s.queries) s.findings.push(...(await s.queries.forwardApplied(parsed.slice(0, i + 1), (upTo, broken) => breakingLines(s, upTo, broken))));
    if (!(await verified(s, p))) break;
  }
  const applied = parsed.slice(0, checkpoints.length);
  const reversed = await reverseNewestFirst(s, applied, checkpoints);
  if (reversed === null) return 'not-run';
  return (await redo(s, applied)) && reversed ? 'restored' : 'mismatch';
}

/** The tenant drill on a clone of the base of its own, so that the template drill's database stays as it was observed. */
async function tenantDrill(s: Session, config: TenantsConfig): Promise<TenantSummary> {
  const { database } = await s.cloneBase('tenants');
  const client = await connect(database, s.plan.statementTimeoutMs, s.deadline);
  const bound = statementGuard(s.server, client, s.plan.statementTimeoutMs);
  const openSession = () => connect(database, s.plan.statementTimeoutMs, s.deadline);
  try {
    const { summary, findings } = await drillTenants(
      {
        client,
        base: s.plan.base,
        added: s.plan.added,
        layout: s.plan.layout,
        run: (script, statements) => runGuarded(s.guard, client, script, statements, bound, { openSession }),
        onProgress: s.onProgress,
      },
      config,
    );
    s.findings.push(...findings);
    return summary;
  } finally {
    await endOwnDatabase(client, database, s.guard, s.deadline);
  }
}

/**
 * Runs the migration's verify script right after its forward, as sqitch does with verification
 * on; false (with a forward-error at the verify script) when it fails: the tool then reverts the
 * change and stops the deploy.
 */
async function verified(s: Session, p: ParsedMigration): Promise<boolean> {
  if (!p.migration.verify || !p.verify) return true;
  s.onProgress(`verify: ${p.migration.name}`);
  const run = await runGuarded(s.guard, s.client, p.migration.verify, p.verify, s.bound);
  if (run.status === 'applied') return true;
  const failure = failureFinding(run, p.migration.verify, 'forward-error', s.plan.layout);
  s.findings.push({ ...failure, message: `The verify script fails right after the forward migration ran, so the deploy fails: ${failure.message}` });
  return false;
}

/** Reverses newest first, checking each against its checkpoint; null when a reverse is missing or fails. */
async function reverseNewestFirst(s: Session, applied: ParsedMigration[], checkpoints: Checkpoint[]): Promise<boolean | null> {
  if (applied.length === 0) return null;
  let restored = true;
  let newer: NewerRoundTrip | undefined;
  for (let i = applied.length - 1; i >= 0; i--) {
    const { migration, reverse, forward } = applied[i];
    // A forward of comments only changes nothing: there is nothing to reverse.
    if (forward?.length === 0) continue;
    if (!migration.reverse || !reverse) return null;
    s.onProgress(`reverse ${applied.length - i}/${applied.length}: ${migration.name}`);
    const run = await runObserved(s, migration.reverse, reverse, 'reverse', migration);
    if (run.status !== 'applied') {
      s.findings.push(failureFinding(run, migration.reverse, 'reverse-error', s.plan.layout));
      return null;
    }
    if (s.queries) s.findings.push(...(await s.queries.reverseApplied(i, migration, reverse)));
    const { findings: problems, after } = await checkRoundTrip(s.checkpoints, checkpoints[i], migration, forward ?? [], s.findings, newer);
    newer = { before: checkpoints[i], after };
    s.findings.push(...problems);
    if (problems.length > 0) restored = false;
  }
  return restored;
}

/** Forward again after the reverse: a reverse that leaves objects behind makes this fail. */
async function redo(s: Session, applied: ParsedMigration[]): Promise<boolean> {
  for (const [i, p] of applied.entries()) {
    s.onProgress(`redo ${i + 1}/${applied.length}: ${p.migration.name}`);
    // Only its errors count: the forward's locks and rewrites were observed the first time.
    const run = await runGuarded(s.guard, s.client, p.migration.forward, p.forward ?? [], s.bound, { observe: false });
    s.results.push(summarize(p.migration, p.migration.forward, 'redo', run, []));
    if (run.status !== 'applied') {
      s.findings.push(redoFinding(p.migration, run));
      return false;
    }
  }
  return true;
}

async function runObserved(
  s: Session,
  script: MigrationScript,
  statements: ParsedStatement[],
  direction: 'forward' | 'reverse',
  migration: Migration,
): Promise<ScriptRun> {
  const run = await runGuarded(s.guard, s.client, script, statements, s.bound, { openSession: s.openSession });
  const { judged, findings } = judgeRun(run, script, s.baseline);
  // Lock hazards matter on the way forward; a reverse runs during an incident, by choice.
  if (direction === 'forward') s.findings.push(...findings);
  s.results.push(summarize(migration, script, direction, run, judged));
  return run;
}

/** Each statement's report entry and hazards; a statement's locks are new only if not already held. */
function judgeRun(run: ScriptRun, script: MigrationScript, baseline: Baseline): { judged: StatementResult[]; findings: Finding[] } {
  const judged: StatementResult[] = [];
  const findings: Finding[] = [];
  let held: LockObservation[] = [];
  for (const statementRun of run.statements) {
    const verdict = judgeStatement(statementRun, script.path, baseline, held);
    judged.push(verdict.result);
    findings.push(...verdict.findings);
    held = verdict.held;
  }
  return { judged, findings };
}

/**
 * A forward failure caused by the seeded rows (constraint or data errors) is `data-dependent` when
 * the same migrations apply to the unseeded base. There the failing migration runs observed, so the
 * locks, rewrites and index builds of the statement the rows stopped (and of the rest of its
 * migration) are still reported.
 */
async function reportForwardFailure(s: Session, upTo: ParsedMigration[], run: ScriptRun): Promise<void> {
  const migration = upTo[upTo.length - 1].migration;
  const failed = run.statements[run.statements.length - 1];
  const unseeded = failed?.error && isDataDependentCandidate(failed.error.code) ? await observeWithoutRows(s, upTo, failed.error) : null;
  if (!unseeded) {
    s.findings.push(failureFinding(run, migration.forward, 'forward-error', s.plan.layout));
    return;
  }
  s.findings.push(dataDependentFinding(run, migration.forward, unseeded.explained));
  // When any row breaks the statement it can only run on an empty table, where its locks cost nothing.
  if (unseeded.explained.anyRow) return;
  const fromLine = failed!.statement.line;
  const observed = unseeded.findings.filter((f) => f.line >= fromLine);
  s.findings.push(
    ...observed.map((f) => ({
      ...f,
      evidence: `${f.evidence ?? ''}${f.evidence ? '; ' : ''}observed on a copy without the seeded rows, which made the statement fail`,
    })),
  );
}

/**
 * Runs the migrations on a clone of the unseeded base, the last one observed. Null when they do
 * not apply there either (then the failure is not the data's doing).
 */
async function observeWithoutRows(s: Session, upTo: ParsedMigration[], error: PgFailure): Promise<{ explained: DataDependence; findings: Finding[] } | null> {
  return onUnseededClone(s, upTo.slice(0, -1), async (client, bound, database) => {
    const last = upTo[upTo.length - 1];
    const baseline = await captureBaseline(client, []);
    const run = await runGuarded(s.guard, client, last.migration.forward, last.forward ?? [], bound, {
      openSession: () => connect(database, s.plan.statementTimeoutMs, s.deadline),
    });
    if (run.status !== 'applied') return null;
    const findings = judgeRun(run, last.migration.forward, baseline).findings;
    return { explained: await explainDataFailure(client, error, s.baseline), findings };
  });
}

/**
 * The line of the statement of the last migration after which each query stops planning: on a
 * clone of the unseeded base with the earlier migrations applied, its statements run one at a time,
 * the queries planned after each. Only run when a forward broke a query.
 */
async function breakingLines(s: Session, upTo: readonly ParsedMigration[], queries: readonly RepresentativeQuery[]): Promise<(number | undefined)[]> {
  const lines: (number | undefined)[] = queries.map(() => undefined);
  const last = upTo[upTo.length - 1];
  await onUnseededClone(s, upTo.slice(0, -1), async (client, bound) => {
    for (const statement of last.forward ?? []) {
      if ((await runGuarded(s.guard, client, last.migration.forward, [statement], bound, { observe: false })).status !== 'applied') return;
      const plans = await planQueries(client, queries);
      plans.forEach((r, i) => (lines[i] ??= r.ok ? undefined : statement.line));
      if (lines.every((l) => l !== undefined)) return;
    }
  });
  return lines;
}

/**
 * Runs `work` on a clone of the unseeded base where the forwards of `prior` applied; null when
 * they do not apply there. The clone is dropped afterwards.
 */
async function onUnseededClone<T>(
  s: Session,
  prior: readonly ParsedMigration[],
  work: (client: pg.Client, bound: StatementBound, database: ShadowDatabase) => Promise<T | null>,
): Promise<T | null> {
  const { database } = await s.cloneBase('empty');
  const client = await connect(database, s.plan.statementTimeoutMs, s.deadline);
  const bound = statementGuard(s.server, client, s.plan.statementTimeoutMs);
  try {
    for (const p of prior) {
      if ((await runGuarded(s.guard, client, p.migration.forward, p.forward ?? [], bound, { observe: false })).status !== 'applied') return null;
    }
    return await work(client, bound, database);
  } finally {
    await endOwnDatabase(client, database, s.guard, s.deadline);
  }
}

/** Runs a script of the change, telling the guard where it is; throws DrillStopped when the guard stopped the drill. */
export async function runGuarded(
  guard: Guard,
  client: pg.Client,
  script: MigrationScript,
  statements: ParsedStatement[],
  bound: StatementBound,
  options: Pick<RunOptions, 'openSession' | 'observe'> = {},
): Promise<ScriptRun> {
  const run = await runScript(client, script, statements, { onStatement: (statement) => guard.running(script.path, statement.line), bound, ...options }).catch(
    (error: unknown) => {
      // Ending the session can fail the script's own ROLLBACK: the guard's finding says why.
      throw guard.stopped ? new DrillStopped('the guard ended the session', { cause: error }) : error;
    },
  );
  guard.check(run);
  return run;
}

export async function captureBaseline(client: pg.ClientBase, seeded: SeededTable[]): Promise<Baseline> {
  const tables = await captureRelationState(client);
  const byName = new Map(seeded.map((t) => [t.table, t]));
  const rows = new Map([...tables.values()].map((t) => [t.oid, byName.get(t.name)?.rows ?? 0]));
  const unseeded = new Map(
    [...tables.values()].flatMap((t) => {
      const s = byName.get(t.name);
      return s?.rows === 0 && s.reason ? [[t.oid, s.reason] as const] : [];
    }),
  );
  return { tables, rows, unseeded };
}

/** Destroys a drill connection's socket at the deadline, so that no await on it outlives the review. */
const closeAtDeadline = (deadline: Deadline) => (client: pg.Client) => deadline.onExpiry(async () => void client.connection.stream.destroy());

export async function connect(database: ShadowDatabase, statementTimeoutMs: number, deadline: Deadline): Promise<pg.Client> {
  const client = new pg.Client(database.login);
  client.on('error', () => undefined);
  closeAtDeadline(deadline)(client);
  await client.connect();
  await client.query(`SET statement_timeout = ${Math.round(statementTimeoutMs)}`);
  return client;
}

export function summarize(
  migration: Migration,
  script: MigrationScript,
  direction: MigrationResult['direction'],
  run: ScriptRun,
  statements: StatementResult[],
): MigrationResult {
  // Outside a transaction block each statement's locks are its own: a later, weaker one must not hide a stronger one.
  const locks = new Map<string, StatementResult['locks'][number]>();
  for (const lock of statements.flatMap((st) => st.locks)) {
    if (rank(locks.get(lock.relation)?.mode) < rank(lock.mode)) locks.set(lock.relation, lock);
  }
  return {
    path: script.path,
    version: migration.version,
    direction,
    status: run.status,
    durationMs: Math.round(run.durationMs * 10) / 10,
    locks: [...locks.values()],
    rewrites: [...new Set(statements.flatMap((st) => st.rewrites))],
    statements,
  };
}

function redoFinding(migration: Migration, run: ScriptRun): Finding {
  const failed = run.statements[run.statements.length - 1];
  return finding({
    hazard: 'reverse-mismatch',
    source: 'drill',
    path: migration.forward.path,
    line: failed?.error?.line ?? failed?.statement.line ?? 1,
    message: `After the reverse ran, this forward migration no longer applies (${failed?.error?.message ?? 'failed'}): the reverse leaves something behind.`,
    fix: 'Make the reverse undo every object this migration creates, so forward → reverse → forward works.',
    evidence: failed?.error ? `redo failed with SQLSTATE ${failed.error.code}` : undefined,
  });
}
