import { ProbotOctokit } from 'probot';

/** The installation-authenticated client Probot gives each event (`context.octokit`). */
export type Octokit = InstanceType<typeof ProbotOctokit>;

/** owner/repo of a repository. */
export interface RepoRef {
  readonly owner: string;
  readonly repo: string;
}

/** The status of a failed Octokit request, if it is one. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

function headerOf(error: unknown, name: string): string | undefined {
  const value = (error as { response?: { headers?: Record<string, unknown> } } | null)?.response?.headers?.[name];
  return value === undefined || value === null ? undefined : String(value);
}

/**
 * Whether a failed request may succeed later: a server error (Octokit reports a network failure
 * as 500 too), 429, or a 403 that is a rate limit (secondary, or the primary quota used up).
 * Anything else (404, 422, a bug) fails the same way again.
 */
export function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  if (status === undefined) return false;
  if (status >= 500 || status === 429) return true;
  return status === 403 && (/\bsecondary rate\b/i.test(String((error as Error).message)) || headerOf(error, 'x-ratelimit-remaining') === '0');
}

/** The wait GitHub asked for with `retry-after`, in seconds. */
function retryAfterOf(error: unknown): number | undefined {
  const raw = headerOf(error, 'retry-after');
  const seconds = raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/** How long Drillbot keeps retrying a GitHub write it must not lose (check-run creation and completion). */
export interface RetryPolicy {
  /** Give up once the next attempt would start later than this after the first. */
  readonly deadlineMs: number;
  /** First back-off; it doubles per attempt up to `maxDelayMs`. A longer `retry-after` wins. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** One second of `retry-after` (1000; tests shrink it, as the plugins' `retryAfterBaseValue`). */
  readonly retryAfterUnitMs?: number;
}

/** Survives an outage of a few minutes: waits 2, 4, 8, 16, 30, 30… s, for at most 5 minutes. */
export const WRITE_RETRY: RetryPolicy = { deadlineMs: 5 * 60_000, baseDelayMs: 2_000, maxDelayMs: 30_000 };

/**
 * Runs `attempt` until it succeeds, a non-transient error occurs, or the policy's deadline would
 * pass. Meant for whole idempotent steps (look up, then write), not single requests: the Octokit
 * plugins already retry single requests a few times within seconds.
 */
export async function withRetries<T>(
  what: string,
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  log?: { warn: (obj: object, msg: string) => void },
): Promise<T> {
  const started = Date.now();
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      const wait = Math.max(Math.min(policy.baseDelayMs * 2 ** n, policy.maxDelayMs), (retryAfterOf(error) ?? 0) * (policy.retryAfterUnitMs ?? 1000));
      if (!isTransient(error) || Date.now() + wait - started > policy.deadlineMs) throw error;
      log?.warn({ err: error }, `drillbot: ${what} failed (${statusOf(error)}); retrying in ${wait} ms`);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/** Bounds of the Octokit plugins' own retries (per request). */
export interface OctokitRetryOptions {
  /** Retries of a request answered 5xx (@octokit/plugin-retry; quadratic back-off: 1, 4, 9 × base). */
  readonly retries: number;
  /** Retries after a rate limit (@octokit/plugin-throttling waits `retry-after`). */
  readonly rateLimitRetries: number;
  /** A rate limit asking for a longer wait is not waited for here: the caller's own retry or the sweep takes over. */
  readonly maxRetryAfterS: number;
  /** One unit of both plugins' delays (1000: seconds); tests shrink it. */
  readonly retryAfterBaseMs: number;
}

export const OCTOKIT_RETRY: OctokitRetryOptions = { retries: 3, rateLimitRetries: 3, maxRetryAfterS: 120, retryAfterBaseMs: 1000 };

type LimitHandler = (
  retryAfter: number,
  options: { method: string; url: string },
  octokit: { log: { warn: (msg: string) => void } },
  retryCount: number,
) => boolean;

/**
 * Probot's Octokit with its bundled retry and throttling plugins configured (pass it as Probot's
 * `Octokit` option). Probot's defaults never retry a secondary rate limit, and plugin-retry
 * retries a 429 without reading `retry-after`; here 429s are left to the throttling plugin
 * (which waits `retry-after`, for a bounded number of times) and to Drillbot's own retries.
 */
export function drillbotOctokit(opts: OctokitRetryOptions = OCTOKIT_RETRY): typeof ProbotOctokit {
  const limited =
    (kind: string): LimitHandler =>
    (retryAfter, options, octokit, retryCount) => {
      const retry = retryCount < opts.rateLimitRetries && retryAfter <= opts.maxRetryAfterS;
      octokit.log.warn(`${kind} on "${options.method} ${options.url}": ${retry ? `retrying in ${retryAfter} s` : 'giving up'}`);
      return retry;
    };
  return ProbotOctokit.defaults((instance: { throttle?: object }) => ({
    ...instance,
    retry: { retries: opts.retries, retryAfterBaseValue: opts.retryAfterBaseMs, doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
    throttle: {
      ...instance.throttle,
      retryAfterBaseValue: opts.retryAfterBaseMs,
      onRateLimit: limited('rate limit'),
      onSecondaryRateLimit: limited('secondary rate limit'),
    },
  }));
}
