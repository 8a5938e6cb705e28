import { DrillTimeoutError } from './errors.js';

/**
 * How long each step of ending work from outside may take (connecting an admin session, a cancel,
 * a terminate, a drop, closing a client): a server that answers nothing must not hold the review
 * past its limit by more than a few of these.
 */
export const CLEANUP_STEP_MS = 2_000;
/** The most that all cleanup at a limit may add to it, whatever it consists of. */
const CLEANUP_MAX_MS = 5 * CLEANUP_STEP_MS;

/**
 * The review's one time limit (`shadow.timeout`, or a cancellation such as a newer push), shared by
 * the drill and the proof drill of the reviewer step. Work that must be undone when it passes
 * (databases to drop, connections to close) registers with `onExpiry`; `race` ends a piece of work
 * at the limit, once that cleanup has run, each cleanup bounded by CLEANUP_STEP_MS steps.
 */
export class Deadline {
  readonly signal: AbortSignal;
  private readonly cleanups: Array<() => Promise<void>> = [];
  private cleaned?: Promise<void>;
  private over = false;

  constructor(
    readonly limitMs: number,
    private readonly cancel?: AbortSignal,
  ) {
    const timeout = AbortSignal.timeout(limitMs);
    this.signal = cancel ? AbortSignal.any([timeout, cancel]) : timeout;
    this.signal.addEventListener('abort', () => void this.cleanUp(), { once: true });
  }

  get passed(): boolean {
    return this.signal.aborted;
  }

  /** Registers cleanup for the limit; it runs at once when the limit has already passed. */
  onExpiry(cleanup: () => Promise<void>): void {
    if (this.over) return;
    this.cleanups.push(cleanup);
    if (this.passed) void this.cleanUp();
  }

  /** `work`, or a DrillTimeoutError once the limit passed and the cleanup registered so far has run. */
  race<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onAbort = () =>
        void bounded(this.cleanUp(), CLEANUP_MAX_MS, 'the cleanup at the time limit')
          .finally(() => reject(this.error()))
          .catch(() => undefined);
      if (this.passed) onAbort();
      else this.signal.addEventListener('abort', onAbort, { once: true });
      // Past the limit, the work's own end (often the error of a connection the cleanup closed) no longer counts.
      const settle = (end: () => void) => {
        this.signal.removeEventListener('abort', onAbort);
        if (!this.passed) end();
      };
      work.then(
        (value) => settle(() => resolve(value)),
        (error) => settle(() => reject(error)),
      );
    });
  }

  /** The work under this limit is over (and cleaned up by its own means): nothing registered runs any more. */
  done(): void {
    this.over = true;
    this.cleanups.length = 0;
  }

  /** Why the work ended: the limit, or the cancellation. */
  error(): DrillTimeoutError {
    return new DrillTimeoutError(
      this.cancel?.aborted
        ? 'the review was cancelled before the drill finished'
        : `the drill did not finish within its time limit (${Math.round(this.limitMs / 1000)} s; shadow.timeout)`,
    );
  }

  /** Runs every registered cleanup once (later registrations too), never rejecting. */
  private cleanUp(): Promise<void> {
    const pending = this.cleanups.splice(0);
    const run = Promise.all(pending.map((c) => c().catch(() => undefined))).then(() => undefined);
    this.cleaned = this.cleaned ? Promise.all([this.cleaned, run]).then(() => undefined) : run;
    return this.cleaned;
  }
}

/** `work`, or a rejection after `ms`: for awaits on a server that may never answer. The work itself is not stopped. */
export function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DrillTimeoutError(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
