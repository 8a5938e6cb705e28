import type pg from 'pg';
import { definitionOf, describeDifference, reverseFixFor } from '../../src/core/drill/schema-fixes.js';
import { diffSchemas, snapshotSchema, type SchemaDifference } from '../../src/core/drill/schema-snapshot.js';
import { createScratchDatabase, dropScratchDatabase, type ScratchDatabase } from '../support/scratch-database.js';

// Real PostgreSQL (see the brief in test/drill): each file makes its own scratch database.
const BASE_SCHEMA = `
CREATE EXTENSION IF NOT EXISTS citext;
CREATE SCHEMA scratch;
CREATE TYPE public.order_status AS ENUM ('new', 'paid', 'shipped');
CREATE TYPE public.address AS (street text, zip varchar(10));
CREATE DOMAIN public.email AS citext CHECK (VALUE LIKE '%@%');
CREATE TABLE public.users (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email public.email NOT NULL UNIQUE,
  nickname text,
  name text COLLATE "C",
  created_at timestamptz DEFAULT now()
);
CREATE INDEX users_created_at_idx ON public.users (created_at);
CREATE TABLE public.orders (
  id bigserial PRIMARY KEY,
  user_id integer NOT NULL REFERENCES public.users (id),
  parent_id bigint REFERENCES public.orders (id) DEFERRABLE INITIALLY DEFERRED,
  status text NOT NULL DEFAULT 'new',
  state public.order_status,
  total numeric(10, 2) CHECK (total >= 0),
  doubled numeric GENERATED ALWAYS AS (total * 2) STORED
);
CREATE TABLE public.measurements (id bigint NOT NULL, at date NOT NULL, value double precision) PARTITION BY RANGE (at);
CREATE TABLE public.measurements_2024 PARTITION OF public.measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX measurements_at_idx ON public.measurements (at);
CREATE SEQUENCE public.invoice_numbers START 1000 INCREMENT 10;
CREATE VIEW public.paid_orders AS SELECT id, total FROM public.orders WHERE state = 'paid';
CREATE MATERIALIZED VIEW public.order_totals AS SELECT user_id, sum(total) AS total FROM public.orders GROUP BY user_id;
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.created_at := now(); RETURN NEW; END $$;
CREATE TRIGGER users_touch BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION public.touch();
CREATE TRIGGER users_touch_off BEFORE INSERT ON public.users FOR EACH ROW EXECUTE FUNCTION public.touch();
ALTER TABLE public.users DISABLE TRIGGER users_touch_off;
ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_orders ON public.orders FOR SELECT TO PUBLIC USING (user_id > 0);
`;

describe('snapshotSchema', () => {
  let scratch: ScratchDatabase | undefined;
  let client: pg.Client;

  beforeAll(async () => {
    scratch = await createScratchDatabase('drill_snap');
    client = scratch.client;
    await client.query(BASE_SCHEMA);
  });

  afterAll(() => dropScratchDatabase(scratch));

  /** Applies `sql`, returns the diff against the base, then restores the base by running `undo`. */
  async function diffAfter(sql: string): Promise<SchemaDifference[]> {
    const before = await snapshotSchema(client, { excludeSchemas: ['scratch'] });
    await client.query(sql);
    return diffSchemas(before, await snapshotSchema(client, { excludeSchemas: ['scratch'] }));
  }

  /**
   * Applies `sql`, then checks the differences against the base (their keys, if given), how each
   * is described and which fix undoes it; the fixes, run together, must restore the base.
   */
  async function expectUndoneByFixes(sql: string, expected: { keys?: string[]; descriptions: string[]; fixes: string[] }): Promise<void> {
    const before = await snapshotSchema(client);
    await client.query(sql);
    const diffs = diffSchemas(before, await snapshotSchema(client));
    if (expected.keys) expect(diffs.map((d) => `${d.change} ${d.objectType} ${d.name}`)).toEqual(expected.keys);
    expect(diffs.map(describeDifference)).toEqual(expected.descriptions);
    const fixes = diffs.map(reverseFixFor);
    expect(fixes).toEqual(expected.fixes);
    await client.query(fixes.join('\n'));
    expect(diffSchemas(before, await snapshotSchema(client))).toEqual([]);
  }

  it('contains the expected keys and canonical values', async () => {
    const snap = await snapshotSchema(client, { excludeSchemas: ['scratch'] });
    const definition = (key: string): string | undefined => {
      const object = snap.get(key);
      return object && definitionOf(object);
    };
    expect(definition('schema public')).toBe('schema');
    expect(definition('extension citext')).toMatch(/^version [\d.]+ in schema public$/);
    expect(definition('table public.users')).toBe('table');
    expect(definition('table public.orders')).toBe('table; row level security');
    expect(definition('table public.measurements')).toBe('partitioned table; partition by RANGE (at)');
    expect(definition('table public.measurements_2024')).toBe("table; partition of public.measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')");
    expect(snap.get('column public.users.id')).toEqual({
      objectType: 'column',
      name: 'public.users.id',
      table: 'public.users',
      member: 'id',
      type: 'integer',
      collation: null,
      notNull: true,
      identity: 'always',
      generated: null,
      default: null,
    });
    expect(definition('column public.users.id')).toBe('integer NOT NULL GENERATED ALWAYS AS IDENTITY');
    expect(definition('column public.users.email')).toBe('public.email NOT NULL');
    expect(definition('column public.users.name')).toBe('text COLLATE "C"');
    expect(definition('column public.orders.id')).toBe("bigint NOT NULL DEFAULT nextval('public.orders_id_seq'::regclass)");
    expect(definition('column public.orders.status')).toBe("text NOT NULL DEFAULT 'new'::text");
    expect(definition('column public.orders.doubled')).toBe('numeric GENERATED ALWAYS AS ((total * (2)::numeric)) STORED');
    expect(snap.get('constraint public.orders.orders_user_id_fkey')).toMatchObject({ table: 'public.orders', constraintType: 'f', columns: ['user_id'] });
    expect(definition('constraint public.orders.orders_user_id_fkey')).toBe('FOREIGN KEY (user_id) REFERENCES public.users(id)');
    expect(definition('constraint public.orders.orders_parent_id_fkey')).toBe(
      'FOREIGN KEY (parent_id) REFERENCES public.orders(id) DEFERRABLE INITIALLY DEFERRED',
    );
    expect(definition('constraint public.orders.orders_total_check')).toBe('CHECK ((total >= (0)::numeric))');
    expect(snap.get('index public.users_pkey')).toMatchObject({ table: 'public.users', valid: true, constraint: 'users_pkey' });
    expect(definition('index public.users_pkey')).toBe('CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id) (backs constraint users_pkey)');
    expect(definition('index public.users_created_at_idx')).toBe('CREATE INDEX users_created_at_idx ON public.users USING btree (created_at)');
    expect(definition('index public.measurements_at_idx')).toBe('CREATE INDEX measurements_at_idx ON ONLY public.measurements USING btree (at)');
    expect(definition('sequence public.orders_id_seq')).toMatch(/^AS bigint INCREMENT BY 1 .* OWNED BY public\.orders\.id$/);
    expect(definition('sequence public.invoice_numbers')).toContain('INCREMENT BY 10');
    expect(definition('sequence public.invoice_numbers')).toContain('START WITH 1000');
    expect(definition('type public.order_status')).toBe("enum ('new', 'paid', 'shipped')");
    expect(definition('type public.address')).toBe('composite (street text, zip character varying(10))');
    expect(definition('domain public.email')).toBe("public.citext CONSTRAINT email_check CHECK ((VALUE OPERATOR(public.~~) '%@%'::public.citext))");
    expect(definition('view public.paid_orders')).toContain('FROM public.orders');
    expect(snap.has('materialized view public.order_totals')).toBe(true);
    expect(definition('function public.touch()')).toMatch(/^CREATE OR REPLACE FUNCTION public\.touch\(\)/);
    expect(definition('trigger public.users.users_touch')).toBe(
      'CREATE TRIGGER users_touch BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION public.touch()',
    );
    expect(definition('trigger public.users.users_touch_off')).toMatch(/ \(disabled\)$/);
    expect(definition('policy public.orders.own_orders')).toBe('AS PERMISSIVE FOR SELECT TO PUBLIC USING ((user_id > 0))');
  });

  it('leaves out identity sequences, partition copies, extension members and excluded schemas', async () => {
    const keys = [...(await snapshotSchema(client, { excludeSchemas: ['scratch'] })).keys()];
    expect(keys).not.toContain('sequence public.users_id_seq');
    expect(keys.filter((k) => k.startsWith('index public.measurements_2024'))).toEqual([]);
    expect(keys.filter((k) => k.startsWith('function public.citext'))).toEqual([]);
    expect(keys.filter((k) => k.includes('scratch'))).toEqual([]);
  });

  it('is identical after an object in an excluded schema comes and goes', async () => {
    const first = await snapshotSchema(client, { excludeSchemas: ['scratch'] });
    await client.query('CREATE TABLE scratch.tmp (id int PRIMARY KEY, note text)');
    expect(await snapshotSchema(client, { excludeSchemas: ['scratch'] })).toEqual(first);
    await client.query('DROP TABLE scratch.tmp');
    expect(await snapshotSchema(client, { excludeSchemas: ['scratch'] })).toEqual(first);
  });

  it('does not depend on the search_path and restores it', async () => {
    const first = await snapshotSchema(client);
    await client.query('SET search_path = scratch, public');
    expect(await snapshotSchema(client)).toEqual(first);
    const { rows } = await client.query('SHOW search_path');
    expect(rows[0].search_path).toBe('scratch, public');
    await client.query('RESET search_path');
  });

  it('prints a default’s timestamp and date alike whatever the session’s DateStyle and TimeZone, and restores them', async () => {
    await client.query(`CREATE TABLE stamped (at timestamptz DEFAULT '2020-01-02 03:04:05+00', d date DEFAULT '2020-01-02')`);
    try {
      const first = await snapshotSchema(client);
      expect(first.get('column public.stamped.d')).toMatchObject({ default: "'2020-01-02'::date" });
      await client.query(`SET DateStyle = 'SQL, DMY'; SET TimeZone = 'Asia/Tokyo'`);
      expect(await snapshotSchema(client)).toEqual(first);
      const { rows } = await client.query(
        `SELECT current_setting('DateStyle') AS style, current_setting('TimeZone') AS zone, current_setting('search_path') AS path`,
      );
      expect(rows[0]).toEqual({ style: 'SQL, DMY', zone: 'Asia/Tokyo', path: '"$user", public' });
    } finally {
      await client.query('RESET ALL; DROP TABLE stamped');
    }
  });

  it('does not report a column that was dropped and re-added at the end', async () => {
    const diffs = await diffAfter('ALTER TABLE public.users DROP COLUMN nickname; ALTER TABLE public.users ADD COLUMN nickname text');
    expect(diffs).toEqual([]);
  });

  it('reports a changed default, and its reverse fix restores it', async () => {
    const before = await snapshotSchema(client);
    await client.query('ALTER TABLE public.orders ALTER COLUMN status DROP DEFAULT');
    const diffs = diffSchemas(before, await snapshotSchema(client));
    expect(diffs).toMatchObject([
      {
        change: 'changed',
        objectType: 'column',
        name: 'public.orders.status',
        before: { type: 'text', notNull: true, default: "'new'::text" },
        after: { type: 'text', notNull: true, default: null },
      },
    ]);
    expect(describeDifference(diffs[0])).toBe("default of column public.orders.status changed from 'new'::text to none");
    expect(reverseFixFor(diffs[0])).toBe("ALTER TABLE public.orders ALTER COLUMN status SET DEFAULT 'new'::text;");
    await client.query(reverseFixFor(diffs[0]) ?? '');
    expect(diffSchemas(before, await snapshotSchema(client))).toEqual([]);
  });

  it('describes and undoes an added index, column, constraint, table and trigger state', async () => {
    await expectUndoneByFixes(
      `
      CREATE INDEX users_nickname_idx ON public.users (nickname);
      ALTER TABLE public.users ADD COLUMN "Display Name" varchar(80) NOT NULL DEFAULT '';
      ALTER TABLE public.orders ADD CONSTRAINT orders_total_positive CHECK (total > 0) NOT VALID;
      CREATE TABLE public.coupons (code text PRIMARY KEY, user_id integer REFERENCES public.users);
      CREATE INDEX coupons_user_idx ON public.coupons (user_id);
      ALTER TABLE public.users DISABLE TRIGGER users_touch;`,
      {
        keys: [
          'added table public.coupons',
          'added column public.users."Display Name"',
          'added constraint public.orders.orders_total_positive',
          'added index public.users_nickname_idx',
          'changed trigger public.users.users_touch',
        ],
        descriptions: [
          'table public.coupons is left behind (it did not exist before)',
          'column public.users."Display Name" is left behind (it did not exist before)',
          'constraint public.orders.orders_total_positive is left behind (it did not exist before)',
          'index public.users_nickname_idx is left behind (it did not exist before)',
          'trigger public.users.users_touch changed from CREATE TRIGGER users_touch BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION public.touch() to CREATE TRIGGER users_touch BEFORE UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION public.touch() (disabled)',
        ],
        fixes: [
          'DROP TABLE IF EXISTS public.coupons;',
          'ALTER TABLE public.users DROP COLUMN IF EXISTS "Display Name";',
          'ALTER TABLE public.orders DROP CONSTRAINT IF EXISTS orders_total_positive;',
          'DROP INDEX IF EXISTS public.users_nickname_idx;',
          'ALTER TABLE public.users ENABLE TRIGGER users_touch;',
        ],
      },
    );
  });

  it('describes and undoes a removed index, constraint, column and NOT NULL', async () => {
    await expectUndoneByFixes(
      `
      DROP INDEX public.users_created_at_idx;
      ALTER TABLE public.orders DROP CONSTRAINT orders_total_check;
      ALTER TABLE public.orders DROP CONSTRAINT orders_parent_id_fkey;
      ALTER TABLE public.users DROP COLUMN nickname;
      ALTER TABLE public.orders ALTER COLUMN status DROP NOT NULL;
      ALTER TABLE public.orders ALTER COLUMN status TYPE varchar(20);`,
      {
        descriptions: [
          'type of column public.orders.status changed from text to character varying(20); ' + 'column public.orders.status lost its NOT NULL constraint',
          'column public.users.nickname is missing (type text)',
          'constraint public.orders.orders_parent_id_fkey is missing (it was: FOREIGN KEY (parent_id) REFERENCES public.orders(id) DEFERRABLE INITIALLY DEFERRED)',
          'constraint public.orders.orders_total_check is missing (it was: CHECK ((total >= (0)::numeric)))',
          'index public.users_created_at_idx is missing (it was: CREATE INDEX users_created_at_idx ON public.users USING btree (created_at))',
        ],
        fixes: [
          'ALTER TABLE public.orders ALTER COLUMN status TYPE text, ALTER COLUMN status SET NOT NULL;',
          'ALTER TABLE public.users ADD COLUMN nickname text;',
          'ALTER TABLE public.orders ADD CONSTRAINT orders_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES public.orders(id) DEFERRABLE INITIALLY DEFERRED;',
          'ALTER TABLE public.orders ADD CONSTRAINT orders_total_check CHECK ((total >= (0)::numeric));',
          'CREATE INDEX users_created_at_idx ON public.users USING btree (created_at);',
        ],
      },
    );
  });

  it('gives no fix where none can be derived safely', async () => {
    const diffs = await diffAfter(`
      ALTER TABLE public.orders DROP CONSTRAINT orders_pkey CASCADE;
      ALTER TYPE public.order_status ADD VALUE 'lost';`);
    const byKey = new Map(diffs.map((d) => [`${d.change} ${d.objectType} ${d.name}`, d]));
    // The constraint's ADD brings its index back; re-creating the index separately would collide.
    expect(reverseFixFor(byKey.get('removed index public.orders_pkey')!)).toBeNull();
    expect(reverseFixFor(byKey.get('removed constraint public.orders.orders_pkey')!)).toBe(
      'ALTER TABLE public.orders ADD CONSTRAINT orders_pkey PRIMARY KEY (id);',
    );
    expect(reverseFixFor(byKey.get('changed type public.order_status')!)).toBeNull();
  });

  it('reads 150 tables with a handful of queries', async () => {
    await client.query(`
      CREATE SCHEMA bulk;
      DO $$ BEGIN
        FOR i IN 1..150 LOOP
          EXECUTE format('CREATE TABLE bulk.t%s (id bigint PRIMARY KEY, ref bigint, name text NOT NULL DEFAULT %L, CHECK (ref > 0))', i, 'x');
          EXECUTE format('CREATE INDEX ON bulk.t%s (name)', i);
        END LOOP;
      END $$;`);
    const started = performance.now();
    const snap = await snapshotSchema(client);
    const elapsed = performance.now() - started;
    expect([...snap.keys()].filter((k) => k.startsWith('table bulk.'))).toHaveLength(150);
    expect([...snap.keys()].filter((k) => k.startsWith('column bulk.'))).toHaveLength(450);
    expect(elapsed).toBeLessThan(3000);
  });
});
