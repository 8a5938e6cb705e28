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

  /** Runs short work (command replies) outside the review slots, but counted by idle(). */
  run(task: () => Promise<void>): void {
    const promise: Promise<void> = Promise.resolve()
      .then(task)
      .catch((error) => this.onError(error, 'background'))
      .finally(() => {
        this.background.delete(promise);
        this.settle();
      });
    this.background.add(promise);
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
