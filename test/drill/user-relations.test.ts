import pg from 'pg';
import { fingerprintData } from '../../src/core/drill/data-fingerprint.js';
import { captureRelationState } from '../../src/core/drill/relation-state.js';
import { snapshotSchema } from '../../src/core/drill/schema-snapshot.js';
import { readCatalog } from '../../src/core/drill/seed/catalog.js';
import { collectTableSizes } from '../../src/core/table-sizes.js';
import { userRelation } from '../../src/core/user-relations.js';
import { createScratchDatabase, dropScratchDatabase, LOCAL_SERVER, type ScratchDatabase } from '../support/scratch-database.js';

// Besides the user's own table, the database holds what no migration owns: an extension's views
// (pg_stat_statements, from PostgreSQL's contrib), a table an extension took over (ALTER EXTENSION
// ... ADD TABLE, as extension scripts do), this session's temporary table and another session's.
describe('the user-relation filter', () => {
  let scratch: ScratchDatabase | undefined;
  let client: pg.Client;
  let other: pg.Client | undefined;

  beforeAll(async () => {
    scratch = await createScratchDatabase('drill_userrel');
    client = scratch.client;
    await client.query(`
      CREATE EXTENSION pg_stat_statements;
      CREATE EXTENSION citext;
      CREATE TABLE public.kept (id int PRIMARY KEY, note text);
      INSERT INTO public.kept VALUES (1, 'one');
      CREATE TABLE public.owned_by_extension (id int PRIMARY KEY, word public.citext);
      ALTER EXTENSION citext ADD TABLE public.owned_by_extension;
      CREATE TEMP TABLE mine (id int PRIMARY KEY, note text);
      INSERT INTO mine VALUES (1, 'temp');`);
    other = new pg.Client({ ...LOCAL_SERVER, database: scratch.name });
    await other.connect();
    await other.query('CREATE TEMP TABLE theirs (id int PRIMARY KEY, note text)');
  });

  afterAll(async () => {
    await other?.end();
    await dropScratchDatabase(scratch);
  });

  it('matches the user table only, among tables, views and the temporary schemas', async () => {
    const { rows } = await client.query<{ relname: string; nspname: string }>(`
      SELECT c.relname, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 't') AND ${userRelation()} ORDER BY 1`);
    expect(rows).toEqual([{ relname: 'kept', nspname: 'public' }]);
    // The filter is not vacuous: the others exist where this session can see them.
    const { rows: all } = await client.query<{ relname: string }>(`
      SELECT relname FROM pg_class WHERE relname IN ('owned_by_extension', 'pg_stat_statements', 'mine', 'theirs') ORDER BY 1`);
    expect(all.map((r) => r.relname)).toEqual(['mine', 'owned_by_extension', 'pg_stat_statements', 'theirs']);
  });

  it('serves the schema snapshot', async () => {
    const snapshot = await snapshotSchema(client);
    const relations = [...snapshot.values()].filter((o) => ['table', 'view', 'index'].includes(o.objectType)).map((o) => `${o.objectType} ${o.name}`);
    expect(relations).toEqual(['index public.kept_pkey', 'table public.kept']);
    expect(snapshot.has('extension pg_stat_statements')).toBe(true);
  });

  it('serves the data fingerprint, the relation state, the seeder and the stats', async () => {
    expect([...(await fingerprintData(client)).keys()]).toEqual(['public.kept']);
    expect([...(await captureRelationState(client)).values()].map((t) => t.name)).toEqual(['public.kept']);
    expect((await readCatalog(client)).tables.map((t) => t.name)).toEqual(['public.kept']);
    expect(Object.keys((await collectTableSizes(client)).tables)).toEqual(['public.kept']);
  });
});
