import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ShadowStartError, redact } from '../../errors.js';
import type { ShadowProvider } from './provider.js';
import { endpointFromUrl, messageOf, openServer } from './url.js';

/**
 * Runs `postgres:<major>` in a container through @testcontainers/postgresql. Docker is probed
 * first, with a short timeout, so a machine without an engine gets one clear message instead of
 * testcontainers' strategy-by-strategy failure.
 */

const DEFAULT_PG_MAJOR = 16;
const DEFAULT_PROBE_TIMEOUT_MS = 3_000;

/** Options of the testcontainers provider. */
export interface TestcontainersProviderOptions {
  /** How long the container runtime may take to answer the probe. */
  probeTimeoutMs?: number;
}

/** The result of looking for a container runtime. */
export type RuntimeProbe = { ok: true; where: string } | { ok: false; tried: string[] };

/** Starts PostgreSQL `pgMajor` (default 16) in a container; needs a Docker-compatible engine. */
export function createTestcontainersProvider(opts: TestcontainersProviderOptions = {}): ShadowProvider {
  return {
    kind: 'testcontainers',
    async start({ pgMajor = DEFAULT_PG_MAJOR, signal }) {
      signal.throwIfAborted();
      const probe = await probeContainerRuntime(opts.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS);
      if (!probe.ok) throw noEngineError(probe.tried);
      const container = await startContainer(pgMajor, signal);
      try {
        const endpoint = { ...endpointFromUrl(container.getConnectionUri()), label: `container postgres:${pgMajor}` };
        return await openServer(endpoint, { signal, onClose: async () => void (await container.stop()) });
      } catch (error) {
        await container.stop().catch(() => undefined);
        throw error;
      }
    },
  };
}

function noEngineError(tried: string[]): ShadowStartError {
  return new ShadowStartError(
    `No Docker engine answered (${tried.join('; ')}); use --provider embedded (default, no setup) ` +
      'or --database-url postgres://… to use an existing server',
  );
}

interface StartedContainer {
  getConnectionUri(): string;
  stop(): Promise<unknown>;
}

async function startContainer(pgMajor: number, signal: AbortSignal): Promise<StartedContainer> {
  let lib: typeof import('@testcontainers/postgresql');
  try {
    lib = await import('@testcontainers/postgresql');
  } catch (error) {
    throw new ShadowStartError(
      `Docker answered, but @testcontainers/postgresql does not load on Node ${process.version}: ${messageOf(error)}`,
      { cause: error },
    );
  }
  const starting = new lib.PostgreSqlContainer(`postgres:${pgMajor}`)
    .withUsername('postgres')
    .withPassword(randomBytes(18).toString('hex'))
    .withDatabase('postgres')
    .start();
  try {
    return await abortable(starting, signal);
  } catch (error) {
    // An aborted start may still finish: stop that container instead of leaking it.
    void starting.then((c) => c.stop()).catch(() => undefined);
    throw new ShadowStartError(`Could not start the container postgres:${pgMajor}: ${redact(messageOf(error))}`, { cause: error });
  }
}

async function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Looks for a container runtime that answers. testcontainers' own discovery
 * (getContainerRuntimeClient: DOCKER_HOST, ~/.testcontainers.properties, sockets) is preferred;
 * when the library does not load (testcontainers 12 pulls undici 8, which needs Node 22), the
 * usual sockets and DOCKER_HOST are pinged directly.
 */
export async function probeContainerRuntime(timeoutMs: number): Promise<RuntimeProbe> {
  const viaLibrary = await probeWithTestcontainers(timeoutMs);
  if (viaLibrary) return viaLibrary;
  return probeSockets(timeoutMs);
}

async function probeWithTestcontainers(timeoutMs: number): Promise<RuntimeProbe | null> {
  let getClient: (() => Promise<{ info: { containerRuntime: { host: string } } }>) | undefined;
  try {
    const lib = (await import('testcontainers')) as typeof import('testcontainers') & { default?: typeof import('testcontainers') };
    getClient = lib.getContainerRuntimeClient ?? lib.default?.getContainerRuntimeClient;
  } catch {
    return null; // the library does not load here; probeSockets decides instead
  }
  if (!getClient) return null;
  try {
    const client = await withTimeout(getClient(), timeoutMs);
    return { ok: true, where: client.info.containerRuntime.host };
  } catch (error) {
    return { ok: false, tried: [`testcontainers: ${messageOf(error)}`] };
  }
}

async function probeSockets(timeoutMs: number): Promise<RuntimeProbe> {
  const failures = new Map<string, string[]>();
  for (const target of runtimeCandidates()) {
    const outcome = await pingTarget(target, timeoutMs);
    if (outcome === 'answered') return { ok: true, where: target };
    failures.set(outcome, [...(failures.get(outcome) ?? []), target]);
  }
  const tried = [...failures].map(([outcome, targets]) =>
    targets.length === 1 ? `${targets[0]}: ${outcome}` : `${outcome} at ${targets.join(', ')}`,
  );
  return { ok: false, tried };
}

/** DOCKER_HOST when set (docker itself then looks nowhere else), else the usual sockets. */
function runtimeCandidates(): string[] {
  if (process.env.DOCKER_HOST) return [process.env.DOCKER_HOST];
  const runtimeDir = process.env.XDG_RUNTIME_DIR ?? (process.getuid ? `/run/user/${process.getuid()}` : undefined);
  const sockets = [
    '/var/run/docker.sock',
    runtimeDir && path.join(runtimeDir, 'docker.sock'),
    runtimeDir && path.join(runtimeDir, 'podman', 'podman.sock'),
    path.join(os.homedir(), '.docker', 'run', 'docker.sock'),
    path.join(os.homedir(), '.docker', 'desktop', 'docker.sock'),
    path.join(os.homedir(), '.colima', 'default', 'docker.sock'),
  ].filter((s): s is string => Boolean(s));
  return [...new Set(sockets)].map((s) => `unix://${s}`);
}

type PingOutcome = 'answered' | string;

async function pingTarget(target: string, timeoutMs: number): Promise<PingOutcome> {
  if (target.startsWith('unix://')) {
    const socketPath = target.slice('unix://'.length);
    if (!existsSync(socketPath)) return 'no socket';
    return pingHttp({ socketPath }, timeoutMs);
  }
  if (target.startsWith('tcp://')) {
    const url = new URL(target);
    return pingHttp({ host: url.hostname, port: Number(url.port || 2375) }, timeoutMs);
  }
  return 'unsupported scheme';
}

/**
 * GET /_ping, as the docker CLI does. Only Docker's own answer counts (a proxy or firewall may
 * answer any port); a TLS engine answers plain HTTP with its "HTTPS server" 400, which proves it
 * is there too.
 */
function pingHttp(where: { socketPath: string } | { host: string; port: number }, timeoutMs: number): Promise<PingOutcome> {
  return new Promise((resolve) => {
    const request = http.get({ ...where, path: '/_ping', timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk.slice(0, 200)));
      response.on('end', () => {
        const isDocker = response.statusCode === 200 && (body.trim() === 'OK' || 'api-version' in response.headers);
        const isTlsDocker = response.statusCode === 400 && body.includes('HTTPS server');
        resolve(isDocker || isTlsDocker ? 'answered' : `HTTP ${response.statusCode ?? '?'} is not a Docker engine`);
      });
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error) => resolve(messageOf(error)));
  });
}

async function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
