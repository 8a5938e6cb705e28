import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ClonePool, defaultCacheDir, type DrillbotConfig, type PoolWant, type ShadowServer } from '../core/index.js';

/** Bump when a hint's meaning changes. */
const HINT_FORMAT = 1;

/** A clone primed from the last review of the same base; finish() records what this review wanted and drops what it did not take. */
export interface PrimedClone {
  readonly pool: ClonePool;
  finish(): Promise<void>;
}

/**
 * The template a review wants is known only once the base history is read and keyed, after git
 * and the layouts: about as long as the clone takes (~0.3 s on Lemmy's base). A review of a base
 * already reviewed with the same configuration wants the same template, so its clone starts as
 * soon as the shadow answers, from a hint the last such review left in the cache directory. The
 * hint only predicts: the drill takes the clone when it wants exactly that template (cache key,
 * role caps, the template's oid), and a stale hint costs one unused clone, dropped at the end.
 */
export function primeFromHint(
  starting: Promise<ShadowServer>,
  base: string,
  config: DrillbotConfig,
  version: string,
  cacheDir = defaultCacheDir(),
): PrimedClone {
  const pool = new ClonePool({ size: 1, refill: false });
  const file = path.join(cacheDir, 'template-hints', `${hintKey(base, config, version)}.json`);
  void Promise.all([starting, readHint(file)]).then(
    ([server, want]) => want && pool.prime(server, want),
    () => undefined,
  );
  return {
    pool,
    async finish() {
      const server = await starting.catch(() => null);
      const wanted = server ? pool.wantedOn(server) : [];
      await pool.close();
      if (wanted.length === 1) await writeHint(file, wanted[0]);
    },
  };
}

/** The base commit and everything of the configuration (the layout, the setup, the caps of the clone's role). */
function hintKey(base: string, config: DrillbotConfig, version: string): string {
  return createHash('sha256')
    .update(JSON.stringify([HINT_FORMAT, version, base, config.migrations, config.shadow]))
    .digest('hex');
}

async function readHint(file: string): Promise<PoolWant | null> {
  try {
    const want = JSON.parse(await readFile(file, 'utf8')) as Partial<PoolWant>;
    const caps = want.caps;
    const valid =
      typeof want.template === 'string' &&
      typeof want.key === 'string' &&
      typeof caps?.maxTempFiles === 'number' &&
      typeof caps.statementTimeoutMs === 'number';
    return valid ? (want as PoolWant) : null;
  } catch {
    return null; // no hint (first review of this base) or an unreadable one: the review clones as before
  }
}

/**
 * Hints kept: one is written per base commit and configuration reviewed, and the server keeps only
 * a few templates anyway, so the most recently written ones are all that can still be right.
 */
export const MAX_HINTS = 200;

/** A cache directory that cannot be written only costs the next review its head start. */
async function writeHint(file: string, want: PoolWant): Promise<void> {
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(want));
    await pruneHints(path.dirname(file));
  } catch {
    // nothing to do
  }
}

/** Removes all but the MAX_HINTS most recently written hints (a hint another process removes meanwhile is skipped). */
async function pruneHints(dir: string): Promise<void> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.json'));
  if (names.length <= MAX_HINTS) return;
  const written = await Promise.all(names.map(async (name) => ({ name, at: (await stat(path.join(dir, name)).catch(() => null))?.mtimeMs ?? 0 })));
  written.sort((a, b) => b.at - a.at);
  await Promise.all(written.slice(MAX_HINTS).map(({ name }) => rm(path.join(dir, name), { force: true })));
}
