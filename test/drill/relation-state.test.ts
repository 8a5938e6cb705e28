import type pg from 'pg';
import { runScript } from '../../src/core/drill/execute.js';
import { statementScope } from '../../src/core/drill/reach.js';
import { captureLocksAndState, captureRelationState, captureScope, heldLocks, type TableState } from '../../src/core/drill/relation-state.js';
import { parseScript } from '../../src/core/sql/parse.js';
import { createScratchDatabase, dropScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';

describe('captureRelationState and heldLocks', () => {
  let scratch: ScratchDatabase | undefined;
  let client: pg.Client;

  beforeAll(async () => {
    scratch = await createScratchDatabase('drill_rel');
    client = scratch.client;
    await client.query(`
      CREATE TABLE public.accounts (id int PRIMARY KEY, name varchar(100), balance int);
      CREATE INDEX accounts_name_idx ON public.accounts (name);
      INSERT INTO public.accounts SELECT i, 'a' || i, i FROM generate_series(1, 100) AS i;
      CREATE TABLE public.logs (at date NOT NULL) PARTITION BY RANGE (at);`);
  });

  afterAll(() => dropScratchDatabase(scratch));

  async function inTransaction<T>(fn: () => Promise<T>): Promise<T> {
    await client.query('BEGIN');
    try {
      return await fn();
    } finally {
      await client.query('ROLLBACK');
    }
  }

  async function accounts(): Promise<TableState> {
    const state = [...(await captureRelationState(client)).values()].find((t) => t.name === 'public.accounts');
    if (!state) throw new Error('public.accounts not captured');
    return state;
  }

  it('captures user tables with their indexes and columns', async () => {
    const state = await captureRelationState(client);
    expect([...state.values()].map((t) => t.name).sort()).toEqual(['public.accounts', 'public.logs']);
    const table = await accounts();
    expect(table).toMatchObject({ relkind: 'r' });
    expect(table?.columns.map((c) => c.name)).toEqual(['id', 'name', 'balance']);
    expect(table.indexes.map((i) => i.name).sort()).toEqual(['public.accounts_name_idx', 'public.accounts_pkey']);
    expect(table.relfilenode).toBeGreaterThan(0);
    expect(state.get(table.oid)?.name).toBe('public.accounts');
    const logs = [...state.values()].find((t) => t.name === 'public.logs');
    expect(logs).toMatchObject({ relkind: 'p', relfilenode: 0, indexes: [] });
  });

  it('captures only the tables asked for', async () => {
    const { oid } = await accounts();
    expect([...(await captureRelationState(client, [oid])).keys()]).toEqual([oid]);
  });

  it('counts scans and writes of the transaction, which ROLLBACK TO SAVEPOINT does not undo', async () => {
    await inTransaction(async () => {
      const before = await accounts();
      await client.query('SAVEPOINT s');
      await client.query('SELECT count(*) FROM public.accounts');
      await client.query('UPDATE public.accounts SET balance = balance + 1 WHERE id <= 10');
      await client.query('DELETE FROM public.accounts WHERE id > 95');
      await client.query('ROLLBACK TO SAVEPOINT s');
      const after = await accounts();
      expect(after.seqScan - before.seqScan).toBeGreaterThanOrEqual(1);
      expect(after.seqTupRead - before.seqTupRead).toBeGreaterThanOrEqual(100);
      expect(after.nTupUpd - before.nTupUpd).toBe(10);
      expect(after.nTupDel - before.nTupDel).toBe(5);
    });
  });

  it('sees AccessExclusiveLock after ALTER TABLE ... ADD COLUMN', async () => {
    await inTransaction(async () => {
      await client.query('ALTER TABLE public.accounts ADD COLUMN note text');
      const locks = await heldLocks(client);
      expect(locks).toContainEqual({ relation: 'public.accounts', oid: expect.any(Number), mode: 'AccessExclusiveLock' });
      expect(locks.every((l) => !l.relation.startsWith('pg_catalog.') && l.oid >= 16384)).toBe(true);
    });
  });

  it('sees ShareLock after CREATE INDEX', async () => {
    await inTransaction(async () => {
      await client.query('CREATE INDEX accounts_balance_idx ON public.accounts (balance)');
      const locks = await heldLocks(client);
      expect(locks).toContainEqual(expect.objectContaining({ relation: 'public.accounts', mode: 'ShareLock' }));
      expect(locks.some((l) => l.relation === 'public.accounts' && l.mode === 'AccessExclusiveLock')).toBe(false);
    });
  });

  it('holds no relation locks outside a transaction', async () => {
    expect(await heldLocks(client)).toEqual([]);
  });

  it('sees a rewrite in relfilenode after ALTER COLUMN TYPE bigint', async () => {
    await inTransaction(async () => {
      const before = await accounts();
      await client.query('ALTER TABLE public.accounts ALTER COLUMN balance TYPE bigint');
      const after = await accounts();
      expect(after.relfilenode).not.toBe(before.relfilenode);
    });
  });

  it('sees no rewrite after widening varchar(100) to varchar(200)', async () => {
    await inTransaction(async () => {
      const before = await accounts();
      await client.query('ALTER TABLE public.accounts ALTER COLUMN name TYPE varchar(200)');
      const after = await accounts();
      expect(after.relfilenode).toBe(before.relfilenode);
      // The index on the column is kept too: PostgreSQL skips the rebuild for a binary-coercible change.
      expect(after.indexes.map((i) => i.relfilenode)).toEqual(before.indexes.map((i) => i.relfilenode));
    });
  });
});

// org ← team ← member (FKs), badge → member; unrelated has no tie to them; event is partitioned;
// member_names is a view over member; audit_log's trigger writes elsewhere; touch() is the database's own function.
const SCOPE_SCHEMA = `
CREATE TABLE org (id int PRIMARY KEY);
CREATE TABLE team (id int PRIMARY KEY, org_id int REFERENCES org ON DELETE CASCADE);
CREATE TABLE member (id int PRIMARY KEY, team_id int REFERENCES team ON DELETE CASCADE, name text);
CREATE INDEX member_name_idx ON member (name);
CREATE TABLE unrelated (id int);
CREATE TABLE event (at date) PARTITION BY RANGE (at);
CREATE TABLE event_2024 PARTITION OF event FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE VIEW member_names AS SELECT name FROM member;
CREATE TABLE audit_log (at timestamptz);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE unrelated SET id = id; RETURN NEW; END $$;
CREATE TRIGGER audit_touch AFTER INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION touch();
CREATE FUNCTION norm(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT lower(t) $$;
`;

describe('captureScope: the tables one statement can change, in one round trip', () => {
  let scratch: ScratchDatabase | undefined;
  let client: pg.Client;
  let everyTable: string[];

  beforeAll(async () => {
    scratch = await createScratchDatabase('drill_scope');
    client = scratch.client;
    await client.query(SCOPE_SCHEMA);
    everyTable = names(await captureRelationState(client));
  });

  afterAll(() => dropScratchDatabase(scratch));

  const names = (state: Map<number, TableState> | ReadonlyMap<number, TableState>) => [...state.values()].map((t) => t.name).sort();

  async function scopeOf(sql: string): Promise<string[]> {
    const parsed = await parseScript({ sql, startLine: 1 });
    if (!parsed.ok) throw new Error(parsed.error.message);
    return names(await captureScope(client, statementScope(parsed.statements[0])));
  }

  it('takes the named table, its FK children transitively and its FK parents', async () => {
    expect(await scopeOf('ALTER TABLE org ADD COLUMN x int;')).toEqual(['public.member', 'public.org', 'public.team']);
    expect(await scopeOf('ALTER TABLE member ADD COLUMN x int;')).toEqual(['public.member', 'public.team']);
    expect(await scopeOf('DELETE FROM team;')).toEqual(['public.member', 'public.org', 'public.team']);
  });

  it('takes a table through an index it names, and a partitioned table with its partitions', async () => {
    expect(await scopeOf('ALTER INDEX member_name_idx RENAME TO member_name_index;')).toEqual(['public.member', 'public.team']);
    expect(await scopeOf('CREATE INDEX ON event (at);')).toEqual(['public.event', 'public.event_2024']);
    expect(await scopeOf('ALTER TABLE event_2024 ADD CHECK (at IS NOT NULL);')).toEqual(['public.event', 'public.event_2024']);
  });

  it('takes the tables of the statements a DO block runs', async () => {
    expect(await scopeOf('DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM org) THEN DELETE FROM team; END IF; END $$;')).toEqual([
      'public.member',
      'public.org',
      'public.team',
    ]);
  });

  it('takes the named tables when the only functions called are IMMUTABLE ones of the database', async () => {
    expect(await scopeOf('CREATE INDEX ON member (norm(name));')).toEqual(['public.member', 'public.team']);
  });

  it('takes nothing for a statement that names no table', async () => {
    expect(await scopeOf('SET lock_timeout = 1000;')).toEqual([]);
    expect(await scopeOf('CREATE TABLE fresh (id int);')).toEqual([]);
    expect(await scopeOf('SELECT now();')).toEqual([]);
  });

  it('takes every table where the text does not say what is changed', async () => {
    // A trigger, a view or a function of the database's own carries the write further; dynamic SQL is known only when it runs.
    expect(await scopeOf('INSERT INTO audit_log VALUES (now());')).toEqual(everyTable);
    expect(await scopeOf("INSERT INTO member_names VALUES ('x');")).toEqual(everyTable);
    expect(await scopeOf('SELECT touch();')).toEqual(everyTable);
    expect(await scopeOf("DO $$ BEGIN EXECUTE 'UPDATE unrelated SET id = 1'; END $$;")).toEqual(everyTable);
    expect(await scopeOf('DO $$ BEGIN PERFORM touch(); END $$;')).toEqual(everyTable);
    expect(await scopeOf('DROP TABLE a.b.c;')).toEqual(everyTable);
  });

  it('sees the same tables after the statement by oid, with the locks it holds, in one query', async () => {
    await client.query('BEGIN');
    try {
      const parsed = await parseScript({ sql: 'ALTER TABLE member RENAME TO person;', startLine: 1 });
      if (!parsed.ok) throw new Error(parsed.error.message);
      const before = await captureScope(client, statementScope(parsed.statements[0]));
      await client.query(parsed.statements[0].text);
      const { locks, state: after } = await captureLocksAndState(client, [...before.keys()]);
      expect(names(after)).toEqual(['public.person', 'public.team']);
      expect(locks).toContainEqual(expect.objectContaining({ relation: 'public.person', mode: 'AccessExclusiveLock' }));
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it("takes the next statement's state in the same round trip as the after-state: what captureScope sees at that moment", async () => {
    await client.query('BEGIN');
    try {
      const parsed = await parseScript({ sql: 'ALTER TABLE org ADD COLUMN x int; DELETE FROM team; INSERT INTO audit_log VALUES (now());', startLine: 1 });
      if (!parsed.ok) throw new Error(parsed.error.message);
      const [alter, del, insert] = parsed.statements;
      await client.query(alter.text);
      for (const next of [del, insert]) {
        const seen = await captureLocksAndState(client, [], { scope: statementScope(next) });
        expect(seen.next).toEqual(await captureScope(client, statementScope(next)));
      }
      // The INSERT's table has a trigger: every table, as captureScope says.
      expect(names((await captureLocksAndState(client, [], { scope: statementScope(insert) })).next!)).toEqual(everyTable);
      expect((await captureLocksAndState(client, [])).next).toBeUndefined();
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it("leaves the session's plan_cache_mode as it was: only the drill's own queries reuse a generic plan", async () => {
    await client.query('SET plan_cache_mode = force_custom_plan');
    try {
      await captureScope(client, { names: ['"team"'], functions: [], writesRows: false });
      await captureLocksAndState(client, [], { scope: undefined });
      expect((await client.query('SHOW plan_cache_mode')).rows[0].plan_cache_mode).toBe('force_custom_plan');
    } finally {
      await client.query('RESET plan_cache_mode');
    }
  });

  it('observes the statements after one that drops the prepared statements of the session (DEALLOCATE ALL)', async () => {
    const script = {
      path: 'db/1.sql',
      sql: 'ALTER TABLE org ADD COLUMN y int;\nDEALLOCATE ALL;\nALTER TABLE team ADD COLUMN y int;',
      startLine: 1,
      transaction: 'transaction' as const,
    };
    const parsed = await parseScript(script);
    if (!parsed.ok) throw new Error(parsed.error.message);
    try {
      const run = await runScript(client, script, parsed.statements);
      expect(run.status).toBe('applied');
      const team = run.statements[2];
      expect(team.locks).toContainEqual(expect.objectContaining({ relation: 'public.team', mode: 'AccessExclusiveLock' }));
      expect(names(team.before)).toEqual(['public.member', 'public.org', 'public.team']);
    } finally {
      await client.query('ALTER TABLE org DROP COLUMN IF EXISTS y; ALTER TABLE team DROP COLUMN IF EXISTS y');
    }
  });
});
