import { randomBytes } from 'node:crypto';
import { seedDatabase, type SeedResult, type SeededTable } from '../../src/core/drill/seed.js';
import { createScratchDatabase, dropScratchDatabase, withAdmin, type ScratchDatabase } from '../support/scratch-database.js';

// Shapes met in real histories (Harness, Hatchet, Lemmy in the corpus) on which the seeder used to
// leave tables empty. Each table below got no rows before; the schema is created by an
// unprivileged role, which then seeds it, as in the drill.
const suffix = randomBytes(6).toString('hex');
const role = `drill_seeder_${suffix}`;
const ROWS = 30;

const SCHEMA = `
-- A cycle: job needs a version, a version may name a failure job. Alphabetically job comes first.
CREATE TABLE app.job (id int PRIMARY KEY, version_id int NOT NULL, name text NOT NULL);
CREATE TABLE app.version (id int PRIMARY KEY, on_failure_job_id int REFERENCES app.job);
ALTER TABLE app.job ADD FOREIGN KEY (version_id) REFERENCES app.version;
-- A NOT NULL self-reference.
CREATE TABLE app.node (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES app.node);
-- Two references to one parent that must differ.
CREATE TABLE app.manifest (id int PRIMARY KEY);
CREATE TABLE app.manifest_ref (
  parent_id int NOT NULL REFERENCES app.manifest, child_id int NOT NULL REFERENCES app.manifest,
  CHECK (parent_id <> child_id), UNIQUE (parent_id, child_id));
-- Partial and expression unique indexes, and at most one of two owners.
CREATE TABLE app.space (id int PRIMARY KEY);
CREATE TABLE app.label (
  id int PRIMARY KEY, space_id int REFERENCES app.space, repo_id int REFERENCES app.space, key text NOT NULL,
  CONSTRAINT label_space_or_repo CHECK (space_id IS NULL OR repo_id IS NULL));
CREATE UNIQUE INDEX label_space_key ON app.label (space_id, lower(key)) WHERE space_id IS NOT NULL;
CREATE UNIQUE INDEX label_repo_key ON app.label (repo_id, lower(key)) WHERE repo_id IS NOT NULL;
CREATE TABLE app.site_aggregates (id int PRIMARY KEY, users int NOT NULL);
CREATE UNIQUE INDEX site_aggregates_one_row ON app.site_aggregates ((true));
-- An exclusion constraint: no two bookings of a room overlap.
CREATE TABLE app.booking (id int PRIMARY KEY, during tsrange NOT NULL, note text NOT NULL, EXCLUDE USING gist (during WITH &&));
-- Common CHECK shapes: a range, a length, a regex, an enum in a disjunction, a generated column.
CREATE TYPE app.location AS ENUM ('EXTERNAL', 'INLINE');
CREATE TABLE app.payload (
  id int PRIMARY KEY,
  priority int NOT NULL CHECK (priority BETWEEN 40 AND 60),
  code text NOT NULL CHECK (char_length(code) >= 4),
  slug text NOT NULL CHECK (slug ~ '^[a-z]+[0-9]{2}$'),
  location app.location NOT NULL,
  content jsonb,
  doubled int GENERATED ALWAYS AS (priority * 2) STORED,
  CONSTRAINT payload_location CHECK (location = 'INLINE' OR (location = 'EXTERNAL' AND content IS NULL AND code = 'none')));
-- Domains with CHECKs, ranges.
CREATE DOMAIN app.handle AS text CHECK (VALUE ~ '^[a-z]+[0-9]{2,}$') CHECK (length(VALUE) <= 8);
CREATE DOMAIN app.percent AS numeric(5, 2) NOT NULL CHECK (VALUE >= 50 AND VALUE <= 100);
CREATE TABLE app.account (id int PRIMARY KEY, handle app.handle NOT NULL UNIQUE, share app.percent, span int4range NOT NULL, during tstzrange NOT NULL);
-- A uuid identifier nothing keeps unique yet (Hatchet adds the primary key later).
CREATE TABLE app.cron_ref (id uuid NOT NULL, cron text NOT NULL);
-- A composite type.
CREATE TYPE app.money AS (amount numeric(10, 2), currency char(3), note box);
CREATE TABLE app.price (id int PRIMARY KEY, value app.money NOT NULL);
-- Rows a parent's trigger already wrote.
CREATE TABLE app.tenant (id int PRIMARY KEY);
CREATE TABLE app.tenant_settings (tenant_id int PRIMARY KEY REFERENCES app.tenant, max_frequency text NOT NULL DEFAULT '1h');
CREATE FUNCTION app.add_settings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO app.tenant_settings (tenant_id) VALUES (NEW.id); RETURN NEW; END $$;
CREATE TRIGGER tenant_settings AFTER INSERT ON app.tenant FOR EACH ROW EXECUTE FUNCTION app.add_settings();
-- What cannot be filled, and its children.
CREATE TABLE app.shape (id int PRIMARY KEY, outline box NOT NULL);
CREATE TABLE app.shape_tag (shape_id int NOT NULL REFERENCES app.shape, tag text);
CREATE TABLE app.events (id int, at date NOT NULL) PARTITION BY RANGE (at);
`;

describe('seedDatabase on real-world schema shapes', () => {
  let db: ScratchDatabase;
  let result: SeedResult;
  let byTable: Map<string, SeededTable>;

  beforeAll(async () => {
    await withAdmin((admin) => admin.query(`CREATE ROLE ${role} NOSUPERUSER NOLOGIN`));
    db = await createScratchDatabase('drill_seed_real');
    await db.client.query(`CREATE SCHEMA app AUTHORIZATION ${role}`);
    // A table of another owner, which the seeding role may write but not alter (no DISABLE TRIGGER).
    await db.client.query(`
      CREATE TABLE app.foreign_owned (id int PRIMARY KEY);
      CREATE FUNCTION app.reject() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'written by the application only'; END $$;
      CREATE TRIGGER reject BEFORE INSERT ON app.foreign_owned FOR EACH ROW EXECUTE FUNCTION app.reject();
      GRANT SELECT, INSERT ON app.foreign_owned TO ${role}`);
    await db.client.query(`SET ROLE ${role}`);
    await db.client.query(SCHEMA);
    result = await seedDatabase(db.client, { rowsPerTable: ROWS });
    byTable = new Map(result.tables.map((t) => [t.table, t]));
  });

  afterAll(async () => {
    await dropScratchDatabase(db);
    await withAdmin((admin) => admin.query(`DROP ROLE IF EXISTS ${role}`));
  });

  const count = async (sql: string): Promise<number> => Number((await db.client.query(sql)).rows[0].n);
  const full = (table: string) => expect(byTable.get(table)).toEqual({ table, rows: ROWS });

  it('breaks a foreign-key cycle at the nullable reference', async () => {
    full('app.version');
    full('app.job');
    expect(result.tables.map((t) => t.table).indexOf('app.version')).toBeLessThan(result.tables.map((t) => t.table).indexOf('app.job'));
  });

  it('fills a NOT NULL self-reference with the row itself', async () => {
    full('app.node');
    expect(await count('SELECT count(*) AS n FROM app.node WHERE parent_id = id')).toBe(ROWS);
  });

  it('points two references to one parent at different rows', async () => {
    full('app.manifest_ref');
    expect(await count('SELECT count(*) AS n FROM app.manifest_ref WHERE parent_id = child_id')).toBe(0);
  });

  it('keeps values of partial and expression unique indexes distinct, and respects a CHECK over two columns', async () => {
    full('app.label');
    expect(await count('SELECT count(*) AS n FROM app.label WHERE space_id IS NOT NULL')).toBeGreaterThan(0);
  });

  it('fills what a unique index on a constant admits (one row) and names the index', async () => {
    expect(byTable.get('app.site_aggregates')).toEqual({ table: 'app.site_aggregates', rows: 1, reason: expect.stringContaining('site_aggregates_one_row') });
    expect(await count('SELECT count(*) AS n FROM app.site_aggregates')).toBe(1);
  });

  it('keeps the values of an exclusion constraint apart, and still repeats the other columns', async () => {
    full('app.booking');
    expect(await count('SELECT count(DISTINCT note) AS n FROM app.booking')).toBeLessThan(ROWS);
  });

  it('keeps only generated rows that satisfy ranges, lengths, regexes and disjunctions over enums', async () => {
    full('app.payload');
    expect(await count("SELECT count(*) AS n FROM app.payload WHERE location = 'INLINE' AND doubled = priority * 2")).toBe(ROWS);
  });

  it('fills domains with CHECKs and range types', async () => {
    full('app.account');
    expect(await count('SELECT count(DISTINCT handle) AS n FROM app.account WHERE share BETWEEN 50 AND 100 AND NOT isempty(span)')).toBe(ROWS);
  });

  it('fills composite types field by field (NULL where a field type has no values)', async () => {
    full('app.price');
    expect(await count('SELECT count(*) AS n FROM app.price WHERE (value).amount IS NOT NULL AND (value).currency IS NOT NULL AND (value).note IS NULL')).toBe(
      ROWS,
    );
  });

  it('repeats values of columns nothing keeps unique, except uuid identifiers', async () => {
    full('app.cron_ref');
    expect(await count('SELECT count(DISTINCT id) AS n FROM app.cron_ref')).toBe(ROWS);
    expect(await count('SELECT count(DISTINCT cron) AS n FROM app.cron_ref')).toBeLessThan(ROWS);
  });

  it("tops up a table a parent's trigger already filled", async () => {
    full('app.tenant_settings');
  });

  it('says why a table stays empty: an unsupported type, an empty parent, no partition, a trigger the role cannot disable', async () => {
    expect(byTable.get('app.shape')).toEqual({ table: 'app.shape', rows: 0, reason: expect.stringContaining('type box for NOT NULL column outline') });
    expect(byTable.get('app.shape_tag')).toEqual({ table: 'app.shape_tag', rows: 0, reason: 'parent table app.shape is empty' });
    expect(byTable.get('app.events')).toEqual({ table: 'app.events', rows: 0, reason: expect.stringContaining('no partition') });
    const foreign = byTable.get('app.foreign_owned');
    expect(foreign).toEqual({ table: 'app.foreign_owned', rows: 0, reason: expect.stringContaining('written by the application only') });
    // The trigger is still enabled: the seeding role could not disable it.
    expect(await count("SELECT count(*) AS n FROM pg_trigger WHERE tgname = 'reject' AND tgenabled = 'O'")).toBe(1);
  });

  it('reports every table, and a reason exactly for those short of rows', () => {
    expect(result.tables.filter((t) => t.rows < ROWS).every((t) => t.reason)).toBe(true);
    expect(result.tables.filter((t) => t.rows >= ROWS).some((t) => t.reason)).toBe(false);
    expect(result.totalRows).toBe(result.tables.reduce((sum, t) => sum + t.rows, 0));
  });
});
