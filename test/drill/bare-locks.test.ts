import pg from 'pg';
import { runScript, type StatementRun } from '../../src/core/drill/execute.js';
import type { MigrationScript } from '../../src/core/layouts/layout.js';
import { renderText } from '../../src/core/report/render/text.js';
import { parseScript } from '../../src/core/sql/parse.js';
import { drill, hazards } from '../support/drill.js';
import { createScratchDatabase, dropScratchDatabase, LOCAL_SERVER, type ScratchDatabase } from '../support/scratch-database.js';

/** Locks of statements PostgreSQL runs only outside a transaction block, watched from a second session (bare-locks.ts). */

describe('runScript: locks of statements outside a transaction block', () => {
  let scratch: ScratchDatabase | undefined;
  let client: pg.Client;
  let serverMajor: number;
  const opened: pg.Client[] = [];

  const openSession = async () => {
    const session = new pg.Client({ ...LOCAL_SERVER, database: scratch!.name, application_name: 'bare-locks-watch' });
    await session.connect();
    opened.push(session);
    return session;
  };

  beforeAll(async () => {
    scratch = await createScratchDatabase('drill_bare');
    client = scratch.client;
    serverMajor = Math.floor(Number((await client.query('SHOW server_version_num')).rows[0].server_version_num) / 10000);
    await client.query(`
      CREATE TABLE public.orders (id int PRIMARY KEY, code int, total int);
      INSERT INTO public.orders SELECT i, i % 10, i FROM generate_series(1, 200) AS i;
      CREATE TABLE public.logs (at int NOT NULL) PARTITION BY RANGE (at);
      CREATE TABLE public.logs_1 PARTITION OF public.logs FOR VALUES FROM (0) TO (100);`);
  });

  afterAll(() => dropScratchDatabase(scratch));

  /** Runs `sql` as one goose NO TRANSACTION file (each statement on its own), watched. */
  async function run(sql: string, watched = true): Promise<StatementRun[]> {
    const script: MigrationScript = { path: 'db/1.sql', sql, startLine: 1, transaction: 'none' };
    const parsed = await parseScript(script);
    if (!parsed.ok) throw new Error(parsed.error.message);
    return (await runScript(client, script, parsed.statements, watched ? { openSession } : {})).statements;
  }

  /** The sessions on the scratch database other than the migration's own, by state. */
  async function otherSessions(): Promise<string[]> {
    const { rows } = await client.query(
      `SELECT state FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
    );
    return rows.map((r) => r.state);
  }

  const locksOf = (st: StatementRun) => st.locks.map((l) => `${l.relation} ${l.mode}`);

  it('sees the SHARE UPDATE EXCLUSIVE of CREATE INDEX CONCURRENTLY while it waits for the older transaction the drill holds open', async () => {
    const [cic] = await run('CREATE INDEX CONCURRENTLY orders_total_idx ON orders (total)');
    expect(cic).toMatchObject({
      status: 'applied',
      lockView: 'while-waiting',
      waited: expect.stringMatching(/^waited, holding its locks, for 1 transaction older than itself/),
    });
    expect(locksOf(cic)).toEqual(['public.orders ShareUpdateExclusiveLock']);
    // The watching session is closed with the script: no helper transaction is left behind.
    expect(await otherSessions()).toEqual([]);
  });

  it('sees DROP INDEX CONCURRENTLY waiting for a reader of the table, holding SHARE UPDATE EXCLUSIVE on table and index', async () => {
    await client.query('CREATE INDEX orders_code_idx ON orders (code)');
    const [dic] = await run('DROP INDEX CONCURRENTLY orders_code_idx');
    expect(dic).toMatchObject({ status: 'applied', lockView: 'while-waiting' });
    expect(locksOf(dic)).toEqual(expect.arrayContaining(['public.orders ShareUpdateExclusiveLock', 'public.orders_code_idx ShareUpdateExclusiveLock']));
  });

  it('sees REINDEX INDEX CONCURRENTLY (PostgreSQL 12+) and DETACH PARTITION CONCURRENTLY (14+), whose last step needs ACCESS EXCLUSIVE on the partition', async () => {
    if (serverMajor < 14) return;
    const [reindex, detach] = await run('REINDEX INDEX CONCURRENTLY orders_pkey;\nALTER TABLE logs DETACH PARTITION logs_1 CONCURRENTLY');
    expect(reindex).toMatchObject({ status: 'applied', lockView: 'while-waiting' });
    expect(locksOf(reindex)).toEqual(expect.arrayContaining(['public.orders ShareUpdateExclusiveLock', 'public.orders_pkey ShareUpdateExclusiveLock']));
    expect(detach).toMatchObject({ status: 'applied', lockView: 'while-waiting', waited: expect.stringMatching(/^queued for its lock behind 1 transaction/) });
    expect(locksOf(detach)).toEqual(['public.logs ShareUpdateExclusiveLock', 'public.logs_1 AccessExclusiveLock']);
  });

  it('sees VACUUM FULL queue for ACCESS EXCLUSIVE; a plain VACUUM, which waits for nobody, is only sampled', async () => {
    const [full, plain] = await run('VACUUM FULL orders;\nVACUUM orders');
    expect(full).toMatchObject({ status: 'applied', lockView: 'while-waiting' });
    expect(locksOf(full)).toEqual(['public.orders AccessExclusiveLock']);
    expect(['sampled', 'not-observed']).toContain(plain.lockView);
    expect(plain.waited).toBeUndefined();
  });

  it('ends a failing CREATE UNIQUE INDEX CONCURRENTLY cleanly: the error is the statement’s, the helper is gone, the session goes on', async () => {
    const [failed] = await run('CREATE UNIQUE INDEX CONCURRENTLY orders_code_key ON orders (code)');
    expect(failed).toMatchObject({ status: 'failed', error: { code: '23505' } });
    expect(await otherSessions()).toEqual([]);
    await client.query('DROP INDEX IF EXISTS orders_code_key');
    expect((await client.query('SELECT count(*)::int AS n FROM orders')).rows[0].n).toBe(200);
  });

  it('leaves a statement outside a transaction block unobserved without a second session, and says so', async () => {
    const [cic] = await run('CREATE INDEX CONCURRENTLY orders_total2_idx ON orders (total)', false);
    expect(cic).toMatchObject({ status: 'applied', lockView: 'not-observed', locks: [] });
  });

  it('measures the time watching adds per statement outside a transaction block', async () => {
    // Warm up both ways, then time the same CIC/DROP pair watched and unwatched (median of 5).
    const pair = 'CREATE INDEX CONCURRENTLY orders_m_idx ON orders (total);\nDROP INDEX CONCURRENTLY orders_m_idx';
    const time = async (watched: boolean) => {
      const samples: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        await run(pair, watched);
        samples.push(performance.now() - t0);
      }
      return samples.sort((a, b) => a - b)[2];
    };
    await time(true);
    const watched = await time(true);
    const unwatched = await time(false);
    const perStatement = (watched - unwatched) / 2;
    // Printed for the record. The bound is loose so that a busy machine does not fail it, yet far
    // below the 5 s poll cap that a watch missing the statement's wait would run into.
    console.log(
      `bare-locks overhead: ${perStatement.toFixed(1)} ms per statement (watched ${watched.toFixed(1)} ms, unwatched ${unwatched.toFixed(1)} ms per pair)`,
    );
    expect(perStatement).toBeLessThan(500);
  });

  afterAll(async () => {
    await Promise.all(opened.map((s) => s.end().catch(() => undefined)));
  });
});

/** A small shop whose orders the seeder fills. */
const SHOP = {
  '1_orders.up.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL, total integer NOT NULL);',
  '1_orders.down.sql': 'DROP TABLE orders;',
};
const goose = (up: string, down: string, header = '') => `${header}-- +goose Up\n${up}\n-- +goose Down\n${down}\n`;

describe('review: locks of a lone CREATE INDEX CONCURRENTLY', () => {
  const CIC = 'CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);';
  const SUE = { relation: 'public.orders', mode: 'ShareUpdateExclusiveLock', existing: true };

  it('reports SHARE UPDATE EXCLUSIVE on the table for a golang-migrate file, and that it waited for an older transaction, without a hazard', async () => {
    const report = await drill(SHOP, { '2_idx.up.sql': CIC, '2_idx.down.sql': 'DROP INDEX CONCURRENTLY orders_user_idx;' });
    expect(hazards(report)).toEqual([]);
    const forward = report.migrations.find((m) => m.direction === 'forward')!;
    expect(forward.locks).toEqual([SUE]);
    expect(forward.statements[0]).toMatchObject({ locks: [SUE], lockView: 'while-waiting', waited: expect.stringMatching(/older than itself/) });
    const reverse = report.migrations.find((m) => m.direction === 'reverse')!;
    expect(reverse.locks).toContainEqual(SUE);
    expect(renderText(report)).toMatch(
      /locks on existing: public\.orders ShareUpdateExclusiveLock .*line 1 ran outside a transaction: waited, holding its locks/,
    );
  });

  it('ends at the drill deadline while a watched CREATE INDEX CONCURRENTLY is still building, its helper transaction with it', async () => {
    const slow = 'CREATE FUNCTION slow(x bigint) RETURNS bigint IMMUTABLE LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.2); RETURN x; END $$;';
    const file = goose(
      `${slow}\nCREATE INDEX CONCURRENTLY orders_slow_idx ON orders (slow(id));`,
      'DROP INDEX CONCURRENTLY orders_slow_idx;\nDROP FUNCTION slow;',
      '-- +goose NO TRANSACTION\n',
    );
    const admin = new pg.Client({ ...LOCAL_SERVER, database: 'postgres' });
    await admin.connect();
    // The helper is the session in the drill's database that is in a transaction and polls pg_locks (relation-state.ts LOOK_SQL).
    const helpers = async () =>
      (
        await admin.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname LIKE 'drillbot_review_%' AND state LIKE 'idle in transaction%' AND query LIKE '%WITH held AS%'`,
        )
      ).rows[0].n;
    try {
      const t0 = performance.now();
      let ended = false;
      const drilled = drill({ '1_orders.sql': goose(SHOP['1_orders.up.sql'], SHOP['1_orders.down.sql']) }, { '2_idx.sql': file }, { timeoutMs: 4000 }).finally(
        () => (ended = true),
      );
      let helperSeen = false;
      while (!ended) {
        helperSeen ||= (await helpers()) > 0;
        await new Promise((r) => setTimeout(r, 50));
      }
      const report = await drilled;
      // 50 seeded rows take 10 s per scan of the build: the deadline, not the build, ended the drill, and the helper with it.
      expect(performance.now() - t0).toBeLessThan(9000);
      expect(report.findings).toContainEqual(expect.objectContaining({ hazard: 'infra', message: expect.stringMatching(/time limit/) }));
      expect(helperSeen).toBe(true);
      // The review answers at its deadline; the guard ends the drill's sessions right after, well before the watch's own 5 s cap.
      for (let i = 0; i < 20 && (await helpers()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await helpers()).toBe(0);
    } finally {
      await admin.end();
    }
  });

  it('reports the same for a goose NO TRANSACTION file', async () => {
    const file = goose(CIC, 'DROP INDEX CONCURRENTLY orders_user_idx;', '-- +goose NO TRANSACTION\n');
    const report = await drill({ '1_orders.sql': goose(SHOP['1_orders.up.sql'], SHOP['1_orders.down.sql']) }, { '2_idx.sql': file });
    expect(hazards(report)).toEqual([]);
    expect(report.migrations.find((m) => m.direction === 'forward')?.statements[0]).toMatchObject({ line: 3, locks: [SUE], lockView: 'while-waiting' });
    expect(report.drill?.roundTrip).toBe('restored');
  });
});
