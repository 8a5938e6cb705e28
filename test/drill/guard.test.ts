import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { ShadowDatabase } from '../../src/core/drill/databases.js';
import { Deadline } from '../../src/core/deadline.js';
import { Guard, type DrillLimits } from '../../src/core/drill/guard.js';
import { createUrlProvider } from '../../src/core/drill/providers/url.js';
import type { ShadowServer } from '../../src/core/drill/providers/provider.js';
import { LOCAL_URL } from '../support/drill.js';
import { withAdmin } from '../support/scratch-database.js';

/** The guard on the local PostgreSQL (superuser admin: pg_ls_tmpdir() allowed), without a review around it. */

const MIB = 1024 ** 2;
const LIMITS: DrillLimits = { maxDatabaseSize: 1024 * MIB, maxTempFiles: 1024 * MIB, maxBackendMemory: 1024 * MIB, statementTimeoutMs: 60_000 };

let server: ShadowServer;
beforeAll(async () => {
  server = await createUrlProvider(LOCAL_URL).start({ signal: AbortSignal.timeout(30_000) });
});
afterAll(async () => {
  await server?.close();
});

/** How many of these databases and their roles still exist. */
async function remaining(databases: ShadowDatabase[]): Promise<number> {
  return withAdmin(async (c) => {
    const { rows } = await c.query<{ n: number }>(
      `SELECT ((SELECT count(*) FROM pg_database WHERE datname = ANY($1)) + (SELECT count(*) FROM pg_roles WHERE rolname = ANY($2)))::int AS n`,
      [databases.map((d) => d.name), databases.map((d) => d.role)],
    );
    return rows[0].n;
  });
}

async function session(database: ShadowDatabase): Promise<pg.Client> {
  const client = new pg.Client(database.login);
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

describe('Guard', () => {
  it('ends a drill whose backends’ temporary files pass the cap, measured with pg_ls_tmpdir()', async () => {
    const guard = new Guard(server, { ...LIMITS, maxTempFiles: 4 * MIB }, new Deadline(60_000), 'db/3_change.up.sql');
    const database = await guard.create('guard');
    // Lift the role's own temp_file_limit, so only the watchdog stands in the way (as for parallel workers together).
    await withAdmin((c) => c.query(`ALTER ROLE "${database.role}" SET temp_file_limit = -1`));
    const client = await session(database);
    try {
      guard.running('db/3_change.up.sql', 7);
      const failure = await client
        .query(`SET work_mem = '64kB'; SELECT count(*) FROM (SELECT g, md5(g::text) FROM generate_series(1, 3000000) g ORDER BY 2) s`)
        .then(
          () => null,
          (e: { code?: string }) => e.code ?? 'no-code',
        );
      expect(['57014', '57P01', 'no-code']).toContain(failure); // cancelled, or terminated with its database
      expect(guard.stopped).toBe(true);
      expect(guard.finding()).toMatchObject({
        hazard: 'infra',
        path: 'db/3_change.up.sql',
        line: 7,
        message: expect.stringContaining('its cap shadow.maxTempFiles = 4 MiB'),
        evidence: expect.stringMatching(/^pg_ls_tmpdir\(\) of backends [\d, ]+: \d+ bytes$/),
      });
    } finally {
      await client.end().catch(() => undefined);
      await guard.close();
    }
    expect(await remaining([database])).toBe(0);
  });

  it('cancels, terminates and drops everything when the deadline passes, and close() leaves nothing', async () => {
    // The review's limit, passed by cancelling it (as a newer push does).
    const cancel = new AbortController();
    const guard = new Guard(server, LIMITS, new Deadline(60_000, cancel.signal), 'db/3_change.up.sql');
    const [a, b] = [await guard.create('guard'), await guard.create('guard')];
    const client = await session(a);
    // A migration that turned its statement timeout off.
    const sleeping = client.query(`SET statement_timeout = 0; SELECT pg_sleep(60)`).then(
      () => null,
      (e: { code?: string }) => e.code ?? 'no-code',
    );
    await sleep(200);
    cancel.abort();
    expect(await sleeping).toBe('57014'); // cancelled first
    await expect(guard.create('guard')).rejects.toThrow(); // nothing new after the deadline
    await guard.close();
    await client.end().catch(() => undefined);
    expect(guard.stopped).toBe(false); // the deadline is the caller's to report
    expect(await remaining([a, b])).toBe(0);
  });

  it('stops the drill when it cannot watch it', async () => {
    const unreachable: ShadowServer = { ...server, adminConfig: (database) => ({ ...server.adminConfig(database), port: 1 }) };
    const guard = new Guard(unreachable, LIMITS, new Deadline(10_000), 'db/3_change.up.sql');
    for (let i = 0; i < 50 && !guard.stopped; i++) await sleep(50);
    expect(guard.stopped).toBe(true);
    expect(guard.finding()?.message).toMatch(/watchdog could not measure/);
    await guard.close();
  });
});
