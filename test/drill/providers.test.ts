import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { ClientConfig } from 'pg';
import { ShadowStartError, UsageError } from '../../src/core/errors.js';
import {
  createDatabase,
  dropDatabase,
  findTemplate,
  listTemplates,
  saveAsTemplate,
  roleOf,
  templateName,
  uniqueDatabaseName,
  type ShadowDatabase,
} from '../../src/core/drill/databases.js';
import { createEmbeddedProvider } from '../../src/core/drill/providers/embedded.js';
import type { EmbeddedShadowServer } from '../../src/core/drill/providers/embedded.js';
import { createProvider } from '../../src/core/drill/providers/index.js';
import type { ShadowServer } from '../../src/core/drill/providers/provider.js';
import { createTestcontainersProvider } from '../../src/core/drill/providers/testcontainers.js';
import { createUrlProvider } from '../../src/core/drill/providers/url.js';

/**
 * Real servers, no mocks: the PostgreSQL on 127.0.0.1:5432 (DRILLBOT_TEST_DATABASE_URL overrides)
 * through the url provider, and the bundled PostgreSQL through the embedded provider.
 */
const URL_UNDER_TEST = process.env.DRILLBOT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const signal = (): AbortSignal => AbortSignal.timeout(60_000);

async function withClient<T>(config: ClientConfig, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function sqlStateOf(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code ?? 'no-code';
  }
}

const randomKey = (): string => randomBytes(32).toString('hex');

async function tablesOf(db: ShadowDatabase): Promise<string[]> {
  return withClient(db.login, async (c) =>
    (await c.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`)).rows.map((r) => r.t),
  );
}

/** The contract every provider's server meets; `created` collects databases for cleanup. */
function describeServerContract(label: string, getServer: () => ShadowServer): void {
  describe(`${label}: server contract`, () => {
    const created: string[] = [];
    const track = (name: string): string => (created.push(name), name);

    afterAll(async () => {
      for (const name of created) await dropDatabase(getServer(), name);
    });

    it('reports server_version, its major and what the admin may do', () => {
      const server = getServer();
      expect(server.version).toMatch(/^\d+(\.\d+)?/);
      expect(server.major).toBe(Number.parseInt(server.version, 10));
      expect(server.admin).toEqual({ superuser: true, listTempFiles: true });
    });

    it('creates a database owned by its own role, which logs in as itself without superuser, memberships or a way to lift its caps', async () => {
      const server = getServer();
      const db = await createDatabase(server, track(uniqueDatabaseName('contract')), { caps: { maxTempFiles: 5 * 1024 ** 2, statementTimeoutMs: 7_000 } });
      expect(db.role).toBe(roleOf(db.name));
      expect(db.role).toMatch(/^drillbot_r_contract_/);
      const facts = await withClient(
        db.login,
        async (c) =>
          (
            await c.query(`SELECT current_user AS me, session_user AS session, r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolreplication, r.rolbypassrls,
                               pg_get_userbyid(d.datdba) AS owner, (SELECT count(*)::int FROM pg_auth_members WHERE member = r.oid) AS memberships,
                               current_setting('temp_file_limit') AS temp, current_setting('statement_timeout') AS timeout,
                               current_setting('idle_in_transaction_session_timeout') AS idle,
                               current_setting('synchronous_commit') AS "synchronousCommit"
                          FROM pg_roles r, pg_database d WHERE r.rolname = current_user AND d.datname = current_database()`)
          ).rows[0],
      );
      expect(facts).toEqual({
        me: db.role,
        session: db.role,
        rolsuper: false,
        rolcreatedb: false,
        rolcreaterole: false,
        rolreplication: false,
        rolbypassrls: false,
        owner: db.role,
        memberships: 0,
        temp: '5MB',
        timeout: '7s',
        idle: '7s',
        // A disposable database: its commits do not wait for the WAL flush.
        synchronousCommit: 'off',
      });
      await withClient(db.login, async (c) => {
        expect(await sqlStateOf(c.query(`SET temp_file_limit = -1`))).toBe('42501');
        expect(await sqlStateOf(c.query(`ALTER ROLE CURRENT_USER SET temp_file_limit = -1`))).toBe('42501');
        expect(await sqlStateOf(c.query(`ALTER DATABASE "${db.name}" SET temp_file_limit = -1`))).toBe('42501');
      });
    });

    it("keeps databases apart: a role neither sees the query text of, nor signals, nor alters another database's session or role", async () => {
      const server = getServer();
      const [mine, theirs] = [
        await createDatabase(server, track(uniqueDatabaseName('contract'))),
        await createDatabase(server, track(uniqueDatabaseName('contract'))),
      ];
      const secret = `secret_${randomBytes(6).toString('hex')}`;
      const victim = new pg.Client(theirs.login);
      await victim.connect();
      victim.on('error', () => undefined);
      const sleeping = victim.query(`SELECT pg_sleep(20), '${secret}'`).catch((e: Error) => e);
      try {
        await withClient(mine.login, async (c) => {
          const { rows } = await c.query<{ pid: number; query: string | null; usename: string | null }>(
            `SELECT pid, query, usename FROM pg_stat_activity WHERE pid <> pg_backend_pid()`,
          );
          expect(rows.find((r) => r.usename === theirs.role)).toBeDefined(); // the session is listed …
          expect(rows.map((r) => r.query ?? '').join('\n')).not.toContain(secret); // … without its text
          // Either refused (42501) or false (not a backend: the checkpointer, …): never done.
          const signalled = async (fn: string, pid: number) =>
            await c.query(`SELECT ${fn}($1) AS done`, [pid]).then(
              (r) => r.rows[0].done,
              (e) => e.code,
            );
          for (const { pid } of rows) {
            expect([false, '42501']).toContain(await signalled('pg_cancel_backend', pid));
            expect([false, '42501']).toContain(await signalled('pg_terminate_backend', pid));
          }
          expect(await signalled('pg_terminate_backend', rows.find((r) => r.usename === theirs.role)!.pid)).toBe('42501');
          expect(await sqlStateOf(c.query(`ALTER ROLE "${theirs.role}" SET default_transaction_read_only = on`))).toBe('42501');
          expect(await sqlStateOf(c.query(`ALTER ROLE "${theirs.role}" PASSWORD 'taken'`))).toBe('42501');
          expect(await sqlStateOf(c.query(`GRANT "${theirs.role}" TO CURRENT_USER`))).toBe('42501');
          expect(await sqlStateOf(c.query(`SET ROLE "${theirs.role}"`))).toBe('42501');
        });
        const stillSleeping = await withClient(
          server.adminConfig(server.maintenanceDatabase ?? 'postgres'),
          async (c) =>
            (await c.query(`SELECT 1 FROM pg_stat_activity WHERE usename = $1 AND state = 'active' AND query LIKE '%pg_sleep%'`, [theirs.role])).rowCount,
        );
        expect(stillSleeping).toBe(1);
      } finally {
        await dropDatabase(server, theirs.name); // ends the sleep
        await sleeping;
        await victim.end().catch(() => undefined);
      }
    });

    it("lets a database's role CREATE EXTENSION pgcrypto and create tables", async () => {
      const server = getServer();
      const db = await createDatabase(server, track(uniqueDatabaseName('contract')));
      const digest = await withClient(db.login, async (c) => {
        await c.query('CREATE EXTENSION pgcrypto');
        await c.query('CREATE TABLE accounts (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), secret bytea)');
        await c.query(`INSERT INTO accounts (secret) VALUES (digest('x', 'sha256'))`);
        return (await c.query(`SELECT count(*)::int AS n FROM accounts`)).rows[0].n as number;
      });
      expect(digest).toBe(1);
    });

    it('does not let a role RESET ROLE, create databases or read databases it does not own', async () => {
      const server = getServer();
      const own = await createDatabase(server, track(uniqueDatabaseName('contract')));
      const foreign = track(uniqueDatabaseName('foreign'));
      // A database of another role, as a user database on a shared server would be.
      await withClient(server.adminConfig(server.maintenanceDatabase ?? 'postgres'), async (c) => {
        await c.query(`CREATE DATABASE "${foreign}"`);
        await c.query(`REVOKE CONNECT ON DATABASE "${foreign}" FROM PUBLIC`);
      });
      await withClient(own.login, async (c) => {
        await c.query('RESET ROLE');
        await c.query('RESET SESSION AUTHORIZATION');
        const { rows } = await c.query(`SELECT rolsuper FROM pg_roles WHERE rolname = current_user`);
        expect(rows).toEqual([{ rolsuper: false }]);
        expect(await sqlStateOf(c.query('SET ROLE postgres'))).toBe('42501');
        expect(await sqlStateOf(c.query(`CREATE DATABASE "${uniqueDatabaseName('nope')}"`))).toBe('42501');
        expect(await sqlStateOf(c.query(`DROP DATABASE "${foreign}"`))).toBe('42501');
      });
      expect(await sqlStateOf(withClient({ ...own.login, database: foreign }, async () => undefined))).toBe('42501');
    });

    it('drops databases with their roles idempotently and refuses names that are not Drillbot databases', async () => {
      const server = getServer();
      const db = await createDatabase(server, uniqueDatabaseName('contract'));
      const open = new pg.Client(db.login);
      await open.connect();
      open.on('error', () => undefined); // terminated by DROP … WITH (FORCE)
      await open.query(`ALTER ROLE CURRENT_USER SET default_transaction_read_only = on`);
      await dropDatabase(server, db.name);
      await dropDatabase(server, db.name);
      await open.end().catch(() => undefined);
      const left = await withClient(
        server.adminConfig(server.maintenanceDatabase ?? 'postgres'),
        async (c) =>
          (
            await c.query(
              `SELECT (SELECT count(*) FROM pg_database WHERE datname = $1)::int AS databases, (SELECT count(*) FROM pg_roles WHERE rolname = $2)::int AS roles`,
              [db.name, db.role],
            )
          ).rows[0],
      );
      expect(left).toEqual({ databases: 0, roles: 0 });
      await expect(dropDatabase(server, 'postgres')).rejects.toThrow(TypeError);
      await expect(createDatabase(server, 'drillbot_x"; DROP DATABASE postgres; --')).rejects.toThrow(TypeError);
    });

    it('keeps the template another process saves under the same key while its own rename waits, and returns its name', async () => {
      const server = getServer();
      const key = randomKey();
      const name = track(templateName(key));
      const source = await createDatabase(server, track(uniqueDatabaseName('contract')));
      const theirs = track(uniqueDatabaseName('theirs'));
      const other = new pg.Client(server.adminConfig(server.maintenanceDatabase ?? 'postgres'));
      await other.connect();
      try {
        await other.query(`CREATE DATABASE "${theirs}"`);
        const oidOf = async (datname: string) => (await other.query(`SELECT oid FROM pg_database WHERE datname = $1`, [datname])).rows[0]?.oid;
        const theirOid = await oidOf(theirs);
        // The other process's rename to the template's name, not committed yet: ours passes its
        // check, then waits for that transaction on the name's index entry.
        await other.query(`BEGIN; ALTER DATABASE "${theirs}" RENAME TO "${name}"`);
        const saving = saveAsTemplate(server, source.name, key, { limit: 10_000 });
        await withClient(server.adminConfig(server.maintenanceDatabase ?? 'postgres'), async (c) => {
          const waiting = `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'ALTER DATABASE % RENAME TO %${name}%'`;
          for (let i = 0; i < 600 && !(await c.query(waiting)).rowCount; i++) await new Promise((resolve) => setTimeout(resolve, 50));
          expect((await c.query(waiting)).rowCount).toBe(1);
        });
        await other.query('COMMIT');
        expect(await saving).toBe(name);
        expect(await oidOf(name)).toBe(theirOid);
      } finally {
        await other.end();
      }
    });

    it('saves a template, finds it and clones it, even with a session left open on the source', async () => {
      const server = getServer();
      const source = await createDatabase(server, track(uniqueDatabaseName('contract')));
      const key = randomKey();
      const lingering = new pg.Client(source.login);
      await lingering.connect();
      lingering.on('error', () => undefined);
      try {
        await lingering.query('CREATE EXTENSION citext; CREATE TABLE users (id int PRIMARY KEY, email citext); CREATE TABLE orders (id int)');
        expect(await findTemplate(server, key)).toBeNull();
        // A huge limit: on a shared server, eviction must not hit other runs' templates.
        const name = track(await saveAsTemplate(server, source.name, key, { limit: 10_000 }));
        expect(name).toBe(`drillbot_tpl_${key.slice(0, 16)}`);
        expect(await findTemplate(server, key)).toBe(name);
        expect(await findTemplate(server, key.slice(0, 16) + 'f'.repeat(48))).toBeNull(); // same name, other key
        const clone = await createDatabase(server, track(uniqueDatabaseName('clone')), { template: name });
        expect(await tablesOf(clone)).toEqual(['orders', 'users']);
        const flags = await withClient(
          server.adminConfig(server.maintenanceDatabase ?? 'postgres'),
          async (c) =>
            (await c.query(`SELECT datistemplate, datallowconn, pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1`, [name])).rows[0],
        );
        expect(flags).toMatchObject({ datistemplate: true, datallowconn: false });
        expect(flags.owner).not.toMatch(/^drillbot_r_/);
        // Untrusted SQL must not be able to poison the cache for later reviews …
        await withClient(clone.login, async (c) => {
          expect(await sqlStateOf(c.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`))).toBe('42501');
          expect(await sqlStateOf(c.query(`DROP DATABASE "${name}"`))).toBe('42501');
          // … but in its clone the role may change and drop what the base history made.
          await c.query(`ALTER TABLE users ADD COLUMN note text; CREATE INDEX ON users (note); DROP TABLE orders; DROP EXTENSION citext CASCADE`);
        });
        expect(await tablesOf(clone)).toEqual(['users']);
        // The template keeps nothing of the role that built it: that role is dropped with its database.
        await dropDatabase(server, source.name);
        const sourceRole = await withClient(
          server.adminConfig(server.maintenanceDatabase ?? 'postgres'),
          async (c) => (await c.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [source.role])).rowCount,
        );
        expect(sourceRole).toBe(0);
      } finally {
        await lingering.end().catch(() => undefined);
      }
    });
  });
}

describe('url provider', () => {
  let server: ShadowServer;
  beforeAll(async () => {
    server = await createUrlProvider(URL_UNDER_TEST).start({ signal: signal() });
  });
  afterAll(async () => {
    await server?.close();
  });

  describeServerContract('url', () => server);

  it('fails with ShadowStartError naming CREATEDB and CREATEROLE when the admin lacks them', async () => {
    const weak = `drillbot_test_weak_${randomBytes(3).toString('hex')}`;
    await withClient(server.adminConfig('postgres'), (c) => c.query(`CREATE ROLE ${weak} LOGIN`));
    try {
      const url = new URL(URL_UNDER_TEST);
      url.username = weak;
      const failure = createUrlProvider(url.toString()).start({ signal: signal() });
      await expect(failure).rejects.toThrow(ShadowStartError);
      await expect(failure).rejects.toThrow(/lacks CREATEDB and CREATEROLE/);
    } finally {
      await withClient(server.adminConfig('postgres'), (c) => c.query(`DROP ROLE ${weak}`));
    }
  });

  it('checks that review roles can log in once per cluster: a marker in the cache dir, named by the server and its start and reload times', async () => {
    const cache = await fs.mkdtemp(path.join(os.tmpdir(), 'drillbot-logins-'));
    const saved = process.env.DRILLBOT_CACHE_DIR;
    process.env.DRILLBOT_CACHE_DIR = cache;
    try {
      // Another maintenance database is another endpoint: this process has not checked it yet.
      const url = new URL(URL_UNDER_TEST);
      url.pathname = '/template1';
      await (await createUrlProvider(url.toString()).start({ signal: signal() })).close();
      expect(await fs.readdir(path.join(cache, 'logins'))).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/)]);
    } finally {
      if (saved === undefined) delete process.env.DRILLBOT_CACHE_DIR;
      else process.env.DRILLBOT_CACHE_DIR = saved;
      await fs.rm(cache, { recursive: true, force: true });
    }
  });

  it('fails with ShadowStartError that does not show the password when the server is unreachable', async () => {
    const failure = createUrlProvider('postgres://postgres:s3cr3t-pw@127.0.0.1:1/postgres').start({ signal: signal() });
    await expect(failure).rejects.toThrow(ShadowStartError);
    const message = await failure.catch((e: Error) => e.message);
    expect(message).toContain('127.0.0.1:1');
    expect(message).not.toContain('s3cr3t-pw');
  });
});

describe('embedded provider', () => {
  let cacheDir: string;
  let server: EmbeddedShadowServer;
  let savedTemplate: string;
  const key = randomKey();
  const timings: Record<string, number> = {};

  async function startTimed(label: string): Promise<EmbeddedShadowServer> {
    const started = performance.now();
    const s = await createEmbeddedProvider({ cacheDir }).start({ signal: signal() });
    timings[label] = Math.round(performance.now() - started);
    return s;
  }

  beforeAll(async () => {
    cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'drillbot-cache-test-'));
    // As root, PostgreSQL runs as the OS user postgres, which must be able to enter the cache dir.
    await fs.chmod(cacheDir, 0o755);
    server = await startTimed('cold');
  });
  afterAll(async () => {
    await server?.close();
    await fs.rm(cacheDir, { recursive: true, force: true });
    console.log(`embedded start times (ms): ${JSON.stringify(timings)}`);
  });

  it('runs the bundled PostgreSQL 18 in the cache dir, on 127.0.0.1', () => {
    expect(server.major).toBe(18);
    expect(server.ephemeral).toBe(false);
    expect(server.dataDir).toBe(path.join(cacheDir, 'pg18', 'data'));
  });

  describeServerContract('embedded (cold)', () => server);

  it('evicts the least recently used templates beyond the limit', async () => {
    const [a, b, c] = [randomKey(), randomKey(), randomKey()];
    const source = uniqueDatabaseName('evict');
    await createDatabase(server, source);
    try {
      await saveAsTemplate(server, source, a, { limit: 2 });
      await saveAsTemplate(server, source, b, { limit: 2 });
      expect(await findTemplate(server, a)).toBe(templateName(a)); // a is now the most recent use
      await saveAsTemplate(server, source, c, { limit: 2 });
      expect(await listTemplates(server)).toEqual([templateName(c), templateName(a)]);
      expect(await findTemplate(server, b)).toBeNull();
    } finally {
      for (const k of [a, b, c]) await dropDatabase(server, templateName(k));
      await dropDatabase(server, source);
    }
  });

  it('saves a template for the restart test', async () => {
    const source = await createDatabase(server, uniqueDatabaseName('base'));
    try {
      await withClient(source.login, (c) => c.query('CREATE TABLE kept (id int)'));
      savedTemplate = await saveAsTemplate(server, source.name, key);
    } finally {
      await dropDatabase(server, source.name);
    }
  });

  it('stops the server on close(): its port no longer answers', async () => {
    const { port } = server;
    await server.close();
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.on('connect', () => (socket.destroy(), resolve(false)));
      socket.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });

  it('starts warm on the same cache dir and keeps the templates', async () => {
    server = await startTimed('warm');
    expect(server.ephemeral).toBe(false);
    expect(await findTemplate(server, key)).toBe(savedTemplate);
    const clone = await createDatabase(server, uniqueDatabaseName('clone'), { template: savedTemplate });
    try {
      expect(await tablesOf(clone)).toEqual(['kept']);
    } finally {
      await dropDatabase(server, clone.name);
    }
  });

  it('uses a temporary cluster, deleted on close, while another process holds the cache', async () => {
    const second = await startTimed('second-concurrent');
    const tempRoot = path.dirname(second.dataDir);
    try {
      expect(second.ephemeral).toBe(true);
      expect(second.dataDir.startsWith(cacheDir)).toBe(false);
      expect(await findTemplate(second, key)).toBeNull();
    } finally {
      await second.close();
    }
    await expect(fs.stat(tempRoot)).rejects.toThrow(/ENOENT/);
  });

  it('recovers a cache left by a killed process: stale lock and orphan postmaster', async () => {
    const orphan = server;
    // What a SIGKILLed drillbot leaves: a lock of a dead process, and postgres still running.
    await fs.writeFile(path.join(cacheDir, 'pg18', 'drillbot.lock'), JSON.stringify({ pid: 2 ** 22 + 1, host: os.hostname() }));
    server = await startTimed('after-kill');
    expect(server.ephemeral).toBe(false);
    expect(await findTemplate(server, key)).toBe(savedTemplate);
    await orphan.close(); // its postgres is gone already; close() must not hang
  });
});

describe('testcontainers provider', () => {
  it('fails quickly with one ShadowStartError naming the alternatives when no Docker engine answers', async () => {
    const started = Date.now();
    const failure = createTestcontainersProvider().start({ signal: signal() });
    await expect(failure).rejects.toThrow(ShadowStartError);
    const message = await failure.catch((e: Error) => e.message);
    expect(message).toMatch(
      /^No Docker engine answered \(.+\); use --provider embedded \(default, no setup\) or --database-url postgres:\/\/… to use an existing server$/s,
    );
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe('createProvider', () => {
  it('chooses url when a database URL is given, as option or env', () => {
    expect(createProvider({ databaseUrl: URL_UNDER_TEST }).kind).toBe('url');
    expect(createProvider({ env: { DRILLBOT_DATABASE_URL: URL_UNDER_TEST } }).kind).toBe('url');
  });

  it('defaults to embedded and honours an explicit kind over the env var', () => {
    expect(createProvider({ env: {} }).kind).toBe('embedded');
    expect(createProvider({ kind: 'testcontainers', env: { DRILLBOT_DATABASE_URL: URL_UNDER_TEST } }).kind).toBe('testcontainers');
  });

  it('rejects contradictory options', () => {
    expect(() => createProvider({ kind: 'url', env: {} })).toThrow(UsageError);
    expect(() => createProvider({ kind: 'embedded', databaseUrl: URL_UNDER_TEST })).toThrow(UsageError);
  });
});
