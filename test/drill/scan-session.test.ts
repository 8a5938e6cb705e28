import pg from 'pg';
import { ScanSession } from '../../src/core/drill/scan-session.js';
import { drill, hazards } from '../support/drill.js';
import { createScratchDatabase, dropScratchDatabase, LOCAL_SERVER, type ScratchDatabase } from '../support/scratch-database.js';

/** The checkpoints' scan session on a real database: pinned text forms, and a new session when one is ended. */

let scratch: ScratchDatabase | undefined;
let session: ScanSession;
let opened: number;

beforeAll(async () => {
  scratch = await createScratchDatabase('scan_session');
});

afterAll(() => dropScratchDatabase(scratch));

beforeEach(() => {
  opened = 0;
  session = new ScanSession(async () => {
    opened++;
    const client = new pg.Client({ ...LOCAL_SERVER, database: scratch!.name });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  });
});

afterEach(() => session.close());

const pid = (client: pg.ClientBase) => client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid').then((r) => r.rows[0].pid);

it('prints values the same way whatever the database’s defaults are, also on a session opened after they changed', async () => {
  const value = `SELECT now()::date::text || ' ' || interval '1 day 2 hours' || ' ' || 1.1::float8 || ' ' || 'pg_class'::regclass::text AS text`;
  const before = await session.run((c) => c.query<{ text: string }>(value));
  await scratch!.client.query(`ALTER DATABASE ${scratch!.name} SET DateStyle = 'SQL, DMY'`);
  await scratch!.client.query(`ALTER DATABASE ${scratch!.name} SET IntervalStyle = 'sql_standard'`);
  await scratch!.client.query(`ALTER DATABASE ${scratch!.name} SET extra_float_digits = 3`);
  await scratch!.client.query(`ALTER DATABASE ${scratch!.name} SET search_path = pg_catalog`);
  try {
    await session.close();
    const after = await session.run((c) => c.query<{ text: string }>(value));
    expect(opened).toBe(2);
    expect(after.rows[0].text).toBe(before.rows[0].text);
    expect(after.rows[0].text).toMatch(/^\d{4}-\d\d-\d\d 1 day 02:00:00 1\.1 pg_class$/);
  } finally {
    await scratch!.client.query(`ALTER DATABASE ${scratch!.name} RESET ALL`);
  }
});

it('runs the work on a new session when its session was ended before it, and when it is ended under it', async () => {
  const first = await session.run(pid);
  await scratch!.client.query('SELECT pg_terminate_backend($1, 5000)', [first]);
  const second = await session.run(pid);
  expect(second).not.toBe(first);
  let attempts = 0;
  const third = await session.run(async (c) => {
    if (++attempts === 1) await c.query('SELECT pg_terminate_backend(pg_backend_pid())');
    return pid(c);
  });
  expect(attempts).toBe(2);
  expect([first, second]).not.toContain(third);
  expect(opened).toBe(3);
});

it('runs the work on a new session when the session’s termination has arrived but its end has not (it refuses queries in between)', async () => {
  // Asked from the 'error' listener, the work runs before pg emits 'end', as a checkpoint right after a migration's terminate may.
  let asked: Promise<number> | undefined;
  const ended = new Promise((resolve) => {
    void session.run((c) => {
      c.once('error', () => resolve((asked = session.run(pid))));
      return Promise.resolve();
    });
  });
  const first = await session.run(pid);
  await scratch!.client.query('SELECT pg_terminate_backend($1)', [first]);
  await ended;
  expect(await asked).not.toBe(first);
  expect(opened).toBe(2);
});

it('does not run the work again for an error of its own', async () => {
  let attempts = 0;
  await expect(
    session.run((c) => {
      attempts++;
      return c.query('SELECT 1 / 0');
    }),
  ).rejects.toThrow('division by zero');
  expect(attempts).toBe(1);
  expect(opened).toBe(1);
});

it('keeps a migration that sets its session’s TimeZone and DateStyle from looking like lost data or a changed default (both were reported before the drill pinned them)', async () => {
  const base = {
    '1_events.up.sql': "CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT '2020-01-02 03:04:05+00', d date DEFAULT '2020-01-02');",
    '1_events.down.sql': 'DROP TABLE events;',
  };
  const report = await drill(
    base,
    {
      '2_note.up.sql': "SET TimeZone = 'Asia/Tokyo';\nSET DateStyle = 'SQL, DMY';\nALTER TABLE events ADD COLUMN note text;",
      '2_note.down.sql': 'ALTER TABLE events DROP COLUMN note;',
    },
    { seedRows: 10 },
  );
  expect(report.drill?.seededRows).toBe(10);
  expect(hazards(report)).toEqual([]);
  expect(report.drill?.roundTrip).toBe('restored');
});
