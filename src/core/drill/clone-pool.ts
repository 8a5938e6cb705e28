import { createDatabase, dropDatabase, templateIdentity, uniqueDatabaseName, type RoleCaps, type ShadowDatabase } from './databases.js';
import type { ShadowServer } from './providers/provider.js';

/**
 * Ready clones of base templates, made after a drill so that the next review of the same base
 * starts with its database waiting instead of paying the CREATE DATABASE … TEMPLATE copy (about
 * 0.3-0.7 s on Lemmy's base), where the server outlives a review (the App keeps it running). The
 * CLI primes one clone of the template its last review of the same base used, while it reads the
 * change (see src/cli/template-hint.ts), and refills none.
 *
 * A pooled clone is an ordinary shadow database (databases.ts) named `drillbot_pool_<time>_<random>`,
 * with its own role that no SQL has used yet, whose password only this process knows. A review's
 * guard adopts it, so from then on it is watched, capped and dropped like any of the drill's
 * databases; one a killed process left behind is dropped by the leak sweeper like any other,
 * since its name carries its creation time.
 */

/** How long a clone waits before it is discarded: well below the leak sweeper's hour, so it never sweeps a live one. */
export const POOL_MAX_AGE_MS = 25 * 60_000;

/** Which clones a review may take: of that template (by cache key) with the same role caps. */
export interface PoolWant {
  readonly template: string;
  readonly key: string;
  readonly caps: RoleCaps;
}

interface Clone {
  readonly database: ShadowDatabase;
  /** The template's oid when the clone was made: a template rebuilt since (evicted, made again) is another one. */
  readonly templateOid: number;
  readonly bornAt: number;
  readonly expiry: NodeJS.Timeout;
}

export interface ClonePoolOptions {
  /** Clones kept ready per base template (DRILLBOT_POOL_SIZE, default 1); 0 keeps none. */
  readonly size: number;
  readonly maxAgeMs?: number;
  /** False: no clones are made after a drill, only those prime() asks for (the CLI: its process ends with the review). */
  readonly refill?: boolean;
}

/** The clones of one template on one server, those being made, and the primes under way (from their template's lookup on). */
interface Slot {
  readonly ready: Clone[];
  readonly filling: Set<Promise<unknown>>;
  readonly priming: Set<Promise<unknown>>;
}

export class ClonePool {
  readonly size: number;
  private readonly maxAgeMs: number;
  private readonly refills: boolean;
  /** By server (the App keeps one running per provider), then by what the clones are (wantKey). */
  private readonly slots = new Map<ShadowServer, Map<string, Slot>>();
  /** What reviews on each server wanted, for the refills. */
  private readonly wanted = new Map<ShadowServer, Map<string, PoolWant>>();
  /** Fills and discards under way, so close() can wait for them. */
  private readonly work = new Set<Promise<void>>();
  private closed = false;

  constructor(opts: ClonePoolOptions) {
    if (!Number.isInteger(opts.size) || opts.size < 0) throw new Error(`the clone pool's size must be a non-negative integer, not ${opts.size}`);
    this.size = opts.size;
    this.maxAgeMs = opts.maxAgeMs ?? POOL_MAX_AGE_MS;
    this.refills = opts.refill ?? true;
  }

  /**
   * A ready clone of `template` (one being made is waited for: a second copy would compete with it
   * for the disk), or null. Taken only while the template on the server is still the one it was
   * cloned from (same oid, same cache key); clones of an older template, or too old, are discarded.
   * The caller's guard adopts the clone at once. The template is remembered, so the next refill
   * makes another.
   */
  async take(server: ShadowServer, template: string, key: string, caps: RoleCaps): Promise<ShadowDatabase | null> {
    if (this.size === 0 || this.closed) return null;
    const want: PoolWant = { template, key, caps };
    mapOf(this.wanted, server).set(wantKey(want), want);
    const slot = this.slotOf(server, want);
    if (slot.ready.length === 0) await Promise.allSettled([...slot.filling, ...slot.priming]);
    if (slot.ready.length === 0) return null;
    const identity = await templateIdentity(server, template);
    // From here on synchronous: two reviews never take the same clone.
    const now = Date.now();
    while (slot.ready.length > 0) {
      const clone = slot.ready.shift()!;
      clearTimeout(clone.expiry);
      if (identity?.key === key && clone.templateOid === identity.oid && now - clone.bornAt < this.maxAgeMs) return clone.database;
      this.track(dropDatabase(server, clone.database.name));
    }
    return null;
  }

  /**
   * After a drill: tops up, in the background, the clones of every template that reviews on this
   * server wanted. A failure only means that a later review clones the template itself.
   */
  refill(server: ShadowServer): void {
    if (this.size === 0 || this.closed || !this.refills) return;
    for (const want of mapOf(this.wanted, server).values()) this.track(this.fill(server, want));
  }

  /** Starts making the clones of a template a review is expected to want, before it asks. */
  prime(server: ShadowServer, want: PoolWant): void {
    if (this.size === 0 || this.closed) return;
    const { priming } = this.slotOf(server, want);
    const filled = this.fill(server, want);
    priming.add(filled);
    this.track(filled.finally(() => priming.delete(filled)));
  }

  /** What the reviews on this server asked for (take). */
  wantedOn(server: ShadowServer): PoolWant[] {
    return [...mapOf(this.wanted, server).values()];
  }

  /** Resolves when no fill or discard is under way (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.work.size > 0) await Promise.all([...this.work]);
  }

  /** Makes no more clones and drops the ready ones. */
  async close(): Promise<void> {
    this.closed = true;
    await this.settled();
    for (const [server, slots] of this.slots) {
      for (const slot of slots.values()) {
        for (const clone of slot.ready.splice(0)) {
          clearTimeout(clone.expiry);
          await dropDatabase(server, clone.database.name);
        }
      }
    }
  }

  private async fill(server: ShadowServer, want: PoolWant): Promise<void> {
    const identity = await templateIdentity(server, want.template);
    if (identity?.key !== want.key) return; // evicted meanwhile: the next review builds it again
    const slot = this.slotOf(server, want);
    // Counted before the copy, so two refills at once do not both top up.
    while (slot.ready.length + slot.filling.size < this.size && !this.closed) {
      // Ready once pushed: a take() waiting on it then finds the clone.
      const making = createDatabase(server, uniqueDatabaseName('pool'), { template: want.template, caps: want.caps }).then((database) => {
        slot.ready.push({ database, templateOid: identity.oid, bornAt: Date.now(), expiry: this.expire(server, slot, database) });
      });
      slot.filling.add(making);
      try {
        await making;
      } finally {
        slot.filling.delete(making);
      }
    }
  }

  /** Discards a clone nobody took within maxAgeMs; the timer does not keep the process alive. */
  private expire(server: ShadowServer, slot: Slot, database: ShadowDatabase): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const at = slot.ready.findIndex((c) => c.database.name === database.name);
      if (at < 0) return;
      slot.ready.splice(at, 1);
      this.track(dropDatabase(server, database.name));
    }, this.maxAgeMs);
    timer.unref();
    return timer;
  }

  private track(promise: Promise<void>): void {
    const tracked: Promise<void> = promise.catch(() => undefined).finally(() => this.work.delete(tracked));
    this.work.add(tracked);
  }

  private slotOf(server: ShadowServer, want: PoolWant): Slot {
    const slots = mapOf(this.slots, server);
    let slot = slots.get(wantKey(want));
    if (!slot) slots.set(wantKey(want), (slot = { ready: [], filling: new Set(), priming: new Set() }));
    return slot;
  }
}

function mapOf<V>(maps: Map<ShadowServer, Map<string, V>>, server: ShadowServer): Map<string, V> {
  let map = maps.get(server);
  if (!map) maps.set(server, (map = new Map()));
  return map;
}

const wantKey = (want: PoolWant) => `${want.key}\0${want.caps.maxTempFiles}\0${want.caps.statementTimeoutMs}`;
