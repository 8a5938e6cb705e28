import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { DrillbotConfig } from '../config.js';
import { finding } from '../report/findings.js';
import type { Finding } from '../report/report.js';
import { bounded, CLEANUP_STEP_MS, type Deadline } from '../deadline.js';
import { formatBytes } from '../format.js';
import { createDatabase, dropDatabase, endDatabases, endSessions, uniqueDatabaseName, type ShadowDatabase } from './databases.js';
import type { ScriptRun } from './execute.js';
import type { ShadowServer } from './providers/provider.js';

/**
 * Confines one drill: every database it creates (each with its own role, see databases.ts) is
 * watched from the admin connection until it is dropped, and all of them are ended when a cap is
 * passed, the deadline passes, or the drill ends in any way.
 *
 * PostgreSQL itself enforces temp_file_limit per backend (set on the role; a migration cannot lift
 * it). The watchdog adds what PostgreSQL has no setting for: the size of each database
 * (pg_database_size), the temporary files of all the drill's backends together (pg_ls_tmpdir(),
 * where the admin may call it) and, where the server runs on this machine, each backend's private
 * memory (RssAnon in /proc/<pid>/status): work_mem and friends can be raised by any session.
 */

/** The caps of one drill, from `shadow:` in the configuration (bytes). */
export type DrillCaps = Pick<DrillbotConfig['shadow'], 'maxDatabaseSize' | 'maxTempFiles' | 'maxBackendMemory'>;
/** The caps and the statement timeout, which also becomes a default of the drill's roles. */
export type DrillLimits = DrillCaps & Pick<DrillbotConfig['shadow'], 'statementTimeoutMs'>;

/** How often the watchdog measures: usage can pass a cap by what a statement writes in this time. */
const POLL_MS = 250;
/** How long cancelled statements get to end before their sessions are terminated. */
const CANCEL_GRACE_MS = 1_000;
/** How long one measurement may take. */
const POLL_TIMEOUT_MS = 5_000;
/** Consecutive failed measurements after which the drill is stopped: a drill does not run unwatched. */
const MAX_POLL_FAILURES = 3;
/** SQLSTATE configuration_limit_exceeded, as raised by temp_file_limit. */
const LIMIT_EXCEEDED = '53400';

type Cap = 'maxDatabaseSize' | 'maxTempFiles' | 'maxBackendMemory';

/** Why the guard stopped the drill. */
type StopReason = { cap: Cap; measured: string; evidence: string } | { unwatched: string };

/** Thrown into the drill once the guard has stopped it; the drill reports `guard.finding()` instead. */
export class DrillStopped extends Error {}

interface Measurement {
  sizes: Array<{ name: string; bytes: number }>;
  pids: number[];
  temp: number | null;
}

export class Guard {
  private readonly databases = new Set<string>();
  private readonly polling = new AbortController();
  private readonly watching: Promise<void>;
  private reason: StopReason | null = null;
  private ending: Promise<void> = Promise.resolve();
  private place: { path: string; line: number };
  private failures = 0;

  constructor(
    private readonly server: ShadowServer,
    private readonly limits: DrillLimits,
    private readonly deadline: Deadline,
    /** Where a finding points before any script ran (e.g. the change's first migration). */
    fallbackPath: string,
  ) {
    this.place = { path: fallbackPath, line: 1 };
    // At the review's limit, the databases are ended from outside, each step bounded: the deadline's race waits for it.
    deadline.onExpiry(() => (this.ending = this.ending.then(() => this.endAtDeadline())));
    this.watching = this.watch();
  }

  /** Creates a database and its role, watched until dropped; registered first, so an abort meanwhile drops it too. */
  async create(prefix: string, template?: string): Promise<ShadowDatabase> {
    this.assertRunning();
    const name = uniqueDatabaseName(prefix);
    this.databases.add(name);
    const database = await createDatabase(this.server, name, { template, caps: this.limits });
    this.assertRunning();
    return database;
  }

  /**
   * Takes over a database made before this drill (a ready clone of the pool): from now on it is
   * watched and dropped like the ones this guard creates.
   */
  adopt(database: ShadowDatabase): ShadowDatabase {
    this.databases.add(database.name);
    this.assertRunning();
    return database;
  }

  /** Drops a database and its role. */
  async drop(database: ShadowDatabase): Promise<void> {
    await dropDatabase(this.server, database.name);
    this.databases.delete(database.name);
  }

  /** Notes where untrusted SQL runs now, for the finding of a cap passed meanwhile; fixed once the drill is stopped. */
  running(path: string, line: number): void {
    if (!this.reason) this.place = { path, line };
  }

  /**
   * After a script: a statement that failed on temp_file_limit passed the temp cap. Throws
   * DrillStopped when the drill must not go on.
   */
  check(run: ScriptRun): void {
    const failed = run.statements[run.statements.length - 1];
    if (failed?.error?.code === LIMIT_EXCEEDED && failed.error.message.includes('temp_file_limit')) {
      this.stop({ cap: 'maxTempFiles', measured: 'one backend reached its temp_file_limit', evidence: `SQLSTATE ${LIMIT_EXCEEDED}: ${failed.error.message}` });
    }
    this.assertRunning();
  }

  /** True once the guard stopped the drill at a cap (or could not watch it). */
  get stopped(): boolean {
    return this.reason !== null;
  }

  /** The `infra` finding that says why the guard stopped the drill, where it was; null while it runs. */
  finding(): Finding | null {
    const reason = this.reason;
    if (!reason) return null;
    const { path, line } = this.place;
    if ('unwatched' in reason) {
      return finding({
        hazard: 'infra',
        source: 'drill',
        path,
        line,
        message: `The drill was stopped because its resource watchdog could not measure the shadow databases (${reason.unwatched}); a drill does not run unwatched.`,
        fix: 'Re-run the review; if it fails again, check that the shadow PostgreSQL admin may read pg_database_size of the drill’s databases.',
      });
    }
    const value = `shadow.${reason.cap} = ${formatBytes(this.limits[reason.cap])}`;
    return finding({
      hazard: 'infra',
      source: 'drill',
      path,
      line,
      message: `The drill was stopped at its cap ${value}: ${reason.measured}. On a small seeded database this is a runaway statement, or one that would need far more in production.`,
      fix: `Check the statement for unbounded work (a large generate_series, a cross join, a recursive CTE); if it really needs this much, raise shadow.${reason.cap} in .github/drillbot.yml.`,
      evidence: reason.evidence,
    });
  }

  /** Stops watching and drops every database (and role) the drill still has; they are all gone afterwards. */
  async close(): Promise<void> {
    this.polling.abort();
    // A server that stopped answering must not hold the review: the watchdog's query may never return.
    await bounded(this.watching, CLEANUP_STEP_MS, 'stopping the watchdog').catch(() => undefined);
    // Ending at a cap or at the deadline (each step bounded) comes first; then nothing new starts.
    await this.ending;
    this.closed = true;
    // Past the deadline the databases were ended from outside (bounded); their server may not answer.
    if (this.deadline.passed) return;
    for (const name of [...this.databases]) {
      await dropDatabase(this.server, name);
      this.databases.delete(name);
    }
  }

  private assertRunning(): void {
    if (this.deadline.passed) throw this.deadline.error();
    if (this.reason) throw new DrillStopped('the drill was stopped at a cap');
  }

  private closed = false;

  /** Cancel, terminate and drop every database, then drop their roles: each step bounded, for a server that may not answer. */
  private async endAtDeadline(): Promise<void> {
    const names = [...this.databases];
    if (this.closed || names.length === 0) return;
    await endDatabases(this.server, names);
    for (const name of names) await bounded(dropDatabase(this.server, name), 5 * CLEANUP_STEP_MS, `dropping the role of ${name}`);
  }

  private stop(reason: StopReason): void {
    if (this.reason) return;
    this.reason = reason;
    this.endAll();
  }

  /** Ends one after the other (a cap may be passed after the deadline), so close() awaits both. */
  private endAll(): void {
    this.ending = this.ending.then(() => this.end());
  }

  /** Cancel, then terminate, then drop: what the drill's connections see first is a cancelled statement. */
  private async end(): Promise<void> {
    const names = [...this.databases];
    await endSessions(this.server, names, CANCEL_GRACE_MS).catch(() => undefined);
    // A drop that fails here is tried again by close(), which reports its failure.
    await Promise.all(
      names.map((name) =>
        dropDatabase(this.server, name).then(
          () => this.databases.delete(name),
          () => undefined,
        ),
      ),
    );
  }

  private async watch(): Promise<void> {
    const client = new pg.Client({ ...this.server.adminConfig(this.server.maintenanceDatabase ?? 'postgres'), application_name: 'drillbot-watchdog' });
    client.on('error', () => undefined);
    try {
      await client.connect();
      // A measurement that hangs counts as a failed one.
      await client.query(`SET statement_timeout = ${POLL_TIMEOUT_MS}`);
      while (!this.reason) {
        await sleep(POLL_MS, undefined, { signal: this.polling.signal });
        await this.pollOnce(client);
      }
    } catch (error) {
      if (!this.polling.signal.aborted) this.stop({ unwatched: error instanceof Error ? error.message : String(error) });
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** One measurement; a few failures in a row (a database dropped while measured) are tolerated. */
  private async pollOnce(client: pg.Client): Promise<void> {
    if (this.databases.size === 0) return;
    let measured: Measurement;
    try {
      measured = await measure(client, [...this.databases], this.server.admin.listTempFiles);
      this.failures = 0;
    } catch (error) {
      if (++this.failures >= MAX_POLL_FAILURES) throw error;
      return;
    }
    const reason = await this.judge(measured);
    if (reason) this.stop(reason);
  }

  private async judge({ sizes, pids, temp }: Measurement): Promise<StopReason | null> {
    const big = sizes.find((s) => s.bytes > this.limits.maxDatabaseSize);
    if (big)
      return { cap: 'maxDatabaseSize', measured: `the database grew to ${formatBytes(big.bytes)}`, evidence: `pg_database_size(${big.name}) = ${big.bytes}` };
    if (temp !== null && temp > this.limits.maxTempFiles) {
      return {
        cap: 'maxTempFiles',
        measured: `its backends' temporary files reached ${formatBytes(temp)}`,
        evidence: `pg_ls_tmpdir() of backends ${pids.join(', ')}: ${temp} bytes`,
      };
    }
    if (!this.server.local) return null;
    for (const pid of pids) {
      const bytes = await privateMemory(pid);
      if (bytes !== null && bytes > this.limits.maxBackendMemory) {
        return {
          cap: 'maxBackendMemory',
          measured: `backend ${pid} used ${formatBytes(bytes)} of private memory`,
          evidence: `/proc/${pid}/status RssAnon: ${bytes / 1024} kB`,
        };
      }
    }
    return null;
  }
}

/**
 * Sizes of the databases, their backends (parallel workers included: they carry the database's
 * name) and, when the admin may list them, those backends' temporary files, in one round trip.
 * pg_ls_tmpdir() lists base/pgsql_tmp, whose files are named pgsql_tmp<pid>.<n>.
 */
async function measure(client: pg.Client, names: string[], listTempFiles: boolean): Promise<Measurement> {
  const temp = listTempFiles
    ? `(SELECT coalesce(sum(size), 0)::float8 FROM pg_ls_tmpdir() WHERE substring(name FROM '^pgsql_tmp(\\d+)\\.')::int IN (SELECT pid FROM backends))`
    : 'NULL::float8';
  const { rows } = await client.query<Measurement>(
    `WITH backends AS (SELECT pid FROM pg_stat_activity WHERE datname = ANY($1) AND pid <> pg_backend_pid())
     SELECT (SELECT coalesce(json_agg(json_build_object('name', datname, 'bytes', pg_database_size(oid))), '[]') FROM pg_database WHERE datname = ANY($1)) AS sizes,
            (SELECT coalesce(array_agg(pid), '{}') FROM backends) AS pids,
            ${temp} AS temp`,
    [names],
  );
  return rows[0] as Measurement;
}

/** A backend's private memory (RssAnon: heap and anonymous mappings, not shared buffers), or null when it is gone. */
async function privateMemory(pid: number): Promise<number | null> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
  const kb = status && /^RssAnon:\s+(\d+) kB/m.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : null;
}
