import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { defaultCacheDir } from '../drill/providers/embedded.js';

/** Where validated model answers are kept, by content hash: a re-run without changes makes no call. */
export interface ReviewerCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

/** The content hash of everything that decides an answer: model, prompt and schema. */
export function cacheKey(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** A cache in memory (tests, and the App when it keeps its own). */
export function memoryCache(): ReviewerCache & { readonly entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return { entries, get: async (key) => entries.get(key), set: async (key, value) => void entries.set(key, value) };
}

/**
 * A cache of files under `<Drillbot cache dir>/reviewer/` ($DRILLBOT_CACHE_DIR, else
 * $XDG_CACHE_HOME/drillbot or ~/.cache/drillbot). A file that cannot be read or written is a miss,
 * never a failure: the cache only saves calls.
 */
export function diskCache(dir = path.join(defaultCacheDir(), 'reviewer')): ReviewerCache {
  const file = (key: string) => path.join(dir, `${key.replace(/[^a-f0-9]/g, '')}.json`);
  return {
    async get(key) {
      return readFile(file(key), 'utf8').catch(() => undefined);
    },
    async set(key, value) {
      try {
        await mkdir(dir, { recursive: true });
        // Write then rename, so a concurrent review never reads half a file.
        const temporary = `${file(key)}.${process.pid}.tmp`;
        await writeFile(temporary, value);
        await rename(temporary, file(key));
      } catch {
        // A read-only or full cache dir costs a call next time, nothing more.
      }
    },
  };
}
