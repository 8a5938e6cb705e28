import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { DrillbotConfig } from '../../src/core/config.js';
import type { Report } from '../../src/core/report/report.js';
import { drill, hazards, LOCAL_URL } from '../support/drill.js';

/**
 * Hostile migrations through the real review() on the local PostgreSQL (url provider): what one
 * review's SQL does must not reach another review, and a review that passes a resource cap ends
 * there with an `infra` finding naming the cap, leaving no database or role behind.
 */

const SHOP = {
  '1_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);',
  '1_users.down.sql': 'DROP TABLE users;',
  '2_orders.up.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL, total integer NOT NULL);',
  '2_orders.down.sql': 'DROP TABLE orders;',
};
const change = (up: string, down = 'SELECT 1;') => ({ '3_change.up.sql': up, '3_change.down.sql': down });
/** A change any review must pass: it adds a nullable column and drops it again. */
const BENIGN = change('ALTER TABLE orders ADD COLUMN note text;', 'ALTER TABLE orders DROP COLUMN note;');
const MIB = 1024 ** 2;

async function withAdmin<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(LOCAL_URL);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * The review roles and the databases of reviews that exist now: owned by a review role, or by the
 * admin once a base is handed over (templates and their staging copies aside). Other drillbots on
 * this server (older versions run as drillbot_migrator) are not counted.
 */
async function drillObjects(): Promise<Set<string>> {
  return withAdmin(async (c) => {
    const { rows } = await c.query<{ name: string }>(
      `SELECT 'role ' || rolname AS name FROM pg_roles WHERE rolname LIKE 'drillbot\\_r\\_%'
       UNION ALL
       SELECT 'database ' || datname FROM pg_database
        WHERE datname LIKE 'drillbot\\_%' AND datname NOT LIKE 'drillbot\\_tpl\\_%' AND datname NOT LIKE 'drillbot\\_stage\\_%'
          AND (pg_get_userbyid(datdba) LIKE 'drillbot\\_r\\_%' OR datdba = (SELECT oid FROM pg_roles WHERE rolname = current_user))`,
    );
    return new Set(rows.map((r) => r.name));
  });
}

/** The roles and databases created since `before` that are still there, after up to `waitMs`. */
async function leftSince(before: Set<string>, waitMs = 0): Promise<string[]> {
  const until = Date.now() + waitMs;
  for (;;) {
    const left = [...(await drillObjects())].filter((n) => !before.has(n));
    if (left.length === 0 || Date.now() >= until) return left;
    await sleep(100);
  }
}

function expectBenignPassed(report: Report): void {
  expect(hazards(report)).toEqual([]);
  expect(report.verdict).toBe('pass');
  expect(report.drill?.roundTrip).toBe('restored');
}

describe('isolation: one review cannot reach another', () => {
  it('a role setting or password a migration sets dies with its review, also while another review runs', async () => {
    const before = await drillObjects();
    const poison = change(
      "ALTER ROLE CURRENT_USER SET default_transaction_read_only = on;\nALTER ROLE CURRENT_USER PASSWORD 'taken-over';\n" +
        "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_read_only = on', current_database()); END $$;",
    );
    const shadow = { seedRows: 10 };
    const [hostile, concurrent] = await Promise.all([drill(SHOP, poison, shadow), drill(SHOP, BENIGN, shadow)]);
    // The change may do this to its own role: it is the only one it ever affects.
    expect(hazards(hostile)).toEqual([]);
    expectBenignPassed(concurrent);
    expectBenignPassed(await drill(SHOP, BENIGN, shadow));
    expect(await leftSince(before)).toEqual([]);
  });

  it('a migration sees no other review’s query text, signals no other session and alters no other role', async () => {
    const before = await drillObjects();
    const secret = `s3cret_${randomBytes(6).toString('hex')}`;
    // The victim holds a statement with a secret literal in flight while the attacker looks.
    const victim = drill(SHOP, change(`SELECT pg_sleep(4), '${secret}';`), { seedRows: 10 });
    await withAdmin(async (c) => {
      for (let i = 0; i < 300; i++) {
        if ((await c.query(`SELECT 1 FROM pg_stat_activity WHERE query LIKE $1`, [`%pg_sleep(4), '${secret}%`])).rowCount) return;
        await sleep(50);
      }
      throw new Error('the victim never started its pg_sleep');
    });
    const attack = `DO $$
DECLARE seen text; killed int := 0; altered int := 0; r record;
BEGIN
  SELECT string_agg(coalesce(usename, '?') || '=' || coalesce(query, 'null'), ' | ') INTO seen FROM pg_stat_activity WHERE pid <> pg_backend_pid();
  FOR r IN SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() LOOP
    BEGIN
      IF pg_cancel_backend(r.pid) THEN killed := killed + 1; END IF;
      IF pg_terminate_backend(r.pid) THEN killed := killed + 1; END IF;
    EXCEPTION WHEN insufficient_privilege THEN NULL;
    END;
  END LOOP;
  FOR r IN SELECT rolname FROM pg_roles WHERE rolname <> current_user AND (rolname LIKE 'drillbot\\_r\\_%' OR rolname = 'pg_database_owner') LOOP
    BEGIN
      EXECUTE format('ALTER ROLE %I SET default_transaction_read_only = on', r.rolname);
      altered := altered + 1;
    EXCEPTION WHEN insufficient_privilege OR reserved_name THEN NULL;
    END;
  END LOOP;
  RAISE EXCEPTION 'killed=% altered=% seen: %', killed, altered, seen;
END $$;`;
    const hostile = await drill(SHOP, change(attack), { seedRows: 10 });
    // The attack ran to its end (and reported what it achieved as its error) …
    const report = hostile.findings.find((f) => f.hazard === 'forward-error')?.message ?? '';
    expect(report).toMatch(/killed=0 altered=0 seen: /);
    // … saw the victim's session but not its text.
    expect(report).toMatch(/drillbot_r_review_\w+=<insufficient privilege>/);
    expect(report).not.toContain(secret);
    const victimReport = await victim;
    expectBenignPassed(victimReport);
    expectBenignPassed(await drill(SHOP, BENIGN, { seedRows: 10 }));
    expect(await leftSince(before)).toEqual([]);
  });
});

describe('isolation: resource caps', () => {
  /** Runs `up` with tiny caps and returns the report and what was left behind. */
  async function capped(up: string, caps: Partial<DrillbotConfig['shadow']>): Promise<{ report: Report; left: string[] }> {
    const before = await drillObjects();
    const report = await drill(SHOP, change(up), { seedRows: 10, ...caps });
    return { report, left: await leftSince(before) };
  }

  it('ends a statement whose temporary files pass shadow.maxTempFiles, naming the cap', async () => {
    const { report, left } = await capped(
      "SET work_mem = '64kB';\nSELECT count(*) FROM (SELECT g, md5(g::text) FROM generate_series(1, 3000000) g ORDER BY 2) s;",
      { maxTempFiles: 4 * MIB },
    );
    expect(hazards(report)).toEqual(['infra@3_change.up.sql:2']);
    expect(report.findings[0].message).toContain('shadow.maxTempFiles = 4 MiB');
    expect(report.findings[0].evidence).toMatch(/temp_file_limit/);
    expect(report.verdict).toBe('fail');
    expect(left).toEqual([]);
  });

  it('ends a migration whose database grows past shadow.maxDatabaseSize, naming the cap', async () => {
    const started = performance.now();
    const { report, left } = await capped(
      "CREATE TABLE ballast (id int, pad text);\nINSERT INTO ballast SELECT g, repeat('x', 500) FROM generate_series(1, 4000000) g;",
      { maxDatabaseSize: 40 * MIB },
    );
    expect(hazards(report)).toEqual(['infra@3_change.up.sql:2']);
    expect(report.findings[0].message).toContain('shadow.maxDatabaseSize = 40 MiB');
    expect(report.findings[0].evidence).toMatch(/^pg_database_size\(drillbot_review_\w+\) = \d+$/);
    expect(report.verdict).toBe('fail');
    expect(left).toEqual([]);
    // The insert alone would write about 2 GiB: it was ended long before.
    console.log(`database cap: review ended after ${Math.round(performance.now() - started)} ms`);
  });
});
