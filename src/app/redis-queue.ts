import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'probot';
import type { AckRecord, AckStore, PendingAck } from './acks.js';
import type { Task, TaskQueue, TaskRunner } from './queue.js';
import { jobKey, Superseded } from './review-job.js';

/** Where the durable queue lives and how it behaves (DRILLBOT_REDIS_URL and friends). */
export interface RedisOptions {
  readonly url: string;
  /** Prefix of every key: BullMQ's and Drillbot's own (leases, abort requests, pending acks). */
  readonly prefix: string;
  /** Tasks running at the same time in this replica. */
  readonly concurrency: number;
  /**
   * How long the job and pull-request locks of a replica outlive its last renewal: a replica that
   * dies (crash, SIGKILL, lost host) has its review taken over by another after about twice this.
   */
  readonly lockMs: number;
  /** Attempts of a task whose error escaped (GitHub or Redis unreachable), with exponential backoff. */
  readonly attempts: number;
  readonly backoffMs: number;
}

/**
 * Reviews and commands have queues (and workers) of their own, so that a reply to a command never
 * waits for a drill to end, as with the in-process queue.
 */
const LANES = { reviews: 'reviews', commands: 'commands' } as const;
type Lane = keyof typeof LANES;
const laneOf = (task: Task): Lane => (task.kind === 'review' ? 'reviews' : 'commands');
/** Commands only call the API: a few run at a time besides the drills. */
const COMMAND_CONCURRENCY = 4;
/** Below Probot's 9 s webhook timeout. */
const ADD_TIMEOUT_MS = 5_000;
/** Completed tasks are kept this long, so a delivery replayed within it is recognised by its id. */
const KEEP_COMPLETED_S = 7 * 24 * 3600;

/** One Redis connection per replica, opened on first use (importing the app must not connect). */
export class RedisConnection {
  private client?: Redis;
  constructor(readonly options: RedisOptions) {}

  get redis(): Redis {
    // BullMQ's workers block on this connection's duplicates; they need maxRetriesPerRequest null.
    this.client ??= new Redis(this.options.url, { maxRetriesPerRequest: null });
    return this.client;
  }

  key(...parts: string[]): string {
    return [this.options.prefix, 'drillbot', ...parts].join(':');
  }

  async close(): Promise<void> {
    await this.client?.quit().catch(() => undefined);
    this.client = undefined;
  }
}

/**
 * The durable queue: BullMQ on Redis. A webhook's task is stored under its delivery id before the
 * webhook is answered (a replayed delivery adds nothing), survives restarts, and runs in whichever
 * replica takes it; a replica that dies mid-review loses its BullMQ lock and another replica takes
 * the stalled job over. One review at a time per pull request across replicas comes from a lease
 * in Redis ({@link PullLease}); a superseding review that finds the lease taken asks its holder to
 * abort and waits in BullMQ's delayed set.
 */
export class RedisTaskQueue implements TaskQueue {
  private queues?: Record<Lane, Queue<Task>>;
  private workers: Worker<Task>[] = [];
  private runner?: TaskRunner;
  private log?: Logger;

  constructor(private readonly connection: RedisConnection) {}

  private get options(): RedisOptions {
    return this.connection.options;
  }

  start(runner: TaskRunner, log: Logger): void {
    this.runner = runner;
    this.log = log;
    const connection = this.connection.redis;
    const { prefix, lockMs, concurrency } = this.options;
    const queue = (lane: Lane) =>
      new Queue<Task>(LANES[lane], { connection, prefix }).on('error', (error) => log.error({ err: error }, `drillbot: queue ${lane} error`));
    this.queues = { reviews: queue('reviews'), commands: queue('commands') };
    for (const [lane, slots] of [
      ['reviews', concurrency],
      ['commands', COMMAND_CONCURRENCY],
    ] as const) {
      const worker = new Worker<Task>(LANES[lane], (job, token) => this.process(job, token), {
        connection,
        prefix,
        concurrency: slots,
        lockDuration: lockMs,
        stalledInterval: lockMs,
        // A job is taken over once per replica death; two deaths in a row still get a third try.
        maxStalledCount: 2,
      });
      worker.on('failed', (job, error) => log.error({ err: error, job: job?.id, attempts: job?.attemptsMade }, `drillbot: task ${job?.name} failed`));
      worker.on('error', (error) => log.error({ err: error }, `drillbot: ${lane} worker error`));
      this.workers.push(worker);
    }
  }

  /**
   * Stores the task, or fails within {@link ADD_TIMEOUT_MS} (Redis unreachable): the webhook then
   * gets an error, so GitHub shows the delivery as failed and it can be redelivered, rather than
   * Probot's "still processing" answer for a task that only waits in this process's memory.
   */
  async add(task: Task, id?: string): Promise<void> {
    if (!this.queues) throw new Error('the task queue has not been started');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`could not queue the ${task.kind} task: Redis did not answer within ${ADD_TIMEOUT_MS} ms`)), ADD_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.store(task, id), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async store(task: Task, id: string | undefined): Promise<void> {
    await this.queues![laneOf(task)].add(task.kind, task, {
      // BullMQ refuses ':' in custom ids; delivery ids are UUIDs.
      jobId: id?.replaceAll(':', '_'),
      attempts: this.options.attempts,
      backoff: { type: 'exponential', delay: this.options.backoffMs },
      removeOnComplete: { age: KEEP_COMPLETED_S },
      removeOnFail: { age: KEEP_COMPLETED_S },
    });
  }

  private async process(job: Job<Task>, token: string | undefined): Promise<void> {
    const task = job.data;
    const runner = this.runner!;
    if (task.kind !== 'review') return runner.run(task, new AbortController().signal);
    const lease = new PullLease(this.connection, jobKey(task.target), job.id!, this.log!);
    if (!(await lease.acquire())) {
      if (await runner.isStale(task)) return;
      if (task.supersede ?? true) await lease.requestAbort(task.target.headSha);
      // Waiting in the delayed set frees the worker slot and costs no attempt.
      await job.moveToDelayed(Date.now() + lease.renewMs, token);
      throw new DelayedError();
    }
    try {
      if (await runner.isStale(task)) return;
      await runner.run(task, lease.signal);
    } finally {
      await lease.release();
    }
  }

  /** Nothing waiting, delayed or active in Redis (for tests: the whole queue, every replica). */
  async idle(): Promise<void> {
    const queues = Object.values(this.queues ?? {});
    for (;;) {
      const counts = await Promise.all(queues.map((q) => q.getJobCounts('waiting', 'active', 'delayed', 'prioritized')));
      if (counts.every((c) => Object.values(c).every((n) => n === 0))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async close(): Promise<void> {
    for (const worker of this.workers) await worker.close();
    for (const queue of Object.values(this.queues ?? {})) await queue.close();
    await this.connection.close();
  }
}

// Compare-and-set scripts: a lease is only renewed or released by the job that holds it. A job
// taken over after its replica died carries the same id, so it takes its own stale lease back.
const ACQUIRE = `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;
// Renews the lease (KEYS[1]) and hands over an abort request addressed to this job (KEYS[2],
// '@' and the newer head SHA): false when the lease is lost, '' when nobody asked.
const RENEW = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local abort = redis.call('GET', KEYS[2])
if abort then redis.call('DEL', KEYS[2]) return abort end
return ''`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * The right to review one pull request, held by one job across all replicas: a key with an expiry,
 * renewed while the review runs. A newer review that finds the lease taken addresses an abort
 * request to the holder's job id (so a request can never hit a later holder); the holder sees it at
 * its next renewal and aborts its signal with {@link Superseded}, as the in-process queue does.
 */
class PullLease {
  private readonly controller = new AbortController();
  private timer?: NodeJS.Timeout;
  private readonly leaseKey: string;

  constructor(
    private readonly connection: RedisConnection,
    pull: string,
    private readonly jobId: string,
    private readonly log: Logger,
  ) {
    this.leaseKey = connection.key('lease', pull);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** How often the lease is renewed and abort requests are looked for. */
  get renewMs(): number {
    return Math.max(200, Math.min(2000, Math.floor(this.connection.options.lockMs / 3)));
  }

  private get ttl(): string {
    return String(this.connection.options.lockMs);
  }

  private abortKey(jobId: string): string {
    return this.connection.key('abort', jobId);
  }

  async acquire(): Promise<boolean> {
    if ((await this.connection.redis.eval(ACQUIRE, 1, this.leaseKey, this.jobId, this.ttl)) !== 1) return false;
    await this.renew();
    this.timer = setInterval(() => void this.renew(), this.renewMs);
    return true;
  }

  /** Asks the current holder to abort (a newer review of `headSha` takes over). */
  async requestAbort(headSha: string | undefined): Promise<void> {
    const holder = await this.connection.redis.get(this.leaseKey);
    if (holder && holder !== this.jobId) await this.connection.redis.set(this.abortKey(holder), `@${headSha ?? ''}`, 'PX', this.ttl);
  }

  private async renew(): Promise<void> {
    if (this.controller.signal.aborted) return;
    try {
      const abort = (await this.connection.redis.eval(RENEW, 2, this.leaseKey, this.abortKey(this.jobId), this.jobId, this.ttl)) as string | null;
      if (abort === null) this.controller.abort(new Error('the review lost its lease on the pull request (this replica stalled)'));
      else if (abort !== '') this.controller.abort(new Superseded(abort.slice(1) || undefined));
    } catch (error) {
      // Redis unreachable: keep going; the lease expires if this lasts, and BullMQ's job lock with it.
      this.log.warn({ err: error }, 'drillbot: could not renew the pull-request lease');
    }
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.connection.redis
      .eval(RELEASE, 1, this.leaseKey, this.jobId)
      .catch((error) => this.log.warn({ err: error }, 'drillbot: could not release the pull-request lease'));
  }
}

/** Acknowledgements given by command and not yet in the summary comment, kept in a Redis hash per pull request. */
export class RedisAckStore implements AckStore {
  constructor(private readonly connection: RedisConnection) {}

  async add(pull: string, id: string, ack: AckRecord): Promise<void> {
    await this.connection.redis.hset(this.connection.key('acks', pull), id, JSON.stringify(ack));
  }

  async list(pull: string): Promise<PendingAck[]> {
    const all = await this.connection.redis.hgetall(this.connection.key('acks', pull));
    return Object.entries(all)
      .map(([id, json]) => ({ id, ack: JSON.parse(json) as AckRecord }))
      .sort((a, b) => a.ack.at.localeCompare(b.ack.at) || a.id.localeCompare(b.id));
  }

  async remove(pull: string, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.connection.redis.hdel(this.connection.key('acks', pull), ...ids);
  }
}
