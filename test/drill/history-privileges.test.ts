import { randomBytes } from 'node:crypto';
import { DEFAULT_CONFIG } from '../../src/core/config.js';
import { createUrlProvider } from '../../src/core/drill/providers/url.js';
import { renderText } from '../../src/core/report/render/text.js';
import type { Report } from '../../src/core/report/report.js';
import { review } from '../../src/core/review.js';
import { changeSetOf } from '../support/change-set.js';
import { drill, hazards, LOCAL_URL, RULES_OFF } from '../support/drill.js';
import { withAdmin } from '../support/scratch-database.js';

/**
 * shadow.historyPrivileges on the local PostgreSQL (url provider, a superuser admin): the base
 * history replays as a superuser when asked, the change still runs as the database's plain owner,
 * a change statement that needs more is a finding naming the privilege, and a template through
 * which the change could act as a superuser is refused.
 */

/** A fresh base each time (a comment in its first file): the template is built, and vetted, by this test. */
const fresh = () => `-- ${randomBytes(4).toString('hex')}\n`;
const shop = (extra = '') => ({
  '1_shop.up.sql': `${fresh()}CREATE TABLE users (id bigint PRIMARY KEY);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL REFERENCES users);`,
  '1_shop.down.sql': 'DROP TABLE orders, users;',
  // Lemmy's way of speeding up a backfill: the foreign-key triggers too, which needs superuser.
  '2_backfill.up.sql': `ALTER TABLE orders DISABLE TRIGGER ALL;
UPDATE orders SET user_id = user_id;
ALTER TABLE orders ENABLE TRIGGER ALL;
${extra}`,
  '2_backfill.down.sql': 'SELECT 1;',
});
const change = (up: string, down = 'SELECT 1;') => ({ '3_change.up.sql': up, '3_change.down.sql': down });
const BENIGN = change('ALTER TABLE orders ADD COLUMN note text;', 'ALTER TABLE orders DROP COLUMN note;');
const asSuperuser = { historyPrivileges: 'superuser' as const };

const messages = (report: Report, hazard: string) => report.findings.filter((f) => f.hazard === hazard).map((f) => f.message);

describe('shadow.historyPrivileges: the base history', () => {
  it('replayed as the owner (the default), stops where it needs superuser: infra at that line', async () => {
    const report = await drill(shop(), BENIGN);
    expect(hazards(report)).toEqual(['infra@2_backfill.up.sql:1']);
    expect(report.findings[0]!.message).toMatch(/is a system trigger/);
  });

  it('replayed as a superuser, applies; the change drills as the owner and the report says how the history ran', async () => {
    const report = await drill(shop(), BENIGN, asSuperuser);
    expect(hazards(report)).toEqual([]);
    expect(report.drill).toMatchObject({ historyPrivileges: 'superuser', baseMigrations: 2, roundTrip: 'restored' });
    expect(renderText(report)).toMatch(/2 base migrations replayed as superuser/);
    expect((await drill(shop(), BENIGN)).drill?.historyPrivileges ?? 'owner').toBe('owner');
  });

  it('a SECURITY DEFINER function the history created is handed to the owner like the rest, so it is no way up', async () => {
    const report = await drill(
      shop(`CREATE FUNCTION touch() RETURNS void LANGUAGE sql SECURITY DEFINER AS 'SELECT 1';`),
      change(
        `DO $$ BEGIN IF (SELECT r.rolsuper FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner WHERE p.proname = 'touch') THEN RAISE EXCEPTION 'superuser-owned'; END IF; END $$;`,
      ),
      asSuperuser,
    );
    expect(hazards(report)).toEqual([]);
  });

  it('a deadline passing during the superuser replay is the time limit, and no superuser role is left behind', async () => {
    const report = await drill(shop('SET statement_timeout = 0; SELECT pg_sleep(60);'), BENIGN, { ...asSuperuser, timeoutMs: 3_000 });
    expect(hazards(report)).toEqual(['infra@3_change.up.sql:1']);
    expect(report.findings[0]!.message).toMatch(/time limit/);
    const left = async () =>
      withAdmin(async (c) =>
        (await c.query(`SELECT rolname FROM pg_roles WHERE rolname LIKE 'drillbot\\_r\\_base\\_%' AND rolsuper`)).rows.map((r) => r.rolname as string),
      );
    for (let tries = 0; tries < 50 && (await left()).length > 0; tries++) await new Promise((r) => setTimeout(r, 100));
    expect(await left()).toEqual([]);
  });

  it('objects the history gave to another role are handed to the owner too, so the change may alter them', async () => {
    const role = `drillbot_test_app_${randomBytes(3).toString('hex')}`;
    try {
      const report = await drill(shop(`CREATE ROLE ${role}; ALTER TABLE orders OWNER TO ${role};`), BENIGN, asSuperuser);
      expect(hazards(report)).toEqual([]);
    } finally {
      await withAdmin((c) => c.query(`DROP ROLE IF EXISTS ${role}`));
    }
  });
});

describe('shadow.historyPrivileges: superuser history that would let the change escalate is refused', () => {
  const refused = async (extra: string, why: RegExp) => {
    const report = await drill(shop(extra), BENIGN, asSuperuser);
    expect(hazards(report)).toEqual(['infra@3_change.up.sql:1']);
    expect(report.findings[0]!.message).toMatch(
      /^The base history, replayed as a superuser \(shadow.historyPrivileges\), left what would let the change act as a superuser, so its template is refused/,
    );
    expect(report.findings[0]!.message).toMatch(why);
  };

  it('a SECURITY DEFINER function owned by a superuser', () =>
    refused(
      `CREATE FUNCTION lift() RETURNS void LANGUAGE sql SECURITY DEFINER AS 'SELECT 1'; ALTER FUNCTION lift() OWNER TO CURRENT_USER; ALTER FUNCTION lift() OWNER TO postgres;`,
      /SECURITY DEFINER functions owned by a superuser[^;]*: lift\(\)/,
    ));

  it('a function in an untrusted language', () =>
    refused(
      `CREATE FUNCTION raw_add(int, int) RETURNS int LANGUAGE internal AS 'int4pl';`,
      /functions in untrusted languages[^;]*: raw_add\(integer,integer\)/,
    ));

  it('an extension that is not trusted', () => refused('CREATE EXTENSION dblink;', /extensions that are not trusted[^;]*: dblink/));

  it('an event trigger', () =>
    refused(
      `CREATE FUNCTION on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS 'BEGIN END'; CREATE EVENT TRIGGER on_ddl ON ddl_command_start EXECUTE FUNCTION on_ddl();`,
      /event triggers[^;]*: on_ddl/,
    ));

  it('a privilege granted on an object the migrator does not own', () =>
    refused(
      'GRANT EXECUTE ON FUNCTION pg_read_file(text) TO PUBLIC;',
      /privileges granted on objects the migrator does not own: EXECUTE to PUBLIC on function pg_read_file\(text\)/,
    ));
});

describe('shadow.historyPrivileges: the change keeps the owner’s privileges', () => {
  it('a forward statement that needs superuser is a forward-error naming it and the safe alternative, not infra', async () => {
    const report = await drill(shop(), change('ALTER TABLE orders DISABLE TRIGGER ALL;\nUPDATE orders SET user_id = user_id;'), asSuperuser);
    expect(hazards(report)).toEqual(['forward-error@3_change.up.sql:1']);
    const [f] = report.findings;
    expect(f!.message).toMatch(/^The forward migration needs superuser \(DISABLE\/ENABLE TRIGGER ALL also switches the foreign-key triggers/);
    expect(f!.message).toMatch(/runs as the database's owner without superuser/);
    expect(f!.fix).toMatch(/DISABLE TRIGGER USER/);
    expect(f!.evidence).toBe('SQLSTATE 42501');
  });

  it('a reverse statement that needs superuser is a reverse-error naming it', async () => {
    const report = await drill(
      shop(),
      change('ALTER TABLE orders ADD COLUMN note text;', `SET session_replication_role = replica;\nALTER TABLE orders DROP COLUMN note;`),
      asSuperuser,
    );
    expect(hazards(report)).toEqual(['reverse-error@3_change.down.sql:1']);
    expect(report.findings[0]!.message).toMatch(/^The reverse migration needs superuser, or the SET privilege on parameter session_replication_role/);
  });

  it('cannot make itself a superuser, reach the server’s files or programs, or install an untrusted extension', async () => {
    const attempts = [
      'ALTER ROLE CURRENT_USER SUPERUSER',
      "COPY orders FROM PROGRAM 'id'",
      "SELECT pg_read_file('/etc/passwd')",
      'CREATE EXTENSION dblink',
      "CREATE FUNCTION raw() RETURNS int LANGUAGE internal AS 'int4pl'",
      'SET session_authorization = postgres',
    ];
    const probe = `DO $$
DECLARE attempt text; allowed text[] := '{}';
BEGIN
  IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN RAISE EXCEPTION 'the change runs as a superuser'; END IF;
  FOREACH attempt IN ARRAY ARRAY[${attempts.map((a) => `$q$${a}$q$`).join(', ')}] LOOP
    BEGIN
      EXECUTE attempt;
      allowed := allowed || attempt;
    EXCEPTION WHEN insufficient_privilege THEN NULL;
    END;
  END LOOP;
  RAISE EXCEPTION 'allowed: %', allowed;
END $$;`;
    const report = await drill(shop(), change(probe), asSuperuser);
    expect(messages(report, 'forward-error')).toEqual(['The forward migration fails on PostgreSQL: allowed: {}.']);
  });
});

describe('shadow.historyPrivileges: superuser with an admin that is not one', () => {
  const admin = `drillbot_test_admin_${randomBytes(3).toString('hex')}`;
  const url = new URL(LOCAL_URL);
  url.username = admin;

  beforeAll(() => withAdmin((c) => c.query(`CREATE ROLE ${admin} LOGIN CREATEDB CREATEROLE; GRANT SET ON PARAMETER temp_file_limit TO ${admin}`)));
  afterAll(() => withAdmin((c) => c.query(`DROP OWNED BY ${admin}; DROP ROLE ${admin}`)));

  it('is infra naming the problem, before any replay', async () => {
    const report = await review({
      changeSet: changeSetOf('db', shop(), BENIGN),
      config: { ...DEFAULT_CONFIG, rules: RULES_OFF, shadow: { ...DEFAULT_CONFIG.shadow, seedRows: 10, ...asSuperuser } },
      provider: createUrlProvider(url.toString()),
      llm: null,
    });
    expect(hazards(report)).toEqual(['infra@3_change.up.sql:1']);
    expect(report.findings[0]!.message).toMatch(
      /^The base history is to replay as a superuser \(shadow.historyPrivileges\), but the shadow PostgreSQL admin is not a superuser/,
    );
  });
});
