import type { ShadowProvider, ShadowServer, StartOptions } from './provider.js';

/** A provider whose first server is already starting; release() closes it when no review took it. */
export interface HeadStartProvider extends ShadowProvider {
  /** The server on its way (the one the review's start() takes). */
  readonly starting: Promise<ShadowServer>;
  release(): Promise<void>;
}

/**
 * Starts the provider's server now, before the review asks for it: the CLI connects to the shadow
 * (or starts an embedded server's process) while git and the layouts read the change, instead of
 * after (a warm review of Lemmy spent ~50 ms there, an embedded start 1-2 s). The review's start()
 * takes the server on its way, and its deadline can still stop a start that has not ended; any
 * other start() starts a server of its own.
 */
export function startingNow(provider: ShadowProvider, opts: Omit<StartOptions, 'signal'>): HeadStartProvider {
  const stop = new AbortController();
  const early = provider.start({ ...opts, signal: stop.signal });
  // Whoever takes the start sees its failure; a start nobody takes failed for nothing.
  early.catch(() => undefined);
  let taken = false;
  return {
    kind: provider.kind,
    starting: early,
    start(startOpts): Promise<ShadowServer> {
      if (taken || startOpts.pgMajor !== opts.pgMajor) return provider.start(startOpts);
      taken = true;
      if (startOpts.signal.aborted) stop.abort(startOpts.signal.reason);
      else startOpts.signal.addEventListener('abort', () => stop.abort(startOpts.signal.reason), { once: true });
      return early;
    },
    async release() {
      if (taken) return;
      taken = true;
      stop.abort();
      await early.then((server) => server.close()).catch(() => undefined);
    },
  };
}
