import { bounded } from '../../deadline.js';
import { withAdminClient } from '../databases.js';
import type { ShadowProvider, ShadowServer, StartOptions } from './provider.js';

/** How long a kept server may take to answer `SELECT 1` before it is taken for dead and started again. */
const ALIVE_MS = 2_000;

/** A provider whose servers outlive the reviews: `stop()` ends them. */
export interface KeptProvider extends ShadowProvider {
  /** Stops every server it started (the App's shutdown). */
  stop(): Promise<void>;
}

/**
 * Starts each server once (per requested major) and keeps it running between reviews, for the
 * App: an embedded server then starts once per process instead of once per review (about 1-2 s,
 * and concurrent reviews share one cluster and its template cache instead of a temporary cluster
 * each), and the clone pool (clone-pool.ts) has a server to keep its clones on. A review's
 * close() leaves the server running. A server that stopped answering is started again.
 */
export function keepRunning(provider: ShadowProvider): KeptProvider {
  const servers = new Map<number | undefined, Promise<ShadowServer>>();
  // The start belongs to no review: one review's deadline or cancellation must not stop the shared server.
  const lifetime = new AbortController();

  const startShared = (opts: StartOptions): Promise<ShadowServer> => {
    const starting = provider.start({ ...opts, signal: lifetime.signal }).then(shared);
    starting.catch(() => servers.delete(opts.pgMajor));
    servers.set(opts.pgMajor, starting);
    return starting;
  };

  return {
    kind: provider.kind,
    async start(opts) {
      opts.signal.throwIfAborted();
      const running = servers.get(opts.pgMajor);
      if (!running) return startShared(opts);
      const server = await running;
      if (await answers(server)) return server;
      servers.delete(opts.pgMajor);
      await bounded(closeReally(server), ALIVE_MS, 'stopping a shadow PostgreSQL that stopped answering').catch(() => undefined);
      return startShared(opts);
    },
    async stop() {
      lifetime.abort();
      const all = [...servers.values()];
      servers.clear();
      await Promise.all(all.map((s) => s.then(closeReally, () => undefined)));
    },
  };
}

/** The started servers behind the ones reviews see. */
const started = new WeakMap<ShadowServer, ShadowServer>();

/** The server as reviews see it: the same object every time (the clone pool keys on it), whose close() does nothing. */
function shared(server: ShadowServer): ShadowServer {
  const view: ShadowServer = Object.assign(Object.create(server) as ShadowServer, { close: () => Promise.resolve() });
  started.set(view, server);
  return view;
}

function closeReally(view: ShadowServer): Promise<void> {
  return started.get(view)?.close() ?? Promise.resolve();
}

async function answers(server: ShadowServer): Promise<boolean> {
  return bounded(
    withAdminClient(server, (client) => client.query('SELECT 1')),
    ALIVE_MS,
    'checking the kept shadow PostgreSQL',
  ).then(
    () => true,
    () => false,
  );
}
