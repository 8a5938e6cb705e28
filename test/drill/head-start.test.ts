import { withAdminClient } from '../../src/core/drill/databases.js';
import { startingNow } from '../../src/core/drill/providers/head-start.js';
import type { ShadowProvider, ShadowServer, StartOptions } from '../../src/core/drill/providers/provider.js';
import { createUrlProvider } from '../../src/core/drill/providers/url.js';

const URL_UNDER_TEST = process.env.DRILLBOT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The url provider on the real server, counting its starts and the servers' closes; its starts run to the end whatever their signal says. */
function counted(): { provider: ShadowProvider; starts: StartOptions[]; closes: () => number } {
  const real = createUrlProvider(URL_UNDER_TEST);
  const starts: StartOptions[] = [];
  let closes = 0;
  const provider: ShadowProvider = {
    kind: real.kind,
    async start(opts) {
      starts.push(opts);
      const server = await real.start({ ...opts, signal: new AbortController().signal });
      return Object.assign(Object.create(server) as ShadowServer, { close: () => ((closes += 1), server.close()) });
    },
  };
  return { provider, starts, closes: () => closes };
}

describe('startingNow: the shadow starts while the change is read', () => {
  it('starts once, before the review asks, and hands the review that server', async () => {
    const { provider, starts } = counted();
    const head = startingNow(provider, { pgMajor: undefined });
    expect(starts).toHaveLength(1);
    const server = await head.start({ signal: new AbortController().signal });
    expect(starts).toHaveLength(1);
    expect(server.major).toBeGreaterThanOrEqual(14);
    // A second start (another drill of the same review) gets a server of its own.
    const other = await head.start({ signal: new AbortController().signal });
    expect(starts).toHaveLength(2);
    await Promise.all([server.close(), other.close(), head.release()]);
  });

  it('closes the server no review took, and leaves a taken one to its review', async () => {
    const untaken = counted();
    await startingNow(untaken.provider, {}).release();
    expect(untaken.starts[0].signal.aborted).toBe(true);
    expect(untaken.closes()).toBe(1);

    const taken = counted();
    const head = startingNow(taken.provider, {});
    const server = await head.start({ signal: new AbortController().signal });
    await head.release();
    expect(taken.closes()).toBe(0);
    await server.close();
  });

  it('passes the review’s cancellation on to the start it takes', async () => {
    const { provider, starts } = counted();
    const head = startingNow(provider, {});
    const review = new AbortController();
    review.abort(new Error('superseded'));
    const server = await head.start({ signal: review.signal });
    expect(starts[0].signal.aborted).toBe(true);
    await server.close();
  });

  it('starts anew for a review that needs another major', async () => {
    const { provider, starts } = counted();
    const head = startingNow(provider, { pgMajor: 15 });
    const server = await head.start({ pgMajor: 16, signal: new AbortController().signal });
    expect(starts.map((s) => s.pgMajor)).toEqual([15, 16]);
    await Promise.all([server.close(), head.release()]);
  });
});

describe('admin steps share pooled connections to the maintenance database', () => {
  it('reuses the connection of an earlier step, and not one whose step failed', async () => {
    const server = await createUrlProvider(URL_UNDER_TEST).start({ signal: new AbortController().signal });
    try {
      const pid = () => withAdminClient(server, async (client) => (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid);
      const first = await pid();
      expect(await pid()).toBe(first);
      await expect(
        withAdminClient(server, async (client) => {
          await client.query('BEGIN');
          await client.query('SELECT 1/0');
        }),
      ).rejects.toThrow(/division by zero/);
      // The failed step's connection (and its aborted transaction) was discarded.
      const after = await pid();
      await expect(withAdminClient(server, (client) => client.query('SELECT 1'))).resolves.toBeDefined();
      expect(after).not.toBe(first);
    } finally {
      await server.close();
    }
  });
});
