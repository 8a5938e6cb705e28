import type pg from 'pg';
import { compareFingerprints, fingerprintData } from '../../src/core/drill/data-fingerprint.js';
import { afterStatement } from '../../src/core/drill/prepared.js';
import { createScratchDatabase, dropScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';

const DATA = `
CREATE TABLE public.users (id int PRIMARY KEY, email text NOT NULL, nickname text, born date, meta jsonb);
INSERT INTO public.users SELECT i, 'u' || i || '@x.test', CASE WHEN i % 4 = 0 THEN NULL ELSE 'nick' || i END,
  date '2000-01-01' + i, jsonb_build_object('i', i) FROM generate_series(1, 50) AS i;
CREATE TABLE public."Order Lines" (id int, "Qty" numeric(8, 2), note text);
INSERT INTO public."Order Lines" SELECT i, i / 3.0, NULL FROM generate_series(1, 30) AS i;
CREATE TABLE public.readings (at date NOT NULL, value int) PARTITION BY RANGE (at);
CREATE TABLE public.readings_2024 PARTITION OF public.readings FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO public.readings SELECT date '2024-01-01' + i, i FROM generate_series(1, 20) AS i;
`;

describe('fingerprintData and compareFingerprints', () => {
  let scratch: ScratchDatabase | undefined;
  let client: pg.Client;

  beforeAll(async () => {
    scratch = await createScratchDatabase('drill_fp');
    client = scratch.client;
    await client.query(DATA);
  });

  afterAll(() => dropScratchDatabase(scratch));

  /** Fingerprints, runs `change` in a transaction that is rolled back, and compares. */
  async function lossesAfter(change: string, tables?: string[]) {
    const before = await fingerprintData(client, tables);
    await client.query('BEGIN');
    try {
      await client.query(change);
      return compareFingerprints(before, await fingerprintData(client, tables));
    } finally {
      await client.query('ROLLBACK');
    }
  }

  it('covers every user table (partitions through their root) with rows and columns', async () => {
    const fp = await fingerprintData(client);
    expect([...fp.keys()]).toEqual(['public."Order Lines"', 'public.readings', 'public.users']);
    expect(fp.get('public.users')?.rows).toBe(50);
    expect([...(fp.get('public.users')?.columns.keys() ?? [])]).toEqual(['id', 'email', 'nickname', 'born', 'meta']);
    expect([...(fp.get('public."Order Lines"')?.columns.keys() ?? [])]).toEqual(['id', '"Qty"', 'note']);
    expect(fp.get('public.readings')?.rows).toBe(20);
  });

  it('reports nothing for an untouched database', async () => {
    expect(compareFingerprints(await fingerprintData(client), await fingerprintData(client))).toEqual([]);
  });

  it('does not depend on row order', async () => {
    expect(await lossesAfter('CLUSTER public.users USING users_pkey; UPDATE public.users SET id = id + 1000 WHERE id < 0')).toEqual([]);
    const reordered = await lossesAfter(`
      CREATE TEMP TABLE keep AS SELECT * FROM public.users ORDER BY id DESC;
      DELETE FROM public.users; INSERT INTO public.users SELECT * FROM keep;`);
    expect(reordered).toEqual([]);
  });

  it('detects a column that was dropped and re-added', async () => {
    expect(await lossesAfter('ALTER TABLE public.users DROP COLUMN nickname; ALTER TABLE public.users ADD COLUMN nickname text')).toEqual([
      { table: 'public.users', column: 'nickname', kind: 'values-changed', before: 50, after: 50 },
    ]);
  });

  it('detects a deleted row', async () => {
    expect(await lossesAfter('DELETE FROM public.users WHERE id = 7')).toEqual([{ table: 'public.users', kind: 'rows-lost', before: 50, after: 49 }]);
  });

  it('detects an updated value, a truncated value and a NULL that became text', async () => {
    expect(await lossesAfter("UPDATE public.users SET email = 'changed@x.test' WHERE id = 3")).toEqual([
      { table: 'public.users', column: 'email', kind: 'values-changed', before: 50, after: 50 },
    ]);
    expect(await lossesAfter('ALTER TABLE public."Order Lines" ALTER COLUMN "Qty" TYPE numeric(8, 0)')).toEqual([
      { table: 'public."Order Lines"', column: '"Qty"', kind: 'values-changed', before: 30, after: 30 },
    ]);
    expect(await lossesAfter(`UPDATE public."Order Lines" SET note = 'n' WHERE id = 1`)).toEqual([
      { table: 'public."Order Lines"', column: 'note', kind: 'values-changed', before: 30, after: 30 },
    ]);
  });

  it('detects a dropped table and a dropped column, and ignores new ones', async () => {
    expect(
      await lossesAfter('DROP TABLE public.readings; ALTER TABLE public.users DROP COLUMN born, ADD COLUMN extra int; CREATE TABLE public.fresh (a int)'),
    ).toEqual([
      { table: 'public.readings', kind: 'table-missing', before: 20, after: 0 },
      { table: 'public.users', column: 'born', kind: 'column-missing', before: 50, after: 50 },
    ]);
  });

  it('fingerprints only the tables asked for, by any spelling of their name', async () => {
    const fp = await fingerprintData(client, ['users', 'public."Order Lines"', 'public.nonexistent']);
    expect([...fp.keys()]).toEqual(['public."Order Lines"', 'public.users']);
    expect(await lossesAfter('DELETE FROM public.readings', ['public.users'])).toEqual([]);
  });

  const scans = async () =>
    (await client.query<{ name: string }>(`SELECT name FROM pg_prepared_statements WHERE name LIKE 'drillbot\\_scan\\_%' ORDER BY name`)).rows.map(
      (r) => r.name,
    );

  it('prepares each table’s scan once, again after the change drops the session’s prepared statements, and again for new columns', async () => {
    // What the tests before prepared goes first, as a change's DEALLOCATE ALL would take it.
    await client.query('DEALLOCATE ALL');
    afterStatement(client, 'DeallocateStmt');
    const first = await fingerprintData(client);
    expect(await scans()).toHaveLength(3);
    expect(await fingerprintData(client)).toEqual(first);
    expect(await scans()).toHaveLength(3);
    await client.query('DEALLOCATE ALL');
    afterStatement(client, 'DeallocateStmt');
    expect(await fingerprintData(client)).toEqual(first);
    expect(await scans()).toHaveLength(3);
    await client.query('ALTER TABLE users ADD COLUMN note text');
    try {
      expect((await fingerprintData(client)).get('public.users')?.columns.has('note')).toBe(true);
      expect(await scans()).toHaveLength(4);
    } finally {
      await client.query('ALTER TABLE users DROP COLUMN note');
    }
  });
});
