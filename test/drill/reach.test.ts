import type pg from 'pg';
import { seedReach } from '../../src/core/drill/reach.js';
import { parseScript } from '../../src/core/sql/parse.js';
import { createScratchDatabase, dropScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';

// org ← team ← member (FKs); audit is written by member's trigger; unrelated has no tie to them;
// event is partitioned; member_names is a view over member.
const SCHEMA = `
CREATE TABLE org (id int PRIMARY KEY);
CREATE TABLE team (id int PRIMARY KEY, org_id int REFERENCES org);
CREATE TABLE member (id int PRIMARY KEY, team_id int REFERENCES team, name text);
CREATE TABLE badge (id int PRIMARY KEY, member_id int REFERENCES member);
CREATE TABLE audit (at timestamptz);
CREATE TABLE unrelated (id int);
CREATE TABLE event (at date) PARTITION BY RANGE (at);
CREATE TABLE event_2024 PARTITION OF event FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE VIEW member_names AS SELECT name FROM member;
CREATE FUNCTION log_member() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit VALUES (now()); RETURN NEW; END $$;
CREATE TRIGGER member_log AFTER INSERT ON member FOR EACH ROW EXECUTE FUNCTION log_member();
CREATE FUNCTION touch_unrelated() RETURNS void LANGUAGE sql AS $$ UPDATE unrelated SET id = id $$;
CREATE FUNCTION norm(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT lower(t) $$;
CREATE FUNCTION stamp() RETURNS text LANGUAGE sql AS $$ SELECT now()::text $$;
`;

describe('seedReach: the tables a change can touch, from its parse trees and the catalog', () => {
  let scratch: ScratchDatabase | undefined;
  let client: pg.Client;

  beforeAll(async () => {
    scratch = await createScratchDatabase('drill_reach');
    client = scratch.client;
    await client.query(SCHEMA);
  });

  afterAll(() => dropScratchDatabase(scratch));

  async function reachOf(sql: string): Promise<string[] | undefined> {
    const parsed = await parseScript({ sql, startLine: 1 });
    if (!parsed.ok) throw new Error(parsed.error.message);
    const reach = await seedReach(client, parsed.statements);
    if (!reach) return undefined;
    const { rows } = await client.query<{ name: string }>(
      `SELECT relname AS name FROM pg_class WHERE oid = ANY ($1::oid[]) AND relkind IN ('r', 'p') ORDER BY 1`,
      [[...reach]],
    );
    return rows.map((r) => r.name);
  }

  it('takes the named table, its FK children, its triggers’ tables, its views, and the FK parents', async () => {
    expect(await reachOf('ALTER TABLE member ADD COLUMN nick text;')).toEqual(['audit', 'badge', 'member', 'org', 'team']);
  });

  it('takes a table through an index it names, and a partitioned table with its partitions', async () => {
    await client.query('CREATE INDEX member_name ON member (name)');
    try {
      expect(await reachOf('ALTER INDEX member_name RENAME TO member_name_idx;')).toEqual(['audit', 'badge', 'member', 'org', 'team']);
    } finally {
      await client.query('DROP INDEX member_name');
    }
    expect(await reachOf('CREATE INDEX ON event (at);')).toEqual(['event', 'event_2024']);
  });

  it('takes a view’s base tables', async () => {
    expect(await reachOf('SELECT * FROM member_names;')).toEqual(['audit', 'badge', 'member', 'org', 'team']);
  });

  it('leaves out a table the change only creates', async () => {
    expect(await reachOf('CREATE TABLE fresh (id int);')).toEqual([]);
  });

  it('gives up (every table) for statements it cannot see into', async () => {
    expect(await reachOf("DO $$ BEGIN EXECUTE 'UPDATE unrelated SET id = 1'; END $$;")).toBeUndefined();
    expect(await reachOf('ANALYZE;')).toBeUndefined();
    expect(await reachOf('SELECT touch_unrelated();')).toBeUndefined();
    expect(await reachOf('DROP TYPE IF EXISTS some_type CASCADE;')).toBeUndefined();
    expect(await reachOf('DROP FUNCTION touch_unrelated() CASCADE;')).toBeUndefined();
  });

  it('reads a DO block through the statements its body runs, and ANALYZE through its tables', async () => {
    expect(await reachOf('DO $$ BEGIN IF (SELECT count(*) FROM org) > 0 THEN UPDATE unrelated SET id = 1; END IF; END $$;')).toEqual([
      'audit',
      'badge',
      'member',
      'org',
      'team',
      'unrelated',
    ]);
    expect(await reachOf('ANALYZE badge (member_id);')).toEqual(['badge', 'member', 'org', 'team']);
  });

  it('sees through calls of IMMUTABLE functions, and calls stored for later rows', async () => {
    const member = ['audit', 'badge', 'member', 'org', 'team'];
    expect(await reachOf('CREATE INDEX member_norm ON member (norm(name));')).toEqual(member);
    // A new DEFAULT and a new table's columns run nothing now; a new column's DEFAULT runs for every row.
    expect(await reachOf('ALTER TABLE member ALTER COLUMN name SET DEFAULT stamp();')).toEqual(member);
    expect(await reachOf('CREATE TABLE later (id int, at text DEFAULT stamp() CHECK (at <> stamp()));')).toEqual([]);
    expect(await reachOf('ALTER TABLE member ADD COLUMN at text DEFAULT stamp();')).toBeUndefined();
    expect(await reachOf('UPDATE badge SET id = length(stamp());')).toBeUndefined();
  });

  it('takes nothing for a DROP FUNCTION without CASCADE: it fails while anything depends on the function', async () => {
    expect(await reachOf('DROP FUNCTION touch_unrelated(), stamp();')).toEqual([]);
  });

  it('follows the tables a function the change creates names', async () => {
    expect(await reachOf(`CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ DELETE FROM unrelated $$;`)).toEqual(['unrelated']);
  });
});
