import type pg from 'pg';
import { captureRelationState, heldLocks, type TableState } from '../../src/core/drill/relation-state.js';
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
