import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { ClientBase } from 'pg';
import type { LockView } from '../report/report.js';
import type { ParsedStatement, StatementNode } from '../sql/parse.js';
import { quoteIdent } from '../sql/quote.js';
import { lookAtBackend, type HeldLock } from './relation-state.js';

/**
 * Watches the locks of a statement PostgreSQL runs only outside a transaction block (CREATE INDEX
 * CONCURRENTLY, VACUUM …): it holds them while it runs and none afterwards, so they are read from a
 * second session of the same database, in pg_locks, filtered to the migration's backend.
 *
 * A race against a statement of a few milliseconds on a small seeded table would make the report
 * change from run to run; instead a helper transaction is opened first that the statement has to
 * wait for while it holds its locks. It holds a snapshot, which CREATE INDEX CONCURRENTLY and
 * REINDEX CONCURRENTLY wait for (WaitForOlderSnapshots), and ACCESS SHARE on the tables the
 * statement names, which DROP INDEX CONCURRENTLY waits for (WaitForLockers on the index's table)
 * and which a statement that needs ACCESS EXCLUSIVE queues behind (VACUUM FULL; DETACH PARTITION
 * CONCURRENTLY on the partition, in its final step, holding SHARE UPDATE EXCLUSIVE on the parent).
 * Once the statement waits for the helper, its locks are read and the helper ends. A statement that
 * does not wait (plain VACUUM) is sampled while it runs, up to POLL_CAP_MS.
 */

/** Opens another session of the migration's database (the drill's own login). */
export type OpenSession = () => Promise<pg.Client>;

export interface BareObservation {
  readonly view: Exclude<LockView, 'in-transaction'>;
  readonly locks: HeldLock[];
  /** What the statement waited for, in words, when it waited for the helper. */
  readonly waited?: string;
}

/** How long the helper is held open for a statement that does not wait for it; it then only gets sampled. */
const POLL_CAP_MS = 5_000;
/** Polls are frequent at first, when most statements start waiting (within milliseconds), and back off for those that run long. */
const FAST_POLL_MS = 1;
const FAST_POLLS_FOR_MS = 100;
const MAX_POLL_MS = 50;
/** The helper must not queue for its own locks: the migration's session is idle, so anything longer is odd. */
const HELPER_LOCK_TIMEOUT_MS = 1_000;

// The tables named by the statement, an index standing for its table. Tables only: LOCK TABLE refuses other kinds.
const HELPER_TABLES_SQL = `
SELECT DISTINCT coalesce(i.indrelid, c.oid)::regclass::text AS name
FROM unnest($1::text[]) AS t(name)
JOIN pg_class c ON c.oid = to_regclass(t.name)
LEFT JOIN pg_index i ON i.indexrelid = c.oid
JOIN pg_class tc ON tc.oid = coalesce(i.indrelid, c.oid) AND tc.relkind IN ('r', 'p')`;

export class BareLockWatch {
  private session: Promise<{ client: pg.Client; pid: number }> | null = null;
  private migrationPid: Promise<number> | null = null;

  constructor(
    private readonly open: OpenSession,
    private readonly migration: ClientBase,
  ) {}

  /** Starts connecting the second session (and learning the migration's pid), so that run() finds them ready. */
  prepare(): void {
    this.migrationPid ??= backendPid(this.migration);
    this.session ??= this.open().then(async (client) => ({ client, pid: await backendPid(client) }));
    // Whoever awaits them sees a failure; an unawaited one must not become an unhandled rejection.
    this.migrationPid.catch(() => undefined);
    this.session.catch(() => undefined);
  }

  /** Runs the statement (`execute` must not throw for a statement's own error) while watching it. */
  async run<T>(statement: ParsedStatement, execute: () => Promise<T>): Promise<{ outcome: T; seen: BareObservation; durationMs: number }> {
    this.prepare();
    const [pid, { client, pid: helperPid }] = await Promise.all([this.migrationPid!, this.session!]);
    const helper = await openHelper(client, lockTargets(statement));
    const started = performance.now();
    const pending = execute();
    let seen: BareObservation;
    try {
      seen = await watch(client, pid, helper ? helperPid : null, pending);
    } finally {
      // Whatever happened, the helper ends before the statement is awaited: it may be waiting for it.
      if (helper) await client.query('COMMIT').catch(() => this.forget());
    }
    const outcome = await pending;
    return { outcome, seen, durationMs: performance.now() - started };
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = null;
    if (session) await session.then((s) => s.client.end()).catch(() => undefined);
  }

  /** A session that failed (ended by the guard) is not reused. */
  private forget(): void {
    void this.close();
  }
}

/**
 * Opens the helper transaction: a snapshot and ACCESS SHARE on the named tables. False when it
 * could not be opened (a table the role may not lock): the statement is then only sampled.
 */
async function openHelper(client: pg.Client, targets: string[]): Promise<boolean> {
  try {
    await client.query(`BEGIN ISOLATION LEVEL REPEATABLE READ; SET LOCAL lock_timeout = ${HELPER_LOCK_TIMEOUT_MS}`);
    // The first query of a REPEATABLE READ transaction takes its snapshot.
    const tables = (await client.query<{ name: string }>(HELPER_TABLES_SQL, [targets])).rows.map((r) => r.name);
    if (tables.length > 0) await client.query(`LOCK TABLE ${tables.join(', ')} IN ACCESS SHARE MODE`);
    return true;
  } catch {
    await client.query('ROLLBACK').catch(() => undefined);
    return false;
  }
}

/** Polls until the statement waits for the helper, ends, or POLL_CAP_MS pass; the caller keeps the strongest lock per relation. */
async function watch(client: pg.Client, pid: number, helperPid: number | null, pending: Promise<unknown>): Promise<BareObservation> {
  const locks = new Map<string, HeldLock>();
  const seen = () => [...locks.values()];
  let done = false;
  void pending.finally(() => (done = true)).catch(() => undefined);
  const started = performance.now();
  for (let delay = FAST_POLL_MS; !done && performance.now() - started < POLL_CAP_MS;) {
    await sleep(delay);
    if (done) break;
    try {
      const look = await lookAtBackend(client, pid, helperPid);
      // What it holds while it waits is all it holds at that point; earlier samples caught passing steps by chance.
      if (look.waitEvent) return { view: 'while-waiting', locks: look.locks, waited: waitedFor(look.waitEvent, look.blockers) };
      for (const lock of look.locks) locks.set(`${lock.oid} ${lock.mode}`, lock);
    } catch {
      break; // the watching session was ended: what was seen so far is all there is
    }
    if (performance.now() - started > FAST_POLLS_FOR_MS) delay = Math.min(delay * 2, MAX_POLL_MS);
  }
  return { view: locks.size > 0 ? 'sampled' : 'not-observed', locks: seen() };
}

function waitedFor(waitEvent: string, blockers: number): string {
  const count = `${blockers} ${blockers === 1 ? 'transaction' : 'transactions'}`;
  return waitEvent === 'relation'
    ? `queued for its lock behind ${count} reading the table (the drill held one open)`
    : `waited, holding its locks, for ${count} older than itself to end (the drill held one open)`;
}

/** The relations a statement names, quoted for to_regclass: the tables (or indexes) the helper locks. */
export function lockTargets(statement: ParsedStatement): string[] {
  const node = statement.node;
  switch (statement.kind) {
    case 'DropStmt':
      return (node.objects ?? []).map((o: StatementNode) =>
        (o.List?.items ?? [o]).map((p: StatementNode) => quoteIdent(String(p.String?.sval ?? ''))).join('.'),
      );
    case 'AlterTableStmt':
      // DETACH … CONCURRENTLY: its last step takes ACCESS EXCLUSIVE on the partition, not on the parent.
      return (node.cmds ?? []).flatMap((c: StatementNode) => rangeVarName(c.AlterTableCmd?.def?.PartitionCmd?.name));
    case 'VacuumStmt':
      return (node.rels ?? []).flatMap((r: StatementNode) => rangeVarName(r.VacuumRelation?.relation));
    default:
      // CREATE INDEX and REINDEX name their table or index in `relation`.
      return rangeVarName(node.relation);
  }
}

function rangeVarName(rangeVar: StatementNode | undefined): string[] {
  if (!rangeVar?.relname) return [];
  return [
    [rangeVar.schemaname, rangeVar.relname]
      .filter(Boolean)
      .map((part) => quoteIdent(String(part)))
      .join('.'),
  ];
}

async function backendPid(client: ClientBase): Promise<number> {
  return (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
}
