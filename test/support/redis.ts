import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis of the tests (a real one: the queue's Lua scripts and BullMQ run against it). */
export const TEST_REDIS_URL = process.env.DRILLBOT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other test run uses, so runs never collide. */
export const uniquePrefix = (what: string) => `drillbot-test-${what}-${randomUUID().slice(0, 8)}`;

/** Deletes every key under `prefix` (BullMQ's and Drillbot's own). */
export async function dropPrefix(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
