import { jest } from '@jest/globals';
import pg from 'pg';
import { runScript, type ScriptRun } from '../../src/core/drill/execute.js';
import { seedDatabase } from '../../src/core/drill/seed.js';
import type { TransactionMode } from '../../src/core/layouts/layout.js';
import { parseScript } from '../../src/core/sql/parse.js';
import { createScratchDatabase, dropScratchDatabase, LOCAL_SERVER, type ScratchDatabase } from '../support/scratch-database.js';

// Issue 9: the drill's observations around each statement cost round trips of their own. node-postgres
// sends one query per round trip, so the calls of client.query are the round trips the server sees.
describe('round trips of an observed script', () => {
  let scratch: ScratchDatabase | undefined;
  let client: pg.Client;

  beforeAll(async () => {
    scratch = await createScratchDatabase('drill_trips');
    client = scratch.client;
    await client.query(`
      CREATE TABLE team (id int PRIMARY KEY);
      CREATE TABLE member (id int PRIMARY KEY, team_id int REFERENCES team);
      INSERT INTO team SELECT generate_series(1, 10);`);
  });

  afterAll(() => dropScratchDatabase(scratch));

  // The session's own plan_cache_mode is the migration's: a statement fails when it finds the drill's.
  const CHECK_MODE = `DO $$ BEGIN
  IF current_setting('plan_cache_mode') <> 'auto' THEN RAISE EXCEPTION 'plan_cache_mode is %', current_setting('plan_cache_mode'); END IF;
END $$;`;
  const SQL = `ALTER TABLE member ADD COLUMN note text;\n${CHECK_MODE}\nUPDATE team SET id = id;\nALTER TABLE member DROP COLUMN note;`;

  /** What the observation of the UPDATE saw: the rows it updated in team. */
  function updatedTeamRows(run: ScriptRun): number | undefined {
    const { before, after } = run.statements[2];
    const team = [...before.values()].find((t) => t.name === 'public.team');
    return team && after.get(team.oid)!.nTupUpd - team.nTupUpd;
  }

  async function sentWhileRunning(transaction: TransactionMode) {
    const script = { path: 'db/1.sql', sql: SQL, startLine: 1, transaction };
    const parsed = await parseScript(script);
    if (!parsed.ok) throw new Error(parsed.error.message);
    const query = jest.spyOn(client, 'query');
    try {
      const run = await runScript(client, script, parsed.statements);
      const sent = query.mock.calls.map(([sql]) => (typeof sql === 'string' ? sql : JSON.stringify(sql)));
      return { run, sent, statements: parsed.statements.map((s) => s.text) };
    } finally {
      query.mockRestore();
    }
  }

  it('observes a statement of a transactional script in one round trip besides its own; BEGIN and COMMIT share them', async () => {
    const { run, sent, statements } = await sentWhileRunning('transaction');
    expect(run.status).toBe('applied');
    expect(updatedTeamRows(run)).toBe(10);
    // Each statement is sent alone; before the first, the state of its tables (with BEGIN); after each, its locks and state (with the next one's).
    expect(sent.filter((sql) => statements.includes(sql))).toEqual(statements);
    expect(sent).toHaveLength(2 * statements.length + 2);
    expect(sent.at(-1)).toBe('COMMIT');
  });

  it('observes a statement in a block of its own in two round trips besides its own: BEGIN with the state before, COMMIT with the state after', async () => {
    const { run, sent, statements } = await sentWhileRunning('none');
    expect(run.status).toBe('applied');
    expect(run.statements.map((s) => s.lockView)).toEqual(['in-transaction', 'in-transaction', 'in-transaction', 'in-transaction']);
    expect(updatedTeamRows(run)).toBe(10);
    expect(sent.filter((sql) => statements.includes(sql))).toEqual(statements);
    expect(sent).toHaveLength(3 * statements.length);
    expect(sent.filter((sql) => /^BEGIN;/.test(sql))).toHaveLength(statements.length);
    expect(sent.filter((sql) => /;\nCOMMIT$/.test(sql))).toHaveLength(statements.length);
  });

  it("runs the migration's statements with the session's plan_cache_mode, and leaves it so", async () => {
    await client.query('SET plan_cache_mode = force_custom_plan');
    try {
      const script = {
        path: 'db/2.sql',
        sql: `SET plan_cache_mode = auto;\n${CHECK_MODE}\nALTER TABLE team ADD COLUMN x int;`,
        startLine: 1,
        transaction: 'none' as const,
      };
      const parsed = await parseScript(script);
      if (!parsed.ok) throw new Error(parsed.error.message);
      expect((await runScript(client, script, parsed.statements)).status).toBe('applied');
      expect((await client.query('SHOW plan_cache_mode')).rows[0].plan_cache_mode).toBe('auto');
    } finally {
      await client.query('RESET plan_cache_mode; ALTER TABLE team DROP COLUMN IF EXISTS x');
    }
  });
});

describe('round trips of seeding', () => {
  let scratch: ScratchDatabase | undefined;

  beforeAll(async () => {
    scratch = await createScratchDatabase('seed_trips');
    await scratch.client.query(`
      CREATE TABLE team (id int PRIMARY KEY, name text NOT NULL);
      CREATE TABLE member (id int PRIMARY KEY, team_id int NOT NULL REFERENCES team, email text UNIQUE);`);
  });

  afterAll(() => dropScratchDatabase(scratch));

  it('reads the catalog in one round trip and fills a table in two: BEGIN with the count (and the previous table’s COMMIT), the savepoint with the insert', async () => {
    const query = jest.spyOn(scratch!.client, 'query');
    try {
      const seeded = await seedDatabase(scratch!.client, { rowsPerTable: 20 });
      expect(seeded.tables).toEqual([
        { table: 'public.team', rows: 20 },
        { table: 'public.member', rows: 20 },
      ]);
      const sent = query.mock.calls.map(([sql]) => String(sql));
      expect(sent).toHaveLength(1 + 2 * seeded.tables.length + 1);
      expect(sent[1]).toMatch(/^BEGIN;\nSELECT count\(\*\)/);
      expect(sent[2]).toMatch(/^SAVEPOINT drillbot_seed;\nINSERT INTO public\.team /);
      expect(sent[3]).toMatch(/^COMMIT;\nBEGIN;\nSELECT count\(\*\)/);
      expect(sent[4]).toMatch(/^SAVEPOINT drillbot_seed;\nINSERT INTO public\.member /);
      expect(sent[5]).toBe('COMMIT');
      // Both tables' rows are committed: another session sees them.
      const other = new pg.Client({ ...LOCAL_SERVER, database: scratch!.name });
      await other.connect();
      try {
        expect((await other.query('SELECT (SELECT count(*) FROM team)::int AS teams, (SELECT count(*) FROM member)::int AS members')).rows[0]).toEqual({
          teams: 20,
          members: 20,
        });
      } finally {
        await other.end();
      }
    } finally {
      query.mockRestore();
    }
  });
});
