import {
  ClonePool,
  createProvider,
  keepRunning,
  parseDuration,
  review,
  type ChangeSet,
  type DrillbotConfig,
  type KeptProvider,
  type ProviderKind,
  type Report,
  type ReviewOptions,
  type ShadowProvider,
} from '../core/index.js';
import { MemoryAckStore, type AckStore } from './acks.js';
import type { Hunk } from './diff.js';
import { WRITE_RETRY, type RetryPolicy } from './github/octokit.js';
import { InProcessTaskQueue, type TaskQueue } from './queue.js';
import { RedisAckStore, RedisConnection, RedisTaskQueue, type RedisOptions } from './redis-queue.js';

/** The engine as the app sees it: a ChangeSet and a configuration in, a Report out. */
export interface Engine {
  review(input: {
    changeSet: ChangeSet;
    config: DrillbotConfig;
    tableSizes?: ReviewOptions['tableSizes'];
    baseline?: ReviewOptions['baseline'];
    queries?: ReviewOptions['queries'];
    onProgress: (message: string) => void;
    signal?: AbortSignal;
  }): Promise<Report>;
  /** Stops what the engine keeps between reviews (shadow servers, ready clones): the app's shutdown. */
  close?(): Promise<void>;
}

/** Everything the handlers need besides the event; tests inject fakes. */
export interface AppDeps {
  readonly engine: Engine;
  /** In-process by default; BullMQ on Redis with DRILLBOT_REDIS_URL. */
  readonly queue: TaskQueue;
  /** The app's id, to recognise its own check runs and comments (APP_ID). */
  readonly appId: number | undefined;
  readonly now: () => Date;
  /**
   * Raw reports by pull request and head SHA, so an ack re-evaluates without a second drill. Per
   * replica, also with Redis: a replica without the report (restarted, or not the one that
   * drilled) drills again.
   */
  readonly reports: ReportCache;
  /** Where rule docs live (`docs/rules/<id>.md`). */
  readonly docsDir: URL;
  /** Acks given by command and not yet written to the sticky comment (in Redis with the durable queue). */
  readonly pendingAcks: AckStore;
  /**
   * The sweep completing abandoned check runs, at start and then periodically; null: off (handler
   * tests). It judges by age (DRILLBOT_SWEEP_STALE_AFTER), so a run another replica drills is safe.
   */
  readonly sweep: SweepOptions | null;
  /** Check runs of the reviews running in this process: the sweep never completes them. */
  readonly activeChecks: Set<number>;
  /** How long check-run creation and completion are retried through a GitHub outage. */
  readonly retry: RetryPolicy;
  /**
   * The sticky summary comment (DRILLBOT_SUMMARY_COMMENT): `always` (default), or `acks-only`:
   * written only once it has acknowledgements to store, since they live in it.
   */
  readonly summaryComment: 'always' | 'acks-only';
}

/** When the sweep runs and which in-progress Drillbot check runs it takes for abandoned. */
export interface SweepOptions {
  /** Time between two sweeps (the first runs at start). */
  readonly intervalMs: number;
  /**
   * A run not owned by a review of this process is abandoned once started this long ago. It must
   * exceed the longest review (shadow.timeout, 15 minutes by default, plus the GitHub retries),
   * so that a sweep never completes the run of a review that another replica is still running.
   */
  readonly staleAfterMs: number;
  /** Stops the periodic sweep (tests; the process otherwise ends with it). */
  readonly signal?: AbortSignal;
}

/** A drilled report (before user acknowledgements) and what publishing it needs. */
export interface CachedReview {
  readonly report: Report;
  readonly root: string;
  readonly baseSha: string;
  /** Head-side contents of the migration files, by path. */
  readonly files: ReadonlyMap<string, string>;
  /** Commentable lines of the diff, by path. */
  readonly hunks: ReadonlyMap<string, Hunk[]>;
  readonly filesTruncated: boolean;
}

/** A small LRU of the last reports, keyed by repo#pr@sha. */
export class ReportCache {
  private readonly entries = new Map<string, CachedReview>();
  constructor(private readonly capacity = 50) {}
  get(key: string): CachedReview | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }
  set(key: string, value: CachedReview): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}

const PROVIDER_KINDS: readonly ProviderKind[] = ['embedded', 'url', 'testcontainers'];

/**
 * The production engine: the shadow provider comes from the server's environment
 * (DRILLBOT_PROVIDER, DRILLBOT_DATABASE_URL), which outranks the repository's shadow.provider:
 * the operator, not a repository, decides where untrusted SQL runs. Its server keeps running
 * between reviews, with DRILLBOT_POOL_SIZE ready clones of each base template reviews used, so
 * that a review starts with its database waiting.
 */
export function defaultEngine(env: NodeJS.ProcessEnv = process.env): Engine {
  const providers = new Map<ProviderKind, KeptProvider>();
  const pool = new ClonePool({ size: poolSizeFrom(env) });
  const fromEnv = env.DRILLBOT_PROVIDER;
  if (fromEnv !== undefined && !PROVIDER_KINDS.includes(fromEnv as ProviderKind)) {
    throw new Error(`DRILLBOT_PROVIDER must be one of ${PROVIDER_KINDS.join(', ')}, not "${fromEnv}"`);
  }
  const providerFor = (config: DrillbotConfig): ShadowProvider => {
    const kind = (fromEnv as ProviderKind | undefined) ?? (env.DRILLBOT_DATABASE_URL ? 'url' : (config.shadow.provider ?? 'embedded'));
    let provider = providers.get(kind);
    if (!provider) {
      provider = keepRunning(createProvider({ kind, env }));
      providers.set(kind, provider);
    }
    return provider;
  };
  return {
    async review({ changeSet, config, tableSizes, baseline, queries, onProgress, signal }) {
      return review({ changeSet, config, tableSizes, baseline, queries, provider: providerFor(config), pool, onProgress, signal });
    },
    async close() {
      await pool.close();
      await Promise.all([...providers.values()].map((p) => p.stop()));
    },
  };
}

/** DRILLBOT_POOL_SIZE (default 1): ready clones kept per base template; 0 keeps none. */
export function poolSizeFrom(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.DRILLBOT_POOL_SIZE;
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`DRILLBOT_POOL_SIZE must be a non-negative integer, not "${raw}"`);
  return n;
}

/** DRILLBOT_CONCURRENCY (default 2): reviews that may drill at the same time. */
export function concurrencyFrom(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.DRILLBOT_CONCURRENCY;
  if (raw === undefined || raw === '') return 2;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`DRILLBOT_CONCURRENCY must be a positive integer, not "${raw}"`);
  return n;
}

/** DRILLBOT_SUMMARY_COMMENT: always (default) or acks-only. */
export function summaryCommentFrom(env: NodeJS.ProcessEnv = process.env): AppDeps['summaryComment'] {
  const raw = env.DRILLBOT_SUMMARY_COMMENT;
  if (raw === undefined || raw === '' || raw === 'always') return 'always';
  if (raw === 'acks-only') return 'acks-only';
  throw new Error(`DRILLBOT_SUMMARY_COMMENT must be "always" or "acks-only", not "${raw}"`);
}

/** DRILLBOT_SWEEP_INTERVAL (default 5m) and DRILLBOT_SWEEP_STALE_AFTER (default 1h), as durations (30s, 5m, 1h). */
export function sweepFrom(env: NodeJS.ProcessEnv = process.env): SweepOptions {
  const read = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const ms = parseDuration(raw);
    if (ms === null) throw new Error(`${name} must be a duration such as 30s, 5m or 1h, not "${raw}"`);
    return ms;
  };
  return { intervalMs: read('DRILLBOT_SWEEP_INTERVAL', 5 * 60_000), staleAfterMs: read('DRILLBOT_SWEEP_STALE_AFTER', 60 * 60_000) };
}

/**
 * DRILLBOT_REDIS_URL turns on the durable queue (not REDIS_URL: Probot reads that one to share its
 * GitHub rate limiter between replicas). DRILLBOT_REDIS_PREFIX (default `drillbot`) prefixes every
 * key; DRILLBOT_QUEUE_LOCK_MS (default 30000) is how long a dead replica's locks outlive it.
 */
export function redisOptionsFrom(env: NodeJS.ProcessEnv = process.env): RedisOptions | undefined {
  const url = env.DRILLBOT_REDIS_URL;
  if (!url) return undefined;
  const lockMs = env.DRILLBOT_QUEUE_LOCK_MS ? Number(env.DRILLBOT_QUEUE_LOCK_MS) : 30_000;
  if (!Number.isInteger(lockMs) || lockMs < 1000)
    throw new Error(`DRILLBOT_QUEUE_LOCK_MS must be an integer of at least 1000, not "${env.DRILLBOT_QUEUE_LOCK_MS}"`);
  return { url, prefix: env.DRILLBOT_REDIS_PREFIX || 'drillbot', concurrency: concurrencyFrom(env), lockMs, attempts: 3, backoffMs: 5_000 };
}

/** The queue and the pending-ack store: in-process, or in Redis when it is configured. */
export function queueDeps(env: NodeJS.ProcessEnv = process.env): Pick<AppDeps, 'queue' | 'pendingAcks'> {
  const redis = redisOptionsFrom(env);
  if (!redis) return { queue: new InProcessTaskQueue(concurrencyFrom(env)), pendingAcks: new MemoryAckStore() };
  const connection = new RedisConnection(redis);
  return { queue: new RedisTaskQueue(connection), pendingAcks: new RedisAckStore(connection) };
}

/** Production dependencies, read from the environment. */
export function defaultDeps(env: NodeJS.ProcessEnv = process.env): AppDeps {
  return {
    engine: defaultEngine(env),
    ...queueDeps(env),
    appId: env.APP_ID && /^\d+$/.test(env.APP_ID) ? Number(env.APP_ID) : undefined,
    now: () => new Date(),
    reports: new ReportCache(),
    docsDir: new URL('../../docs/rules/', import.meta.url),
    sweep: sweepFrom(env),
    activeChecks: new Set(),
    retry: WRITE_RETRY,
    summaryComment: summaryCommentFrom(env),
  };
}
