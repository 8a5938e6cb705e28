import type { ClientBase, DatabaseError } from 'pg';
import { isDrillbotError } from '../errors.js';
import type { MigrationScript } from '../layouts/layout.js';
import type { ParsedStatement } from '../sql/parse.js';
import { lineLocator } from '../sql/parse.js';
import { nonTransactionalStatement, transactionEffect, wrappedWhole } from '../sql/transaction-block.js';
import type { LockView } from '../report/report.js';
import { BareLockWatch, type OpenSession } from './bare-locks.js';
import { afterStatement, type Around } from './prepared.js';
import { statementScope } from './reach.js';
import { captureLocksAndState, captureScope, type HeldLock, type RelationState } from './relation-state.js';

/** What one statement did, as seen from its own backend. */
export interface StatementRun {
  readonly statement: ParsedStatement;
  readonly status: 'applied' | 'failed' | 'timed-out';
  readonly durationMs: number;
  /** How the locks were seen: right after it in its transaction, or from a second session for one run outside a block. */
  readonly lockView: LockView;
  /** Relation locks held right after the statement (inside the transaction), or those seen while it ran outside one. */
  readonly locks: HeldLock[];
  /** What a statement outside a transaction block waited for, holding its locks (see bare-locks.ts). */
  readonly waited?: string;
  /** State of relations before and after the statement. */
  readonly before: RelationState;
  readonly after: RelationState;
  readonly error?: PgFailure;
}

export interface PgFailure extends FailureFields {
  readonly code: string;
  readonly message: string;
  /** 1-based file line of the error position (the statement's first line when PostgreSQL gives none). */
  readonly line: number;
}

/** What PostgreSQL says about the data behind an error (its DETAIL and the object fields of the error report). */
export interface FailureFields {
  readonly detail?: string;
  readonly schema?: string;
  readonly table?: string;
  readonly column?: string;
  readonly constraint?: string;
  /** PostgreSQL's HINT, e.g. "Must be superuser to create this extension." */
  readonly hint?: string;
}

const FAILURE_FIELDS = ['detail', 'schema', 'table', 'column', 'constraint', 'hint'] as const;
/** Bounds a statement from outside its connection (see statementGuard); the identity when absent. */
export type StatementBound = <T>(work: Promise<T>) => Promise<T>;

export interface ScriptRun {
  readonly status: 'applied' | 'failed' | 'timed-out';
  readonly durationMs: number;
  readonly statements: StatementRun[];
}

/** SQLSTATE 25001: "… cannot run inside a transaction block". */
const ACTIVE_SQL_TRANSACTION = '25001';
/** SQLSTATE 57014: canceled by statement_timeout or by the drill's deadline. */
const QUERY_CANCELED = '57014';

/** How a script runs under the drill: where it is (for the guard), and the bound on each statement. */
export interface RunOptions {
  /** Called before each statement runs (the drill's guard notes where it is). */
  readonly onStatement?: (statement: ParsedStatement) => void;
  /** Bounds each statement from outside its connection. */
  readonly bound?: StatementBound;
  /** Opens a second session of the database, to watch the locks of statements run outside a transaction block. */
  readonly openSession?: OpenSession;
  /** False: run without reading locks and relation state (a run whose observations nobody reads); errors are still caught. */
  readonly observe?: boolean;
}

/**
 * Runs a script statement by statement the way its migration tool would, observing each one.
 *
 * Tools that wrap a file in a transaction (and golang-migrate, whose multi-statement query string
 * PostgreSQL runs as one implicit transaction block) are reproduced with BEGIN … COMMIT: the same
 * statements fail ("cannot run inside a transaction block") and locks accumulate the same way.
 * Statements of non-transactional scripts each get their own BEGIN … COMMIT so that their locks
 * can be read before they are released; those PostgreSQL refuses in a block are re-run bare,
 * watched from a second session when `openSession` is given (unobserved otherwise).
 */
export async function runScript(client: ClientBase, script: MigrationScript, statements: ParsedStatement[], options: RunOptions = {}): Promise<ScriptRun> {
  const bare = options.openSession ? new BareLockWatch(options.openSession, client) : null;
  // Connecting takes longer than most bare statements: start while the first statements run.
  if (!wrappedWhole(script, statements.length) && statements.some((st) => nonTransactionalStatement(st, Infinity))) bare?.prepare();
  try {
    return await runStatements(client, script, statements, options, bare);
  } finally {
    await bare?.close();
  }
}

async function runStatements(
  client: ClientBase,
  script: MigrationScript,
  statements: ParsedStatement[],
  { onStatement, bound, observe = true }: RunOptions,
  bare: BareLockWatch | null,
): Promise<ScriptRun> {
  const started = performance.now();
  const runs: StatementRun[] = [];
  // The script's BEGIN goes with the first statement's (see runObserved).
  let inBlock = wrappedWhole(script, statements.length);
  let opening = inBlock;
  // The state before a statement, when the observation after the previous one took it (see runObserved).
  let before: RelationState | undefined;
  for (const [i, statement] of statements.entries()) {
    onStatement?.(statement);
    const control = transactionEffect(statement);
    const ownBlock = !inBlock && control === undefined;
    const following = ownBlock ? undefined : sentRightAfter(statements[i + 1], control === undefined ? inBlock : control === 'begin');
    const observed = await runObserved(client, statement, {
      inTransaction: ownBlock || inBlock,
      begin: opening || ownBlock,
      ownBlock,
      bound,
      observe,
      before,
      next: following,
    });
    opening = false;
    let run = observed.run;
    before = observed.nextBefore;
    // A statement that applied in its own block was committed with its observation (see runObserved).
    if (ownBlock && run.error) {
      await client.query('ROLLBACK');
      if (run.error.code === ACTIVE_SQL_TRANSACTION) run = await runBare(client, statement, observe ? bare : null, bound, observe);
    }
    if (control && !run.error) inBlock = control === 'begin';
    runs.push(run);
    if (run.error) {
      if (inBlock) await client.query('ROLLBACK');
      return finish(run.status, started, runs);
    }
  }
  // An empty script's block was never opened: there is nothing to commit.
  if (inBlock && !opening) {
    // Deferred constraints are checked at COMMIT: a failure there belongs to the last statement.
    const failure = await query(client, 'COMMIT');
    if (failure && runs.length > 0) {
      const last = runs[runs.length - 1];
      runs[runs.length - 1] = { ...last, status: 'failed', error: locate(failure, last.statement) };
      return finish('failed', started, runs);
    }
  }
  return finish('applied', started, runs);
}

/**
 * The next statement when nothing is sent between it and this one (neither gets a BEGIN … COMMIT
 * of its own): then the state after this one is the state before it, taken in the same round trip.
 * `inBlockAfter`: whether a transaction block is open after this statement applied.
 */
function sentRightAfter(next: ParsedStatement | undefined, inBlockAfter: boolean): ParsedStatement | undefined {
  return next && (inBlockAfter || transactionEffect(next) !== undefined) ? next : undefined;
}

interface Observation {
  readonly inTransaction: boolean;
  /** A BEGIN is due before the statement: it is sent with the observation before it, when there is one. */
  readonly begin?: boolean;
  /** The statement runs in a block of its own: once it applied, its COMMIT is sent with the observation after it. */
  readonly ownBlock?: boolean;
  readonly bound: StatementBound | undefined;
  readonly observe: boolean;
  /** The state before the statement, already taken after the previous one. */
  readonly before?: RelationState;
  /** The statement sent right after this one (see sentRightAfter), whose state before it to take with this one's after. */
  readonly next?: ParsedStatement;
}

async function runObserved(
  client: ClientBase,
  statement: ParsedStatement,
  { inTransaction, begin = false, ownBlock = false, bound, observe, before: taken, next }: Observation,
): Promise<{ run: StatementRun; nextBefore?: RelationState }> {
  // BEGIN, and the COMMIT below, share the observations' round trips: only their own when there is none.
  const opening = begin ? ['BEGIN'] : [];
  if (begin && (taken || !observe)) await client.query('BEGIN');
  const before = taken ?? (await stateBefore(client, statement, observe, { before: opening }));
  const t0 = performance.now();
  const failure = await send(client, statement, bound);
  const durationMs = performance.now() - t0;
  const lockView = inTransaction && observe ? 'in-transaction' : 'not-observed';
  if (failure) return { run: failed(statement, failure, durationMs, before, { lockView, locks: [] }) };
  const closing = ownBlock ? ['COMMIT'] : [];
  if (!observe) {
    if (ownBlock) await client.query('COMMIT');
    return { run: { statement, status: 'applied', durationMs, lockView, locks: [], before, after: NOTHING } };
  }
  // The same tables after it, by oid: a table it renames or drops is still the one it was.
  const seen = await captureLocksAndState(client, [...before.keys()], next && { scope: statementScope(next) }, { after: closing });
  const run: StatementRun = {
    statement,
    status: 'applied',
    durationMs,
    lockView,
    locks: lockView === 'in-transaction' ? seen.locks : [],
    before,
    after: seen.state,
  };
  return { run, nextBefore: seen.next };
}

/** The relation state of an unobserved run. */
const NOTHING: RelationState = new Map();

/** The state of the tables the statement can change (see statementScope), before it runs. */
async function stateBefore(client: ClientBase, statement: ParsedStatement, observe: boolean, around?: Around): Promise<RelationState> {
  return observe ? captureScope(client, statementScope(statement), around) : NOTHING;
}

/** A statement PostgreSQL runs only outside a transaction block: its locks are watched from a second session, when there is one. */
async function runBare(
  client: ClientBase,
  statement: ParsedStatement,
  bare: BareLockWatch | null,
  bound: StatementBound | undefined,
  observe: boolean,
): Promise<StatementRun> {
  if (!bare) return (await runObserved(client, statement, { inTransaction: false, bound, observe })).run;
  bare.prepare();
  const before = await stateBefore(client, statement, observe);
  // The duration is the statement's own, from when it was sent; it includes its wait for the helper.
  const { outcome: failure, seen, durationMs } = await bare.run(statement, () => send(client, statement, bound));
  const observation = { lockView: seen.view, locks: seen.locks, ...(seen.waited ? { waited: seen.waited } : {}) };
  if (failure) return failed(statement, failure, durationMs, before, observation);
  const after = observe ? (await captureLocksAndState(client, [...before.keys()])).state : NOTHING;
  return { statement, status: 'applied', durationMs, ...observation, before, after };
}

function failed(
  statement: ParsedStatement,
  failure: RawFailure,
  durationMs: number,
  before: RelationState,
  seen: Pick<StatementRun, 'lockView' | 'locks' | 'waited'>,
): StatementRun {
  const status = failure.code === QUERY_CANCELED ? 'timed-out' : 'failed';
  return { statement, status, durationMs, ...seen, before, after: before, error: locate(failure, statement) };
}

interface RawFailure extends FailureFields {
  code: string;
  message: string;
  position?: number;
}

/** Sends one statement of the change (see afterStatement: it may drop the session's prepared statements). */
async function send(client: ClientBase, statement: ParsedStatement, bound: StatementBound | undefined): Promise<RawFailure | null> {
  try {
    return await query(client, statement.text, bound);
  } finally {
    afterStatement(client, statement.kind);
  }
}

async function query(client: ClientBase, sql: string, bound?: StatementBound): Promise<RawFailure | null> {
  try {
    await (bound ? bound(client.query(sql)) : client.query(sql));
    return null;
  } catch (error) {
    // The server's errors (pg's DatabaseError) carry a SQLSTATE; a DrillbotError (the statement
    // guard gave up on the server) carries a code too, but is no SQLSTATE; anything else is not the statement's failure.
    const failure = error as Partial<DatabaseError> | undefined;
    if (isDrillbotError(error) || typeof failure?.code !== 'string') throw error;
    const position = failure.position ? Number(failure.position) : undefined;
    const fields = Object.fromEntries(FAILURE_FIELDS.flatMap((f) => (typeof failure[f] === 'string' ? [[f, failure[f]]] : [])));
    return { code: failure.code, message: String(failure.message), ...fields, ...(position ? { position } : {}) };
  }
}

/** PostgreSQL's error position is a 1-based character offset into the statement text sent. */
function locate(failure: RawFailure, statement: ParsedStatement): PgFailure {
  const { position, ...fields } = failure;
  return { ...fields, line: position ? lineLocator(statement.text, statement.line)(position - 1) : statement.line };
}

function finish(status: ScriptRun['status'], started: number, statements: StatementRun[]): ScriptRun {
  return { status, durationMs: performance.now() - started, statements };
}
