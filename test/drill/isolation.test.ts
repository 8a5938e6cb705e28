import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { DEFAULT_CONFIG, type DrillbotConfig } from '../../src/core/config.js';
import { createEmbeddedProvider } from '../../src/core/drill/providers/embedded.js';
import { createUrlProvider } from '../../src/core/drill/providers/url.js';
import { ShadowStartError } from '../../src/core/errors.js';
import type { Report } from '../../src/core/report/report.js';
import { review } from '../../src/core/review.js';
import { changeSetOf } from '../support/change-set.js';
import { drill, hazards, LOCAL_URL, RULES_OFF } from '../support/drill.js';
import { withAdmin } from '../support/scratch-database.js';

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
  FOR r IN SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND usename IS DISTINCT FROM current_user LOOP
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
    // Sessions of its own role are its own review's (see the next test): only the others count.
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

describe('a migration that ends the other sessions of its role', () => {
  it("ends its own review's checkpoint session, and the review goes on as without it", async () => {
    // Some migrations end every other session of their database before a rename or a drop.
    const terminate = 'SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid();';
    const drop = { '4_drop.up.sql': 'ALTER TABLE users DROP COLUMN email;', '4_drop.down.sql': 'ALTER TABLE users ADD COLUMN email text;' };
    const ended = await drill(SHOP, { ...change(terminate), ...drop }, { seedRows: 10 });
    const alone = await drill(SHOP, { ...change('SELECT 1;'), ...drop }, { seedRows: 10 });
    expect(ended.complete).toBe(true);
    expect(hazards(ended)).toEqual(['data-loss@4_drop.up.sql:1', 'reverse-mismatch@4_drop.up.sql:1']);
    expect(hazards(ended)).toEqual(hazards(alone));
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

describe('isolation: cleanup', () => {
  it('drops the review’s databases and roles when the deadline passes mid-statement', async () => {
    const before = await drillObjects();
    const report = await drill(SHOP, change('SET statement_timeout = 0;\nSELECT pg_sleep(60);'), { seedRows: 10, timeoutMs: 2_000 });
    expect(report.findings.map((f) => f.hazard)).toEqual(['infra']);
    expect(report.findings[0].message).toMatch(/time limit/);
    // review() returns at the deadline; the guard's cancel, terminate and drop follow within moments.
    expect(await leftSince(before, 5_000)).toEqual([]);
  });
});

describe('isolation: an administrator without superuser (CREATEDB, CREATEROLE)', () => {
  const admin = `drillbot_test_admin_${randomBytes(3).toString('hex')}`;
  const url = new URL(LOCAL_URL);
  url.username = admin;
  const urlReview = (added: Record<string, string>, setup: string) =>
    review({
      changeSet: changeSetOf('db', SHOP, added),
      config: { ...DEFAULT_CONFIG, rules: RULES_OFF, shadow: { ...DEFAULT_CONFIG.shadow, seedRows: 10, setup } },
      provider: createUrlProvider(url.toString()),
      llm: null,
    });

  beforeAll(async () => {
    await withAdmin((c) => c.query(`CREATE ROLE ${admin} LOGIN CREATEDB CREATEROLE`));
  });
  afterAll(async () => {
    await withAdmin(async (c) => {
      // The templates this admin saved are its own to drop.
      const { rows } = await c.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datdba = $1::regrole`, [admin]);
      for (const { datname } of rows) {
        await c.query(`ALTER DATABASE "${datname}" IS_TEMPLATE false`);
        await c.query(`DROP DATABASE "${datname}"`);
      }
      await c.query(`DROP OWNED BY ${admin}; DROP ROLE ${admin}`);
    });
  });

  it('refuses to start while the admin may not set temp_file_limit, naming the GRANT that allows it', async () => {
    const failure = createUrlProvider(url.toString()).start({ signal: AbortSignal.timeout(30_000) });
    await expect(failure).rejects.toThrow(ShadowStartError);
    await expect(failure).rejects.toThrow(`GRANT SET ON PARAMETER temp_file_limit TO ${admin}.`);
  });

  it('drills as the roles it creates, saves its template, and a migration cannot revoke the admin’s hold on its role', async () => {
    await withAdmin((c) => c.query(`GRANT SET ON PARAMETER temp_file_limit TO ${admin}`));
    const server = await createUrlProvider(url.toString()).start({ signal: AbortSignal.timeout(30_000) });
    expect(server.admin).toEqual({ superuser: false, listTempFiles: false });
    await server.close();
    const before = await drillObjects();
    const setup = `-- a base of its own: ${randomBytes(4).toString('hex')}`; // a cache miss: this admin saves the template
    const revoke = `DO $$
DECLARE revoked int := 0; r record;
BEGIN
  FOR r IN SELECT m.rolname FROM pg_auth_members a JOIN pg_roles m ON m.oid = a.member WHERE a.roleid = (SELECT oid FROM pg_roles WHERE rolname = current_user) LOOP
    BEGIN
      EXECUTE format('REVOKE %I FROM %I', current_user, r.rolname);
      revoked := revoked + 1;
    EXCEPTION WHEN insufficient_privilege THEN NULL;
    END;
  END LOOP;
  RAISE EXCEPTION 'revoked=%', revoked;
END $$;`;
    const hostile = await urlReview(change(revoke), setup);
    expect(hostile.findings.map((f) => f.message)).toEqual(['The forward migration fails on PostgreSQL: revoked=0.']);
    expectBenignPassed(await urlReview(BENIGN, setup));
    expect(await leftSince(before)).toEqual([]);
  });
});

describe('isolation: embedded server', () => {
  let cacheDir: string;
  beforeAll(async () => {
    cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'drillbot-isolation-'));
    await fs.chmod(cacheDir, 0o755); // as root, the server runs as the OS user postgres
  });
  afterAll(async () => {
    await fs.rm(cacheDir, { recursive: true, force: true });
  });

  const embeddedReview = (added: Record<string, string>, shadow: Partial<DrillbotConfig['shadow']> = {}) =>
    review({
      changeSet: changeSetOf('db', SHOP, added),
      config: { ...DEFAULT_CONFIG, rules: RULES_OFF, shadow: { ...DEFAULT_CONFIG.shadow, seedRows: 10, ...shadow } },
      provider: createEmbeddedProvider({ cacheDir }),
      llm: null,
    });

  it('ends a backend whose memory passes shadow.maxBackendMemory, naming the cap; the next review is unaffected', async () => {
    const started = performance.now();
    const report = await embeddedReview(
      change("SET work_mem = '4GB';\nSELECT count(*) FROM (SELECT DISTINCT md5(g::text) FROM generate_series(1, 30000000) g) s;"),
      { maxBackendMemory: 96 * MIB },
    );
    console.log(`memory cap: review ended after ${Math.round(performance.now() - started)} ms`);
    expect(hazards(report)).toEqual(['infra@3_change.up.sql:2']);
    expect(report.findings[0].message).toContain('shadow.maxBackendMemory = 96 MiB');
    expect(report.findings[0].evidence).toMatch(/^\/proc\/\d+\/status RssAnon: \d+ kB$/);
    expectBenignPassed(await embeddedReview(BENIGN));
    // Both reviews left no role and no database but the base template on the cluster.
    const server = await createEmbeddedProvider({ cacheDir }).start({ signal: AbortSignal.timeout(60_000) });
    const client = new pg.Client(server.adminConfig('postgres'));
    try {
      await client.connect();
      const { rows } = await client.query(
        `SELECT rolname AS name FROM pg_roles WHERE rolname LIKE 'drillbot%' UNION ALL SELECT datname FROM pg_database WHERE datname LIKE 'drillbot%' AND NOT datistemplate`,
      );
      expect(rows).toEqual([]);
    } finally {
      await client.end().catch(() => undefined);
      await server.close();
    }
  });
});
