import pg from 'pg';
import type { Finding, LockObservation, MigrationResult, StatementResult } from '../report/report.js';
import type { LayoutId, Migration, MigrationScript } from '../layouts/layout.js';
import { finding } from '../report/findings.js';
import type { ParsedStatement } from '../sql/parse.js';
import type { ParsedMigration } from '../sql/parse-migrations.js';
import { prepareBase } from './base-history.js';
import type { Deadline } from '../deadline.js';
import { statementGuard } from './admin-side.js';
import { createDatabase, dropDatabase, endDatabases, uniqueDatabaseName } from './databases.js';
import { runScript, type ScriptRun, type StatementBound } from './execute.js';
import { judgeStatement, type Baseline } from './observe.js';
import type { ShadowServer } from './providers/provider.js';
import { captureRelationState } from './relation-state.js';
import { checkRoundTrip, takeCheckpoint, type Checkpoint, type NewerRoundTrip } from './round-trip.js';
import { seedDatabase } from './seed.js';
import { failureFinding, isDataDependentCandidate } from './failures.js';

export interface DrillPlan {
  readonly layout: LayoutId;
  readonly base: readonly Migration[];
  /** The change's migrations, parsed (a script that does not parse is null and stops the drill there). */
  readonly added: readonly ParsedMigration[];
  readonly setupSql?: string;
  readonly seedRows: number;
  readonly statementTimeoutMs: number;
  readonly useTemplateCache: boolean;
}

export interface DrillOutcome {
  readonly migrations: MigrationResult[];
  readonly findings: Finding[];
  readonly templateCache: 'hit' | 'miss';
  readonly seededRows: number;
  readonly seededTables: number;
  readonly roundTrip: 'restored' | 'mismatch' | 'not-run';
}

type Progress = (message: string) => void;

/**
 * The rollback drill: base history → seed → forward (observed) → reverse, newest first, each
 * checked against the state before its forward → forward again (redo).
 */
export async function runDrill(server: ShadowServer, plan: DrillPlan, onProgress: Progress, deadline: Deadline): Promise<DrillOutcome> {
  const findings: Finding[] = [];
  const parsed = plan.added;
  const track = dropOnAbort(server, deadline);
  const cloneBase = baseCloner(server, plan, track, deadline, onProgress);
  const { database, cache } = await cloneBase('review');
  const client = await connect(server, database, plan.statementTimeoutMs, deadline);
  try {
    onProgress(`seeding existing tables with up to ${plan.seedRows} rows each`);
    const seed = await seedDatabase(client, { rowsPerTable: plan.seedRows });
    const baseline = await captureBaseline(client, seed.tables);
    const bound = statementGuard(server, client, plan.statementTimeoutMs);
    const session: Session = { track, deadline, server, client, bound, plan, cloneBase, baseline, findings, results: [], onProgress };
    const roundTrip = await forwardReverseRedo(session, parsed);
    return {
      migrations: session.results,
      findings,
      templateCache: cache,
      seededRows: seed.totalRows,
      seededTables: seed.tables.filter((t) => t.rows > 0).length,
      roundTrip,
    };
  } finally {
    await endOwnDatabase(server, client, database, deadline);
  }
}

/** Past the deadline the database was ended from outside (bounded); its connection may never answer again. */
async function endOwnDatabase(server: ShadowServer, client: pg.Client, database: string, deadline: Deadline): Promise<void> {
  if (deadline.passed) return;
  await client.end();
  await dropDatabase(server, database);
}

type BaseCloner = (prefix: 'review' | 'empty') => Promise<{ database: string; cache: 'hit' | 'miss' }>;

/** SQLSTATE 3D000: the database (here: the template) does not exist. */
const MISSING_DATABASE = '3D000';

/**
 * Clones the base history's template into a new database. Another review on the same server may
 * evict the template between finding and cloning it (the cache keeps a few); then the base is
 * prepared again, once.
 */
function baseCloner(server: ShadowServer, plan: DrillPlan, track: (database: string) => string, deadline: Deadline, onProgress: Progress): BaseCloner {
  const options = { setupSql: plan.setupSql, useCache: plan.useTemplateCache, statementTimeoutMs: plan.statementTimeoutMs, onProgress, track, hold: closeAtDeadline(deadline) };
  return async (prefix) => {
    for (let attempt = 0; ; attempt++) {
      const base = await prepareBase(server, plan.base, options);
      const database = track(uniqueDatabaseName(prefix));
      try {
        await createDatabase(server, database, { template: base.template });
        return { database, cache: base.cache };
      } catch (error) {
        if (attempt > 0 || (error as { code?: string }).code !== MISSING_DATABASE) throw error;
        onProgress('the base template was evicted by another review meanwhile; preparing it again');
      }
    }
  };
}

/**
 * Remembers the databases a drill creates and ends them from the admin side when the deadline
 * passes (cancel, terminate, drop, each bounded): a migration that disabled statement_timeout, or a
 * server that stopped answering the drill's connection, cannot outlive the review.
 */
function dropOnAbort(server: ShadowServer, deadline: Deadline): (database: string) => string {
  const created = new Set<string>();
  deadline.onExpiry(() => endDatabases(server, [...created]));
  return (database) => {
    created.add(database);
    return database;
  };
}

interface Session {
  readonly track: (database: string) => string;
  readonly deadline: Deadline;
  readonly server: ShadowServer;
  readonly client: pg.Client;
  readonly bound: StatementBound;
  readonly plan: DrillPlan;
  readonly cloneBase: BaseCloner;
  readonly baseline: Baseline;
  readonly findings: Finding[];
  readonly results: MigrationResult[];
  readonly onProgress: Progress;
}

/**
 * Forward until the first failure, then the round trip of every migration that applied: when a
 * later migration fails, the earlier ones still get their reverse checked.
 */
async function forwardReverseRedo(s: Session, parsed: readonly ParsedMigration[]): Promise<DrillOutcome['roundTrip']> {
  const checkpoints: Checkpoint[] = [];
  for (const [i, p] of parsed.entries()) {
    if (!p.forward) break;
    const checkpoint = await takeCheckpoint(s.client);
    s.onProgress(`forward ${i + 1}/${parsed.length}: ${p.migration.name}`);
    const run = await runObserved(s, p.migration.forward, p.forward, 'forward', p.migration);
    if (run.status !== 'applied') {
      await reportForwardFailure(s, parsed.slice(0, i + 1), run);
      break;
    }
    checkpoints.push(checkpoint);
  }
  const applied = parsed.slice(0, checkpoints.length);
  const reversed = await reverseNewestFirst(s, applied, checkpoints);
  if (reversed === null) return 'not-run';
  return (await redo(s, applied)) && reversed ? 'restored' : 'mismatch';
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
    const { findings: problems, after } = await checkRoundTrip(s.client, checkpoints[i], migration, forward ?? [], s.findings, newer);
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
    const run = await runScript(s.client, p.migration.forward, p.forward ?? [], s.bound);
    s.results.push(summarize(p.migration, p.migration.forward, 'redo', run, []));
    if (run.status !== 'applied') {
      s.findings.push(redoFinding(p.migration, run));
      return false;
    }
  }
  return true;
}

async function runObserved(s: Session, script: MigrationScript, statements: ParsedStatement[], direction: 'forward' | 'reverse', migration: Migration): Promise<ScriptRun> {
  const run = await runScript(s.client, script, statements, s.bound);
  const judged: StatementResult[] = [];
  let held: LockObservation[] = [];
  for (const statementRun of run.statements) {
    const verdict = judgeStatement(statementRun, script.path, s.baseline, held);
    judged.push(verdict.result);
    // Lock hazards matter on the way forward; a reverse runs during an incident, by choice.
    if (direction === 'forward') s.findings.push(...verdict.findings);
    held = verdict.held;
  }
  s.results.push(summarize(migration, script, direction, run, judged));
  return run;
}

/**
 * A forward failure caused by the seeded rows (constraint or data errors) is `data-dependent` when
 * the same migrations apply to the unseeded base: it would pass on an empty database and fail in
 * production.
 */
async function reportForwardFailure(s: Session, upTo: ParsedMigration[], run: ScriptRun): Promise<void> {
  const migration = upTo[upTo.length - 1].migration;
  const failed = run.statements[run.statements.length - 1];
  if (failed?.error && isDataDependentCandidate(failed.error.code) && (await appliesWithoutRows(s, upTo))) {
    s.findings.push(failureFinding(run, migration.forward, 'data-dependent', s.plan.layout));
    return;
  }
  s.findings.push(failureFinding(run, migration.forward, 'forward-error', s.plan.layout));
}

async function appliesWithoutRows(s: Session, upTo: ParsedMigration[]): Promise<boolean> {
  const { database } = await s.cloneBase('empty');
  const client = await connect(s.server, database, s.plan.statementTimeoutMs, s.deadline);
  const bound = statementGuard(s.server, client, s.plan.statementTimeoutMs);
  try {
    for (const p of upTo) {
      if ((await runScript(client, p.migration.forward, p.forward ?? [], bound)).status !== 'applied') return false;
    }
    return true;
  } finally {
    await endOwnDatabase(s.server, client, database, s.deadline);
  }
}

async function captureBaseline(client: pg.ClientBase, seeded: Array<{ table: string; rows: number }>): Promise<Baseline> {
  const tables = await captureRelationState(client);
  const rowsByName = new Map(seeded.map((t) => [t.table, t.rows]));
  const rows = new Map([...tables.values()].map((t) => [t.oid, rowsByName.get(t.name) ?? 0]));
  return { tables, rows };
}

/** Destroys a drill connection's socket at the deadline, so that no await on it outlives the review. */
const closeAtDeadline = (deadline: Deadline) => (client: pg.Client) => deadline.onExpiry(async () => void client.connection.stream.destroy());

async function connect(server: ShadowServer, database: string, statementTimeoutMs: number, deadline: Deadline): Promise<pg.Client> {
  const client = new pg.Client(server.migratorConfig(database));
  client.on('error', () => undefined);
  closeAtDeadline(deadline)(client);
  await client.connect();
  await client.query(`SET statement_timeout = ${Math.round(statementTimeoutMs)}`);
  return client;
}

function summarize(migration: Migration, script: MigrationScript, direction: MigrationResult['direction'], run: ScriptRun, statements: StatementResult[]): MigrationResult {
  const locks = new Map<string, StatementResult['locks'][number]>();
  for (const lock of statements.flatMap((st) => st.locks)) locks.set(lock.relation, lock);
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
