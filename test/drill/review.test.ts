import pg from 'pg';
import { DEFAULT_CONFIG } from '../../src/core/config.js';
import { createUrlProvider } from '../../src/core/drill/providers/index.js';
import { review } from '../../src/core/review.js';
import { changeSetOf } from '../support/change-set.js';
import { drill, hazards, LOCAL_URL, RULES_OFF } from '../support/drill.js';

/** A small shop: users referenced by orders, both populated by the seeder. */
const SHOP = {
  '1_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, name varchar(100), note varchar(100));',
  '1_users.down.sql': 'DROP TABLE users;',
  '2_orders.up.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL, total integer NOT NULL, code text);',
  '2_orders.down.sql': 'DROP TABLE orders;',
};

/** A goose file: line 2 is the first line of `up`. */
const goose = (up: string, down: string, header = '') => `${header}-- +goose Up\n${up}\n-- +goose Down\n${down}\n`;

/** The same shop as goose files. */
const GOOSE_SHOP = {
  '1_users.sql': goose(SHOP['1_users.up.sql'], SHOP['1_users.down.sql']),
  '2_orders.sql': goose(SHOP['2_orders.up.sql'], SHOP['2_orders.down.sql']),
};

/** One golang-migrate migration 3 with its reverse. */
const change = (up: string, down: string) => ({ '3_change.up.sql': up, '3_change.down.sql': down });

describe('review: observed locks and rewrites', () => {
  it('reports CREATE INDEX on an existing table at its line, with the CONCURRENTLY form as the fix', async () => {
    const report = await drill(SHOP, change('-- lookups\nCREATE INDEX orders_user_idx ON orders (user_id);', 'DROP INDEX orders_user_idx;'));
    expect(hazards(report)).toEqual(['blocking-index@3_change.up.sql:2']);
    expect(report.findings[0].fix).toBe('CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);');
    expect(report.verdict).toBe('fail');
    expect(report.drill?.roundTrip).toBe('restored');
  });

  it('reports the indexes an ALTER COLUMN TYPE rebuilds as part of its rewrite, not as dropped indexes', async () => {
    const base = { ...SHOP, '3_idx.up.sql': 'CREATE INDEX orders_total_idx ON orders (total);', '3_idx.down.sql': 'DROP INDEX orders_total_idx;' };
    const report = await drill(base, {
      '4_big.up.sql': 'ALTER TABLE orders ALTER COLUMN total TYPE bigint;',
      '4_big.down.sql': 'ALTER TABLE orders ALTER COLUMN total TYPE integer;',
    });
    expect(hazards(report)).toEqual(['rewrite@4_big.up.sql:1']);
    expect(report.findings[0].message).toMatch(/Rewrites existing table public\.orders and rebuilds its indexes .*orders_total_idx/);
  });

  it('does not report an index on a table created in the same change', async () => {
    const report = await drill(SHOP, change('CREATE TABLE tags (id int, name text);\nCREATE INDEX tags_name_idx ON tags (name);', 'DROP TABLE tags;'));
    expect(hazards(report)).toEqual([]);
    expect(report.verdict).toBe('pass');
  });

  it('does not report a lone CREATE INDEX CONCURRENTLY in a golang-migrate file', async () => {
    const report = await drill(SHOP, change('CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);', 'DROP INDEX CONCURRENTLY orders_user_idx;'));
    expect(hazards(report)).toEqual([]);
  });

  it('reports CONCURRENTLY after SET lock_timeout in one golang-migrate file: PostgreSQL runs the string as one transaction', async () => {
    const report = await drill(
      SHOP,
      change("SET lock_timeout = '3s';\nCREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);", 'DROP INDEX orders_user_idx;'),
    );
    expect(hazards(report)).toEqual(['concurrently-in-transaction@3_change.up.sql:2']);
    expect(report.findings[0].fix).toMatch(/its own migration file/);
  });

  it.each([
    ['a constant default', "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';"],
    ['a now() default', 'ALTER TABLE orders ADD COLUMN seen_at timestamptz DEFAULT now();'],
    ['varchar widening', 'ALTER TABLE users ALTER COLUMN name TYPE varchar(200);'],
    ['varchar to text', 'ALTER TABLE users ALTER COLUMN name TYPE text;'],
  ])('does not report a rewrite for %s', async (_name, up) => {
    const report = await drill(SHOP, { '3_change.up.sql': up });
    expect(report.findings.filter((f) => f.hazard === 'rewrite')).toEqual([]);
    expect(report.migrations[0].rewrites).toEqual([]);
  });

  it.each([
    ['clock_timestamp()', 'ALTER TABLE orders ADD COLUMN seen_at timestamptz DEFAULT clock_timestamp();'],
    ['gen_random_uuid()', 'ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();'],
    ['bigserial', 'ALTER TABLE orders ADD COLUMN seq bigserial;'],
    ['int to bigint', 'ALTER TABLE orders ALTER COLUMN total TYPE bigint;'],
  ])('reports the rewrite of %s', async (_name, up) => {
    const report = await drill(SHOP, { '3_change.up.sql': `-- change\n${up}`, '3_change.down.sql': 'SELECT 1;' });
    expect(hazards(report)).toContain('rewrite@3_change.up.sql:2');
    expect(report.migrations[0].rewrites).toEqual(['public.orders']);
  });

  it('does not report NOT VALID then VALIDATE in separate migrations', async () => {
    const report = await drill(SHOP, {
      '3_fk.up.sql': 'ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;',
      '3_fk.down.sql': 'ALTER TABLE orders DROP CONSTRAINT orders_user_fk;',
      '4_validate.up.sql': 'ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;',
      // Only dropping and re-adding it makes the constraint NOT VALID again.
      '4_validate.down.sql':
        'ALTER TABLE orders DROP CONSTRAINT orders_user_fk;\nALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;',
    });
    expect(hazards(report)).toEqual([]);
  });

  it('reports NOT VALID and VALIDATE in one transaction: the strong lock is held during the scan', async () => {
    const report = await drill(GOOSE_SHOP, {
      '3_check.sql': goose(
        'ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT total_positive;',
        'ALTER TABLE orders DROP CONSTRAINT total_positive;',
      ),
    });
    expect(hazards(report)).toContain('blocking-scan@3_check.sql:3');
  });

  it('reports blocking scans of ADD CHECK, ADD FOREIGN KEY and SET NOT NULL', async () => {
    const report = await drill(
      SHOP,
      change(
        [
          'ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0);',
          'ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);',
          "UPDATE users SET note = 'x' WHERE note IS NULL;",
          'ALTER TABLE users ALTER COLUMN note SET NOT NULL;',
        ].join('\n'),
        'ALTER TABLE users ALTER COLUMN note DROP NOT NULL;\nALTER TABLE orders DROP CONSTRAINT orders_user_fk;\nALTER TABLE orders DROP CONSTRAINT total_positive;',
      ),
      {},
    );
    expect(hazards(report)).toEqual(
      expect.arrayContaining(['blocking-scan@3_change.up.sql:1', 'blocking-scan@3_change.up.sql:2', 'blocking-scan@3_change.up.sql:4']),
    );
    const fk = report.findings.find((f) => f.line === 2)!;
    expect(fk.message).toMatch(/public\.orders.*public\.users|public\.users.*public\.orders/);
    expect(fk.fix).toMatch(/NOT VALID;\n.*\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;/);
  });

  it('does not report UNIQUE USING INDEX over an index built concurrently before', async () => {
    const report = await drill(SHOP, {
      '3_index.up.sql': 'CREATE UNIQUE INDEX CONCURRENTLY orders_code_key ON orders (code, id);',
      '3_index.down.sql': 'DROP INDEX CONCURRENTLY orders_code_key;',
      '4_unique.up.sql': 'ALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE USING INDEX orders_code_key;',
      '4_unique.down.sql': 'ALTER TABLE orders DROP CONSTRAINT orders_code_key;\nCREATE UNIQUE INDEX orders_code_key ON orders (code, id);',
    });
    expect(hazards(report)).toEqual([]);
  });

  it('reports ADD UNIQUE that builds its index under ACCESS EXCLUSIVE', async () => {
    const report = await drill(
      SHOP,
      change('ALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE (code, id);', 'ALTER TABLE orders DROP CONSTRAINT orders_code_key;'),
    );
    expect(hazards(report)).toEqual(['blocking-index@3_change.up.sql:1']);
    expect(report.findings[0].message).toMatch(/AccessExclusiveLock/);
  });
});

describe('review: reverse and data', () => {
  it('reports a missing down at the up file', async () => {
    const report = await drill(SHOP, { '3_change.up.sql': 'ALTER TABLE orders ADD COLUMN note text;' });
    expect(hazards(report)).toEqual(['missing-reverse@3_change.up.sql:1']);
    expect(report.drill?.roundTrip).toBe('not-run');
  });

  it('reports a down that leaves an index behind at the statement that made it, with the DROP to add', async () => {
    const report = await drill(
      SHOP,
      change('ALTER TABLE orders ADD COLUMN note text;\nCREATE INDEX orders_note_idx ON orders (code);', 'ALTER TABLE orders DROP COLUMN note;'),
    );
    expect(hazards(report)).toEqual(['blocking-index@3_change.up.sql:2', 'reverse-mismatch@3_change.up.sql:2']);
    expect(report.findings[1].fix).toContain('DROP INDEX IF EXISTS public.orders_note_idx;');
    expect(report.drill?.roundTrip).toBe('mismatch');
  });

  it("reports a down that fails at its line with PostgreSQL's message", async () => {
    const report = await drill(SHOP, change('ALTER TABLE orders ADD COLUMN note text;', '-- undo\nALTER TABLE orders DROP COLUMN notes;'));
    expect(hazards(report)).toEqual(['reverse-error@3_change.down.sql:2']);
    expect(report.findings[0].message).toMatch(/column "notes" of relation "orders" does not exist/);
  });

  it('reports ADD COLUMN NOT NULL without a default as data-dependent: it works only on an empty table', async () => {
    const report = await drill(SHOP, change('-- plan\nALTER TABLE users ADD COLUMN plan text NOT NULL;', 'ALTER TABLE users DROP COLUMN plan;'));
    expect(hazards(report)).toEqual(['data-dependent@3_change.up.sql:2']);
    // Any row breaks it, whatever the seeder wrote: the one case that is certain to fail in production.
    expect(report.findings[0]).toMatchObject({
      severity: 'error',
      message: expect.stringMatching(/^Fails as soon as public\.users holds any row .* It will fail in production unless public\.users is empty there\.$/),
    });
  });

  it('reports a forward error that is not caused by the data as forward-error', async () => {
    const report = await drill(SHOP, change('ALTER TABLE order ADD COLUMN x int;', 'SELECT 1;'));
    expect(hazards(report)).toEqual(['forward-error@3_change.up.sql:1']);
    expect(report.findings[0].message).toMatch(/syntax error at or near "order"/);
  });

  it('reports a dropped column as data loss that the reverse cannot restore', async () => {
    const report = await drill(
      SHOP,
      change('ALTER TABLE users DROP COLUMN name;', 'ALTER TABLE users ADD COLUMN name varchar(100);'),
      {},
      { 'require-lock-timeout': 'off' },
    );
    expect(hazards(report)).toEqual(['data-loss@3_change.up.sql:1']);
    // One finding: the rule explains, the drill's observation stays as evidence.
    expect(report.findings[0]).toMatchObject({ rule: 'ban-drop-column', evidence: expect.stringMatching(/column\(s\) of public\.users gone/) });
  });

  it('reports a reverse that loses values the forward kept', async () => {
    const report = await drill(
      SHOP,
      change('ALTER TABLE users RENAME COLUMN note TO memo;', 'ALTER TABLE users DROP COLUMN memo;\nALTER TABLE users ADD COLUMN note varchar(100);'),
    );
    expect(hazards(report)).toEqual(['data-loss@3_change.down.sql:1']);
    expect(report.findings[0].message).toMatch(/public\.users/);
  });
});

describe('review: history', () => {
  it('reports an edited base migration at the edited line, and a version that sorts before the base', async () => {
    const report = await drill(
      { ...SHOP, '5_late.up.sql': 'SELECT 1;', '5_late.down.sql': 'SELECT 1;' },
      {
        '2_orders.up.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL, total bigint NOT NULL, code text);',
        '4_early.up.sql': 'ALTER TABLE orders ADD COLUMN note text;',
        '4_early.down.sql': 'ALTER TABLE orders DROP COLUMN note;',
      },
    );
    expect(hazards(report)).toEqual(['history-edit@2_orders.up.sql:1', 'ordering@4_early.up.sql:1']);
  });

  it('passes with no drill when no migration was added', async () => {
    const report = await drill(SHOP, {});
    expect(report).toMatchObject({ verdict: 'pass', findings: [], migrations: [], drill: null });
  });
});

describe('review: goose transaction modes', () => {
  it('reports CONCURRENTLY in a goose file that runs in a transaction, with the annotation as the fix', async () => {
    const report = await drill(GOOSE_SHOP, {
      '3_idx.sql': goose('CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);', 'DROP INDEX orders_user_idx;'),
    });
    expect(hazards(report)).toEqual(['concurrently-in-transaction@3_idx.sql:2']);
    expect(report.findings[0].fix).toMatch(/-- \+goose NO TRANSACTION/);
  });

  it('does not report CONCURRENTLY under -- +goose NO TRANSACTION', async () => {
    const file = goose(
      'CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);',
      'DROP INDEX CONCURRENTLY orders_user_idx;',
      '-- +goose NO TRANSACTION\n',
    );
    const report = await drill(GOOSE_SHOP, { '3_idx.sql': file });
    expect(hazards(report)).toEqual([]);
    expect(report.drill?.roundTrip).toBe('restored');
  });
});

describe('review: lossy conversions', () => {
  const dataLoss = (report: Awaited<ReturnType<typeof drill>>) => report.findings.filter((f) => f.hazard === 'data-loss' && f.source === 'drill');

  it('reports a conversion that rounds values, with an example value, once, at the forward statement', async () => {
    const base = {
      ...SHOP,
      '3_price.up.sql': 'ALTER TABLE orders ADD COLUMN price numeric(14, 4);',
      '3_price.down.sql': 'ALTER TABLE orders DROP COLUMN price;',
    };
    const report = await drill(base, {
      '4_cents.up.sql': "SET lock_timeout = '1s';\nALTER TABLE orders ALTER COLUMN price TYPE numeric(14, 2);",
      '4_cents.down.sql': 'ALTER TABLE orders ALTER COLUMN price TYPE numeric(14, 4);',
    });
    expect(dataLoss(report)).toEqual([
      expect.objectContaining({
        path: 'db/4_cents.up.sql',
        line: 2,
        severity: 'warning',
        message: expect.stringMatching(
          /^Converts values with loss: public\.orders\.price '123456\.7890' became '123456\.79'.* Check production before merging .*SELECT count\(\*\) FROM public\.orders WHERE price IS DISTINCT FROM price::numeric\(14,2\)::numeric\(14,4\);$/,
        ),
      }),
    ]);
  });

  it('plants no value the conversion would refuse: a text column narrowed to varchar(200) still drills to the end', async () => {
    const report = await drill(SHOP, change('ALTER TABLE orders ALTER COLUMN code TYPE varchar(200);', 'ALTER TABLE orders ALTER COLUMN code TYPE text;'));
    expect(report.findings.filter((f) => f.hazard === 'data-dependent' || f.hazard === 'data-loss')).toEqual([]);
    expect(report.drill?.roundTrip).toBe('restored');
  });

  it('reports the time of day a timestamptz → date conversion drops', async () => {
    const base = {
      ...SHOP,
      '3_at.up.sql': 'ALTER TABLE orders ADD COLUMN placed_at timestamptz;',
      '3_at.down.sql': 'ALTER TABLE orders DROP COLUMN placed_at;',
    };
    const report = await drill(base, {
      '4_day.up.sql': 'ALTER TABLE orders ALTER COLUMN placed_at TYPE date;',
      '4_day.down.sql': 'ALTER TABLE orders ALTER COLUMN placed_at TYPE timestamptz;',
    });
    expect(dataLoss(report)).toEqual([
      expect.objectContaining({ path: 'db/4_day.up.sql', message: expect.stringMatching(/placed_at '2024-02-29 18:29:59\.999999\+00' became '2024-02-29'/) }),
    ]);
  });

  it('reports nothing for conversions that keep every value', async () => {
    const report = await drill(
      SHOP,
      change(
        'ALTER TABLE orders ALTER COLUMN total TYPE bigint;\nALTER TABLE users ALTER COLUMN name TYPE text;',
        'ALTER TABLE orders ALTER COLUMN total TYPE integer;\nALTER TABLE users ALTER COLUMN name TYPE varchar(100);',
      ),
    );
    expect(dataLoss(report)).toEqual([]);
    expect(report.drill?.roundTrip).toBe('restored');
  });
});

describe('review: a baseline in place of a history that does not replay', () => {
  // The first migration needs an extension the shadow does not have (a history its tool accepts
  // but that does not replay here); the schema file describes the state the base reached.
  const BROKEN = { ...SHOP, '0_ext.up.sql': 'CREATE EXTENSION no_such_extension;', '0_ext.down.sql': 'DROP EXTENSION no_such_extension;' };
  const INDEX = { '3_idx.up.sql': 'CREATE INDEX orders_user_idx ON orders (user_id);', '3_idx.down.sql': 'DROP INDEX orders_user_idx;' };
  const reviewWith = (baseline?: { path: string; content: string }) =>
    review({
      changeSet: changeSetOf('db', BROKEN, INDEX),
      config: { ...DEFAULT_CONFIG, shadow: { ...DEFAULT_CONFIG.shadow, seedRows: 20 } },
      provider: createUrlProvider(LOCAL_URL),
      baseline,
    });

  it('without a baseline: infra at the file that does not replay, naming shadow.baseline, and the static rules still report', async () => {
    const report = await reviewWith();
    expect(report.complete).toBe(false);
    expect(report.findings).toContainEqual(
      expect.objectContaining({ hazard: 'infra', path: 'db/0_ext.up.sql', line: 1, fix: expect.stringMatching(/shadow\.baseline/) }),
    );
    expect(report.findings).toContainEqual(expect.objectContaining({ hazard: 'blocking-index', rule: 'require-concurrent-index', path: 'db/3_idx.up.sql' }));
  });

  it('names the statement that fails without an error position, not the first line of its file (bionic-gpt: CREATE ROLE in a DO block)', async () => {
    const base = {
      ...SHOP,
      '0_roles.up.sql': "-- roles\nCREATE TABLE settings (k text);\n\nDO $$ BEGIN\n  RAISE EXCEPTION 'permission denied to create role';\nEND $$;\n",
      '0_roles.down.sql': 'DROP TABLE settings;',
    };
    const report = await review({
      changeSet: changeSetOf('db', base, INDEX),
      config: { ...DEFAULT_CONFIG, shadow: { ...DEFAULT_CONFIG.shadow, seedRows: 20 } },
      provider: createUrlProvider(LOCAL_URL),
    });
    expect(report.findings).toContainEqual(
      expect.objectContaining({ hazard: 'infra', path: 'db/0_roles.up.sql', line: 4, message: expect.stringMatching(/permission denied to create role/) }),
    );
  });

  it('with a baseline: the schema file stands for the history and the change is drilled', async () => {
    const schema = `${SHOP['1_users.up.sql']}\n${SHOP['2_orders.up.sql']}\n`;
    const report = await reviewWith({ path: 'db/schema.sql', content: schema });
    expect(report.complete).toBe(true);
    expect(report.findings.filter((f) => f.hazard === 'infra')).toEqual([]);
    expect(report.findings).toContainEqual(
      expect.objectContaining({ hazard: 'blocking-index', path: 'db/3_idx.up.sql', evidence: expect.stringMatching(/ShareLock/) }),
    );
    expect(report.drill).toMatchObject({ roundTrip: 'restored', baseMigrations: 3 });
  });
});

describe('review: seeded data', () => {
  it('a DELETE whose WHERE matches most seeded rows is a warning to count them in production; one without WHERE stays an error', async () => {
    // pocket-id 20260731120000_oauth2_session_ownership deletes sessions whose client is gone: every seeded row matched.
    const filtered = await drill(SHOP, change('DELETE FROM orders WHERE code IS NOT NULL OR code IS NULL;', 'SELECT 1;'));
    expect(filtered.findings).toEqual([
      expect.objectContaining({
        hazard: 'data-loss',
        severity: 'warning',
        message: expect.stringMatching(/WHERE clause matched most of Drillbot's synthetic rows/),
      }),
    ]);
    const everything = await drill(SHOP, change('DELETE FROM orders;', 'SELECT 1;'));
    expect(everything.findings).toContainEqual(
      expect.objectContaining({ hazard: 'data-loss', severity: 'error', message: expect.stringMatching(/a DELETE this broad/) }),
    );
  });

  it('reports a new UNIQUE constraint over a column whose existing values repeat as data-dependent', async () => {
    const report = await drill(SHOP, change('CREATE UNIQUE INDEX CONCURRENTLY orders_code_key ON orders (code);', 'DROP INDEX CONCURRENTLY orders_code_key;'));
    expect(hazards(report)).toEqual(['data-dependent@3_change.up.sql:1']);
    // The duplicates are the seeder's: a warning that names them and the query that looks for them in production.
    expect(report.findings[0]).toMatchObject({
      severity: 'warning',
      message: expect.stringMatching(
        /^Fails on the rows Drillbot seeded into public\.orders \(could not create unique index "orders_code_key"; Key \(code\)=\(.*\) is duplicated\.\).* Check production before merging: SELECT code, count\(\*\) FROM public\.orders GROUP BY code HAVING count\(\*\) > 1 LIMIT 10;$/,
      ),
    });
    expect(report.verdict).toBe('pass');
  });

  it('still reports the lock of a statement the seeded rows stopped: ADD UNIQUE builds its index under ACCESS EXCLUSIVE', async () => {
    const report = await drill(
      SHOP,
      change('ALTER TABLE orders ADD CONSTRAINT orders_code_key UNIQUE (code);', 'ALTER TABLE orders DROP CONSTRAINT orders_code_key;'),
    );
    expect(hazards(report)).toEqual(['blocking-index@3_change.up.sql:1', 'data-dependent@3_change.up.sql:1']);
    expect(report.findings[0]).toMatchObject({
      severity: 'error',
      evidence: expect.stringMatching(/AccessExclusiveLock.*observed on a copy without the seeded rows/),
    });
    expect(report.verdict).toBe('fail');
  });

  it('gives the query that finds NULLs for SET NOT NULL, and the rows a new CHECK rejects', async () => {
    const notNull = await drill(SHOP, change('ALTER TABLE users ALTER COLUMN name SET NOT NULL;', 'ALTER TABLE users ALTER COLUMN name DROP NOT NULL;'));
    expect(notNull.findings.find((f) => f.hazard === 'data-dependent')?.message).toMatch(
      /Check production before merging: SELECT count\(\*\) FROM public\.users WHERE name IS NULL;$/,
    );
    expect(hazards(notNull)).toContain('blocking-scan@3_change.up.sql:1');
    const check = await drill(
      SHOP,
      change('ALTER TABLE orders ADD CONSTRAINT orders_total_small CHECK (total < 3);', 'ALTER TABLE orders DROP CONSTRAINT orders_total_small;'),
    );
    expect(check.findings.find((f) => f.hazard === 'data-dependent')?.message).toMatch(
      /Check production before merging: SELECT count\(\*\) FROM public\.orders WHERE NOT \(\(total < 3\)\);$/,
    );
  });
});

describe('review: limits', () => {
  it('reports a statement that exceeds the statement timeout as infra at its line', async () => {
    const report = await drill(SHOP, change('ALTER TABLE orders ADD COLUMN note text;\nSELECT pg_sleep(5);', 'SELECT 1;'), { statementTimeoutMs: 300 });
    expect(hazards(report)).toEqual(['infra@3_change.up.sql:2']);
    expect(report.verdict).toBe('fail');
  });

  it('ends a migration that disables the statement timeout when the total deadline passes', async () => {
    const report = await drill(SHOP, change('SET statement_timeout = 0;\nSELECT pg_sleep(60);', 'SELECT 1;'), { timeoutMs: 1500 });
    expect(hazards(report)).toEqual(['infra@3_change.up.sql:1']);
    expect(report.findings[0].message).toMatch(/time limit/);
    // The session was ended with its database, not left sleeping.
    const admin = new pg.Client(LOCAL_URL);
    await admin.connect();
    try {
      const sleeping = async () => (await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(60)%'")).rows[0].n;
      for (let i = 0; i < 50 && (await sleeping()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await sleeping()).toBe(0);
    } finally {
      await admin.end();
    }
  });
});

describe('review: cancellation', () => {
  it('ends the drill when the caller aborts, as the App does for a superseded push', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1000);
    const report = await review({
      changeSet: changeSetOf('db', SHOP, change('SET statement_timeout = 0;\nSELECT pg_sleep(60);', 'SELECT 1;')),
      config: { ...DEFAULT_CONFIG, rules: RULES_OFF },
      provider: createUrlProvider(LOCAL_URL),
      signal: controller.signal,
    });
    expect(report.findings).toEqual([expect.objectContaining({ hazard: 'infra', message: expect.stringMatching(/cancelled/) })]);
  });
});
