import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDatabase, createdAt, dropDatabase, sweepLeakedDatabases, uniqueDatabaseName } from '../../src/core/drill/databases.js';
import { createUrlProvider } from '../../src/core/drill/providers/index.js';
import type { ShadowServer } from '../../src/core/drill/providers/provider.js';
import { LOCAL_URL } from '../support/drill.js';

// A drill killed with SIGKILL cannot drop its database or role; the next drill on the server
// sweeps what is older than any review could be, and never a database another review still uses.
const HOUR = 3_600_000;

describe('sweeping leaked shadow databases and roles', () => {
  let server: ShadowServer;
  beforeAll(async () => {
    server = await createUrlProvider(LOCAL_URL).start({ signal: new AbortController().signal });
  });
  afterAll(() => server.close());

  const exists = async (kind: 'database' | 'role', name: string) => {
    const client = new pg.Client(server.adminConfig('postgres'));
    await client.connect();
    try {
      const sql = kind === 'database' ? 'SELECT 1 FROM pg_database WHERE datname = $1' : 'SELECT 1 FROM pg_roles WHERE rolname = $1';
      return ((await client.query(sql, [name])).rowCount ?? 0) > 0;
    } finally {
      await client.end();
    }
  };

  it('drops databases and roles older than the limit, with a session still in them, and keeps younger ones', async () => {
    // A name as a drill three hours ago made it; the server is shared, so the sweep runs with the
    // real clock and touches only what is really that old.
    const leaked = await createDatabase(server, `drillbot_leak_${(Date.now() - 3 * HOUR).toString(36)}_${randomBytes(4).toString('hex')}`);
    const live = await createDatabase(server, uniqueDatabaseName('live'));
    // The backend a killed drill leaves running.
    const orphanSession = new pg.Client(leaked.login);
    orphanSession.on('error', () => undefined);
    await orphanSession.connect();
    try {
      const swept = await sweepLeakedDatabases(server, 2 * HOUR);
      expect(swept).toContain(leaked.name);
      expect(swept).not.toContain(live.name);
      expect(await exists('database', leaked.name)).toBe(false);
      expect(await exists('role', leaked.role)).toBe(false);
      expect(await exists('database', live.name)).toBe(true);
    } finally {
      await orphanSession.end().catch(() => undefined);
      await dropDatabase(server, live.name);
    }
  });

  it('reads the creation time from drill database names only', () => {
    const before = Date.now();
    expect(createdAt(uniqueDatabaseName('review'))).toBeGreaterThanOrEqual(before);
    expect(createdAt('drillbot_tpl_0123456789abcdef')).toBeNull();
    expect(createdAt('postgres')).toBeNull();
  });
});
