import { randomBytes } from 'node:crypto';
import { ShadowStartError, redact } from '../../errors.js';
import type { ShadowProvider } from './provider.js';
import { messageOf, openServer } from './server.js';
import { endpointFromUrl } from './url.js';

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
  const lib = await import('@testcontainers/postgresql');
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
 * Looks for a container runtime with testcontainers' own discovery (DOCKER_HOST,
 * ~/.testcontainers.properties, the usual sockets), bounded by a short timeout.
 */
export async function probeContainerRuntime(timeoutMs: number): Promise<RuntimeProbe> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await withTimeout(getContainerRuntimeClient(), timeoutMs);
    return { ok: true, where: client.info.containerRuntime.host };
  } catch (error) {
    return { ok: false, tried: [`testcontainers: ${messageOf(error)}`] };
  }
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
