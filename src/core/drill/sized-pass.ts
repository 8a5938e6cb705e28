import { Deadline } from '../deadline.js';
import { redact } from '../errors.js';
import { statementGuard } from './admin-side.js';
import { baseCloner, connect, endOwnDatabase, guarded, runGuarded, seedForChange, type DrillPlan, type Progress } from './drill.js';
import type { Guard } from './guard.js';
import type { ShadowServer } from './providers/provider.js';

/** What the change's forward statements took on a copy whose sized tables hold more rows. */
export interface SizedRun {
  /** Rows each sized table held (by catalog name, `schema.table` quoted). */
  readonly rows: ReadonlyMap<string, number>;
  /** Milliseconds of each forward statement that applied, by statementKey. */
  readonly durations: ReadonlyMap<string, number>;
  /** Statements that ran past the statement timeout (in every run), with the time they ran, by statementKey. */
  readonly timedOut: ReadonlyMap<string, number>;
}

/** The sized run, or why there is none (the estimate then falls back to what the drill measured). */
export type SizedPass = SizedRun | { readonly failed: string };

/**
 * The most the sized pass may take: it only sharpens an estimate, so it must never cost the review
 * its own time limit (that limit, or a cancellation, ends it too).
 */
export const SIZED_PASS_MS = 120_000;

/** How a statement is found again in another run of the same file. */
export function statementKey(path: string, line: number): string {
  return `${path}:${line}`;
}

/**
 * Times of a run on a shared machine only ever grow by others' work: the fastest of a few runs is
 * the one closest to the statement's own cost.
 */
export const SIZED_RUNS = 3;

/**
 * A forward-only second pass for lock-time estimates, SIZED_RUNS times: a fresh clone of the base,
 * seeded as the drill seeds it except for the tables `rowsFor` names, which get as many rows as it
 * says, and for text, which is shuffled (SeedOptions.shuffledText); then the change's forward migrations run unobserved (until one fails) and each
 * statement's time is kept, the fastest over the runs. Each run is confined by its own Guard; all
 * of them together are bounded by SIZED_PASS_MS within the review's deadline. A run that fails
 * after the first ends the pass with the runs before it.
 */
export async function runSizedPass(
  server: ShadowServer,
  plan: DrillPlan,
  rowsFor: (table: string) => number | undefined,
  onProgress: Progress,
  deadline: Deadline,
): Promise<SizedPass> {
  const own = new Deadline(SIZED_PASS_MS, deadline.signal);
  const runs: SizedRun[] = [];
  try {
    for (let i = 0; i < SIZED_RUNS; i++) {
      const run = (guard: Guard, changePath: string) =>
        // A run the guard stopped at a cap fails with the guard's reason, not the closed session's error.
        timeForward(server, plan, { guard, changePath, rowsFor, onProgress, deadline: own }).catch((error: unknown) => {
          throw guard.stopped ? new Error(guard.finding()!.message) : error;
        });
      runs.push(await own.race(guarded(server, plan, own, run)));
    }
  } catch (error) {
    const why =
      own.passed && !deadline.passed ? `it took longer than ${SIZED_PASS_MS / 1000} s` : redact(error instanceof Error ? error.message : String(error));
    onProgress(`the timing with more rows failed: ${why}`);
    if (runs.length === 0) return { failed: why };
  } finally {
    own.done();
  }
  return fastest(runs);
}

/** Each statement's fastest time over the runs (all seeded alike), and the first run's rows; timed out only when it never applied. */
function fastest(runs: SizedRun[]): SizedRun {
  const durations = new Map<string, number>();
  for (const [key, ms] of runs.flatMap((r) => [...r.durations])) durations.set(key, Math.min(ms, durations.get(key) ?? Infinity));
  const timedOut = new Map(runs.flatMap((r) => [...r.timedOut]).filter(([key]) => !durations.has(key)));
  return { rows: runs[0].rows, durations, timedOut };
}

interface Pass {
  readonly guard: Guard;
  readonly changePath: string;
  readonly rowsFor: (table: string) => number | undefined;
  readonly onProgress: Progress;
  readonly deadline: Deadline;
}

async function timeForward(server: ShadowServer, plan: DrillPlan, pass: Pass): Promise<SizedRun> {
  const { database } = await baseCloner(server, plan, pass.guard, pass.deadline, pass.onProgress)('sized');
  const client = await connect(database, plan.statementTimeoutMs, pass.deadline);
  try {
    pass.guard.running(pass.changePath, 1);
    // Text in production's order: an index on it costs there what it costs here.
    const seed = await seedForChange(client, plan, pass.onProgress, { rowsFor: pass.rowsFor, shuffledText: true });
    const sized = seed.tables.filter((t) => pass.rowsFor(t.table) !== undefined);
    pass.onProgress(`timing the forward migrations again with ${sized.map((t) => `${t.table} at ${t.rows} rows`).join(', ')}, for lock-time estimates`);
    // A production table has long been vacuumed and analyzed: without this the statement would
    // also pay for setting the fresh rows' hint bits, which production does not.
    for (const t of sized) await client.query(`VACUUM (ANALYZE) ${t.table}`);
    const bound = statementGuard(server, client, plan.statementTimeoutMs);
    const durations = new Map<string, number>();
    const timedOut = new Map<string, number>();
    for (const p of plan.added) {
      if (!p.forward) break;
      const run = await runGuarded(pass.guard, client, p.migration.forward, p.forward, bound, { observe: false });
      for (const st of run.statements) {
        const key = statementKey(p.migration.forward.path, st.statement.line);
        if (st.status === 'applied') durations.set(key, st.durationMs);
        else if (st.status === 'timed-out') timedOut.set(key, st.durationMs);
      }
      if (run.status !== 'applied') break;
    }
    return { rows: new Map(sized.map((t) => [t.table, t.rows])), durations, timedOut };
  } finally {
    await endOwnDatabase(client, database, pass.guard, pass.deadline);
  }
}
