import type { Logger } from 'probot';
import type { Command } from './commands.js';
import type { RepoRef } from './github/octokit.js';
import { jobKey, Superseded, type ReviewTarget } from './review-job.js';

/** A job of the review queue; `signal` aborts when a newer job for the same key supersedes it. */
export type Job = (signal: AbortSignal) => Promise<void>;

/**
 * Runs review jobs with bounded concurrency, one at a time per key (a pull request). A job
 * enqueued while another for the same key waits replaces it (duplicate deliveries collapse); one
 * enqueued while another for the same key runs aborts that one's signal, so its result is
 * dropped, and runs after it. Webhook handlers only enqueue, so GitHub gets its answer at once.
 */
export class ReviewQueue {
  private readonly pending = new Map<string, Job>();
  private readonly running = new Map<string, AbortController>();
  private idleWaiters: Array<() => void> = [];
  private readonly background = new Set<Promise<void>>();

  constructor(
    readonly concurrency: number,
    private readonly onError: (error: unknown, key: string) => void = () => undefined,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`queue concurrency must be a positive integer, not ${concurrency}`);
  }

  /**
   * Queues `job` for `key`, replacing what waits for the same key. With `supersede` (a new push),
   * the running job of the key is aborted too; without it (an acknowledgement), it may finish.
   */
  enqueue(key: string, job: Job, opts: { supersede?: boolean; reason?: unknown } = {}): void {
    this.pending.set(key, job);
    if (opts.supersede ?? true) this.running.get(key)?.abort(opts.reason ?? new Error('superseded by a newer review of the same pull request'));
    this.pump();
  }

  /**
   * Runs short work (command replies, the head check before a review) outside the review slots,
   * but counted by idle(). Tasks start one per turn of the event loop, on setImmediate: started
   * in a microtask, a task's synchronous start (an Octokit client, a request to GitHub) ran before
   * the webhook's answer was written, and twenty tasks started in one turn kept the loop from
   * reading the next deliveries for hundreds of milliseconds (measured with
   * `npm run bench:webhook`); between two starts the loop now reads and answers what arrived.
   */
  run(task: () => Promise<void>): void {
    let begin!: () => void;
    const promise: Promise<void> = new Promise<void>((resolve) => (begin = resolve))
      .then(task)
      .catch((error) => this.onError(error, 'background'))
      .finally(() => {
        this.background.delete(promise);
        this.settle();
      });
    this.background.add(promise);
    this.starting.push(begin);
    if (this.starting.length === 1) setImmediate(() => this.startNext());
  }

  /** Background tasks waiting for their turn of the event loop. */
  private readonly starting: Array<() => void> = [];

  private startNext(): void {
    this.starting.shift()?.();
    if (this.starting.length > 0) setImmediate(() => this.startNext());
  }

  /** Jobs waiting plus jobs running plus background tasks. */
  get size(): number {
    return this.pending.size + this.running.size + this.background.size;
  }

  private settle(): void {
    if (this.size !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when nothing waits or runs (tests and graceful shutdown). */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    for (const [key, job] of this.pending) {
      if (this.running.size >= this.concurrency) return;
      if (this.running.has(key)) continue;
      this.pending.delete(key);
      const controller = new AbortController();
      this.running.set(key, controller);
      void Promise.resolve()
        .then(() => job(controller.signal))
        .catch((error) => this.onError(error, key))
        .finally(() => {
          this.running.delete(key);
          this.pump();
          this.settle();
        });
    }
  }
}

/**
 * Work of the app as plain data, so that the Redis queue can keep it across a restart and hand it
 * to another replica; the worker authenticates as the installation again.
 */
export type Task = ReviewTask | CommandTask | ReverseButtonTask | RerunTask;

/** A review of a pull request (a push, a re-run, an acknowledgement to apply). */
export interface ReviewTask {
  readonly kind: 'review';
  readonly installationId: number;
  readonly target: ReviewTarget;
  /** Re-evaluate the last report of the head SHA (after an ack) instead of drilling again, when this replica has it cached. */
  readonly reuseReport?: boolean;
  /** Abort the running review of the pull request (a new push, default); false lets it finish first (an ack). */
  readonly supersede?: boolean;
  /** Reply to this login with the reverse drafts once the review ends (`/drillbot reverse` without a cached report). */
  readonly replyReverseTo?: string;
}

/** A slash-command from a pull-request comment. */
export interface CommandTask {
  readonly kind: 'command';
  readonly installationId: number;
  readonly repo: RepoRef;
  readonly number: number;
  readonly commentId: number;
  readonly login: string;
  readonly command: Command;
}

/** The Draft reverse button of the check run. */
export interface ReverseButtonTask {
  readonly kind: 'reverse-button';
  readonly installationId: number;
  readonly repo: RepoRef;
  readonly number: number;
  readonly login: string;
  /** Names the review it may queue, so that a retry queues it once. */
  readonly deliveryId: string;
}

/** The Re-run button of the check run, or "Re-run all checks" of the suite: reviews again, for writers. */
export interface RerunTask {
  readonly kind: 'rerun';
  readonly installationId: number;
  readonly repo: RepoRef;
  readonly numbers: readonly number[];
  readonly login: string;
  /** Names the reviews it queues, so that a retry queues each once. */
  readonly deliveryId: string;
}

/** What a queue hands its tasks to (src/app/tasks.ts). */
export interface TaskRunner {
  /**
   * Whether a review names a head SHA that the pull request has left (a late delivery): such a
   * review is dropped, so it neither supersedes the current head's review nor reviews an old commit.
   */
  isStale(task: ReviewTask): Promise<boolean>;
  /** Runs a task; `signal` aborts (with a {@link Superseded} reason) when a newer review of the pull request takes over. */
  run(task: Task, signal: AbortSignal): Promise<void>;
}

/**
 * The app's queue. Both implementations run one review at a time per pull request, let a new push
 * supersede the running review, and ignore a task whose id (the delivery id) was seen before.
 * {@link InProcessTaskQueue} is the zero-setup default and loses everything on a restart;
 * RedisTaskQueue (src/app/redis-queue.ts) keeps tasks in Redis and shares them between replicas.
 */
export interface TaskQueue {
  /** Starts handing tasks to `runner`; failures are logged to `log`. */
  start(runner: TaskRunner, log: Logger): void;
  /** Queues a task; resolves once it is stored (the webhook is answered after that). */
  add(task: Task, id?: string): Promise<void>;
  /** Resolves when nothing waits or runs (tests and graceful shutdown). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Delivery ids remembered by the in-process queue to ignore a replayed delivery. */
const SEEN_IDS = 10_000;

/** The in-process queue: tasks live in memory, so a restart or a crash loses what waits or runs. */
export class InProcessTaskQueue implements TaskQueue {
  private readonly lanes: ReviewQueue;
  private readonly seen = new Set<string>();
  private runner?: TaskRunner;
  private log?: Logger;

  constructor(concurrency: number) {
    this.lanes = new ReviewQueue(concurrency, (error, key) => this.log?.error({ err: error }, `drillbot: task of ${key} failed`));
  }

  start(runner: TaskRunner, log: Logger): void {
    this.runner = runner;
    this.log = log;
  }

  async add(task: Task, id?: string): Promise<void> {
    const runner = this.runner;
    if (!runner) throw new Error('the task queue has not been started');
    if (id !== undefined) {
      if (this.seen.has(id)) return;
      this.seen.add(id);
      if (this.seen.size > SEEN_IDS) this.seen.delete(this.seen.values().next().value!);
    }
    if (task.kind !== 'review') return this.lanes.run(() => runner.run(task, new AbortController().signal));
    // The head check calls the API, so it runs in the background too; only a current review supersedes.
    this.lanes.run(async () => {
      if (await runner.isStale(task)) return;
      this.lanes.enqueue(jobKey(task.target), (signal) => runner.run(task, signal), {
        supersede: task.supersede ?? true,
        reason: new Superseded(task.target.headSha),
      });
    });
  }

  idle(): Promise<void> {
    return this.lanes.idle();
  }

  close(): Promise<void> {
    return this.lanes.idle();
  }
}
