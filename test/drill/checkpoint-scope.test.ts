import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Migration } from '../../src/core/layouts/layout.js';
import { parseScript, type ParsedStatement } from '../../src/core/sql/parse.js';
import type { ParsedMigration } from '../../src/core/sql/parse-migrations.js';
import { planCheckpointScopes, scopeNames, type CheckpointScope } from '../../src/core/drill/checkpoint-scope.js';
import { checkRoundTrip, takeCheckpoint, type Checkpoint } from '../../src/core/drill/round-trip.js';
import { drill, hazards } from '../support/drill.js';
import { ScanSession } from '../../src/core/drill/scan-session.js';
import { createScratchDatabase, dropScratchDatabase, LOCAL_SERVER, type ScratchDatabase } from '../support/scratch-database.js';

// A shop whose `account` is referenced by `orders` (ON DELETE CASCADE) and `notes` (no action),
// with an unrelated corner (`audit_log`, `report` and its view, a function) no migration names.
const SHOP = `
CREATE TABLE account (id int PRIMARY KEY, email text NOT NULL, score int);
INSERT INTO account SELECT i, 'a' || i, i FROM generate_series(1, 20) AS i;
CREATE TABLE orders (id int PRIMARY KEY, account_id int REFERENCES account ON DELETE CASCADE, total int);
INSERT INTO orders SELECT i, 1 + i % 20, i * 10 FROM generate_series(1, 40) AS i;
CREATE TABLE notes (id int PRIMARY KEY, account_id int REFERENCES account, body text);
CREATE TABLE audit_log (id bigserial PRIMARY KEY, at timestamptz, what text);
CREATE INDEX audit_log_at ON audit_log (at);
INSERT INTO audit_log (at, what) SELECT now(), 'x' || i FROM generate_series(1, 10) AS i;
CREATE TABLE report (id int PRIMARY KEY, label text UNIQUE);
CREATE VIEW report_labels AS SELECT label FROM report;
CREATE FUNCTION touch_audit() RETURNS void LANGUAGE sql AS $$ UPDATE audit_log SET what = 'touched' $$;
`;

async function parsed(sql: string): Promise<ParsedStatement[]> {
  const result = await parseScript({ sql, startLine: 1 });
  if (!result.ok) throw new Error(result.error.message);
  return result.statements;
}

const script = (path: string, sql: string) => ({ path, sql, startLine: 1, transaction: 'transaction' as const });

async function migration(name: string, up: string, down: string): Promise<ParsedMigration> {
  const m: Migration = { version: name, name, forward: script(`${name}.up.sql`, up), reverse: script(`${name}.down.sql`, down) };
  return { migration: m, forward: await parsed(up), reverse: await parsed(down) };
}

describe('scoped checkpoints', () => {
  let scratch: ScratchDatabase | undefined;
  let client: pg.Client;

  beforeAll(async () => {
    scratch = await createScratchDatabase('drill_scope');
    client = scratch.client;
    await client.query(SHOP);
  });

  afterAll(() => dropScratchDatabase(scratch));

  async function scopeOf(up: string, down: string): Promise<CheckpointScope | undefined> {
    return (await planCheckpointScopes(client, [await migration('1_m', up, down)]))[0];
  }

  /**
   * Forward then reverse in a transaction that is rolled back, checked against the scoped
   * checkpoint; the full checkpoint must report the same.
   */
  async function roundTrip(up: string, down: string): Promise<{ messages: string[]; scope: CheckpointScope | undefined }> {
    const m = await migration('1_m', up, down);
    const [scope] = await planCheckpointScopes(client, [m]);
    await client.query('BEGIN');
    try {
      const scoped = await takeCheckpoint({ own: client }, scope);
      const full = await takeCheckpoint({ own: client });
      await client.query(up);
      await client.query(down);
      const messagesAgainst = async (before: Checkpoint) =>
        (await checkRoundTrip({ own: client }, before, m.migration, m.forward ?? [], [])).findings.map((f) => `${f.hazard}: ${f.message}`);
      const messages = await messagesAgainst(scoped);
      expect(messages).toEqual(await messagesAgainst(full));
      return { messages, scope };
    } finally {
      await client.query('ROLLBACK');
    }
  }

  it('reads fewer objects than the full checkpoint, and the dependents of the named table', async () => {
    const scope = await scopeOf('ALTER TABLE account ADD COLUMN nick text;', 'ALTER TABLE account DROP COLUMN nick;');
    expect(scope).toEqual({ names: ['"account"'], wholeData: false });
    const scoped = await takeCheckpoint({ own: client }, scope);
    const full = await takeCheckpoint({ own: client });
    expect(scoped.schema.size).toBeLessThan(full.schema.size);
    expect(scoped.data.size).toBeLessThan(full.data.size);
    // The FK child that cascades is in, with its rows; the other child only through its FK constraint.
    expect([...scoped.data.keys()]).toEqual(['public.account', 'public.orders']);
    expect(scoped.schema.has('constraint public.notes.notes_account_id_fkey')).toBe(true);
    expect(scoped.schema.has('column public.notes.body')).toBe(false);
    expect([...scoped.schema.keys()].filter((k) => /audit_log|report/.test(k))).toEqual([]);
    // What the scoped checkpoint holds, the full one holds the same.
    for (const [key, object] of scoped.schema) expect(full.schema.get(key)).toEqual(object);
  });

  it('lists and scans the scoped tables on the scan session, beside the catalog reads, as on its own session', async () => {
    const scope = await scopeOf('ALTER TABLE account ADD COLUMN nick text;', 'ALTER TABLE account DROP COLUMN nick;');
    const opened: pg.Client[] = [];
    const scans = new ScanSession(async () => {
      const session = new pg.Client({ ...LOCAL_SERVER, database: scratch!.name });
      opened.push(session);
      await session.connect();
      return session;
    });
    try {
      const alone = await takeCheckpoint({ own: client }, scope);
      const beside = await takeCheckpoint({ own: client, scans }, scope);
      expect([...beside.data.keys()]).toEqual(['public.account', 'public.orders']);
      expect(beside.data).toEqual(alone.data);
      expect(beside.schema).toEqual(alone.schema);
      expect(beside.reached).toEqual(alone.reached);
      // The second session read the list of tables in scope itself, then scanned them.
      const prepared = await opened[0].query<{ list: boolean }>(`SELECT statement LIKE '%cascaded%' AS list FROM pg_prepared_statements ORDER BY prepare_time`);
      expect(prepared.rows.map((r) => r.list)).toEqual([true, false, false]);
    } finally {
      await scans.close();
    }
  });

  it('fails as its first round trip failed, leaving no failure of the scans unhandled', async () => {
    // Both sessions fail when the drill's database goes (the deadline): the scans of every table start before the first round trip ends.
    const unhandled: unknown[] = [];
    const listen = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', listen);
    const own = new pg.Client({ ...LOCAL_SERVER, database: scratch!.name });
    try {
      await own.connect();
      await own.end();
      const scans = { run: () => sleep(10).then(() => Promise.reject(new Error('the scan session ended too'))) };
      await expect(takeCheckpoint({ own, scans }, { names: ['"account"'], wholeData: true })).rejects.toThrow('Client was closed and is not queryable');
      await sleep(50);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', listen);
    }
  });

  it('reads with its own settings and gives the session back its own, plan_cache_mode and jit included', async () => {
    const scope = await scopeOf('ALTER TABLE account ADD COLUMN nick text;', 'ALTER TABLE account DROP COLUMN nick;');
    const settings = `SELECT current_setting('plan_cache_mode') AS plans, current_setting('jit') AS jit, current_setting('search_path') AS path,
                             current_setting('TimeZone') AS zone`;
    await client.query(`SET plan_cache_mode = force_custom_plan; SET jit = on; SET search_path = public, pg_temp; SET TimeZone = 'Asia/Tokyo'`);
    try {
      const before = (await client.query(settings)).rows[0];
      const scoped = await takeCheckpoint({ own: client }, scope);
      expect(scoped.schema.has('column public.account.email')).toBe(true);
      expect((await client.query(settings)).rows[0]).toEqual(before);
      expect(before).toEqual({ plans: 'force_custom_plan', jit: 'on', path: 'public, pg_temp', zone: 'Asia/Tokyo' });
    } finally {
      await client.query('RESET plan_cache_mode; RESET jit; RESET search_path; RESET TimeZone');
    }
  });

  it('reads a DO block through the statements its body runs', async () => {
    const { scope, messages } = await roundTrip(
      'DO $$ BEGIN IF (SELECT count(*) FROM account) >= 0 THEN ALTER TABLE account ADD COLUMN nick text; END IF; END $$;',
      'SELECT 1;',
    );
    expect(scope).toEqual({ names: ['"account"'], wholeData: false });
    expect(messages.join('\n')).toMatch(/public\.account\.nick/);
  });

  it('falls back to the full checkpoint for DO blocks with dynamic SQL, calls of user functions, CASCADE and triggers', async () => {
    expect(await scopeOf("DO $$ BEGIN EXECUTE 'SELECT 1'; END $$;", 'SELECT 1;')).toBeUndefined();
    expect(await scopeOf('DO $$ BEGIN PERFORM touch_audit(); END $$;', 'SELECT 1;')).toBeUndefined();
    expect(await scopeOf('SELECT touch_audit();', 'SELECT 1;')).toBeUndefined();
    expect(await scopeOf('DROP TABLE report CASCADE;', 'SELECT 1;')).toBeUndefined();
    // The scoped snapshot holds no functions: a reverse that does not recreate one must still show.
    expect(await scopeOf('DROP FUNCTION touch_audit();', 'SELECT 1;')).toBeUndefined();
    expect(await scopeOf('SET search_path = other;', 'SELECT 1;')).toBeUndefined();
    expect(
      await scopeOf(
        'CREATE TRIGGER t AFTER INSERT ON account FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();',
        'DROP TRIGGER t ON account;',
      ),
    ).toBeUndefined();
    // Not in a transaction block: planning commits its own.
    try {
      await client.query(`CREATE FUNCTION log_it() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit_log (what) VALUES ('x'); RETURN NEW; END $$;
        CREATE TRIGGER log_it AFTER UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION log_it();`);
      // A trigger in reach (orders cascades from account) may write anywhere: every table is fingerprinted.
      expect(await scopeOf('UPDATE account SET score = 0;', 'SELECT 1;')).toEqual({ names: ['"account"'], wholeData: true });
    } finally {
      await client.query('DROP FUNCTION log_it() CASCADE');
    }
  });

  it('detects an index, column, constraint and view the reverse forgets', async () => {
    const { messages, scope } = await roundTrip(
      `CREATE INDEX account_score ON account (score);
       ALTER TABLE account ADD COLUMN nick text;
       ALTER TABLE account ADD CONSTRAINT score_positive CHECK (score > 0);
       CREATE VIEW account_emails AS SELECT email FROM account;`,
      'SELECT 1;',
    );
    expect(scope).toBeDefined();
    expect(messages).toHaveLength(4);
    expect(messages.join('\n')).toMatch(/account_score/);
    expect(messages.join('\n')).toMatch(/score_positive/);
    expect(messages.join('\n')).toMatch(/account_emails/);
    expect(messages.join('\n')).toMatch(/account\.nick/);
  });

  it('detects data the reverse leaves changed in the named table and in a cascading FK child', async () => {
    const { messages, scope } = await roundTrip('DELETE FROM account WHERE id <= 2;', "INSERT INTO account VALUES (1, 'a1', 1), (2, 'a2', 2);");
    expect(scope?.wholeData).toBe(false);
    expect(messages).toEqual([expect.stringMatching(/^data-loss: .*public\.orders lost 4 of 40 rows/)]);
    const changed = await roundTrip('UPDATE account SET email = upper(email);', 'SELECT 1;');
    expect(changed.messages).toEqual([expect.stringMatching(/values of public\.account\.email changed/)]);
  });

  it('detects a relation the reverse does not rename back, and what it drops', async () => {
    const renamed = await roundTrip('ALTER TABLE orders RENAME TO purchases;', 'SELECT 1;');
    expect(renamed.scope?.names).toEqual(['"orders"', '"purchases"']);
    expect(renamed.messages.join('\n')).toMatch(/public\.orders.*public\.purchases|public\.purchases.*public\.orders/s);
    // Each drop also removes the link through which the checkpoint before reached another relation.
    expect((await roundTrip('CREATE TABLE extra (id int);', 'DROP TABLE extra; DROP TABLE notes;')).messages.join('\n')).toMatch(/public\.notes/);
    expect((await roundTrip('SELECT 1;', 'DROP VIEW report_labels;')).messages.join('\n')).toMatch(/view public\.report_labels is missing/);
    expect((await roundTrip('SELECT 1;', 'ALTER TABLE notes DROP CONSTRAINT notes_account_id_fkey;')).messages.join('\n')).toMatch(/notes_account_id_fkey/);
  });

  it('grows the scopes so that a newer migration’s leftovers stay in the next older scope', () => {
    expect(scopeNames([['a'], ['b'], ['c']])).toEqual([['a', 'b', 'c'], ['b', 'c'], ['c']]);
    expect(scopeNames([['a'], ['b'], undefined, ['c'], undefined, ['d']])).toEqual([['a'], ['a', 'b'], undefined, undefined, undefined, ['d']]);
  });
});

describe('scoped checkpoints in the drill', () => {
  const BASE = {
    '1_shop.up.sql': 'CREATE TABLE account (id int PRIMARY KEY, email text);\nCREATE TABLE report (id int PRIMARY KEY);',
    '1_shop.down.sql': 'DROP TABLE report;\nDROP TABLE account;',
  };

  it('falls back to the full checkpoint for a DO block and still finds what it created elsewhere', async () => {
    const report = await drill(BASE, {
      '2_do.up.sql': "ALTER TABLE account ADD COLUMN nick text;\nDO $$ BEGIN EXECUTE 'CREATE INDEX report_id_desc ON report (id DESC)'; END $$;",
      '2_do.down.sql': 'ALTER TABLE account DROP COLUMN nick;',
    });
    const mismatch = report.findings.find((f) => f.hazard === 'reverse-mismatch');
    expect(mismatch?.message).toMatch(/report_id_desc/);
    expect(report.drill?.roundTrip).toBe('mismatch');
  });

  it('finds a forgotten index and a lost FK child row, with the scoped checkpoints', async () => {
    const report = await drill(
      {
        ...BASE,
        '1_shop.up.sql': `${BASE['1_shop.up.sql']}\nCREATE TABLE orders (id int PRIMARY KEY, account_id int REFERENCES account ON DELETE CASCADE);`,
      },
      {
        '2_prune.up.sql': 'CREATE INDEX account_email ON account (email);\nDELETE FROM account WHERE id % 2 = 0;',
        '2_prune.down.sql': 'SELECT 1;',
      },
    );
    // data-loss at the DELETE itself is the forward's; the round trip's is at the reverse.
    expect(
      hazards(report)
        .filter((h) => /reverse-mismatch|data-loss/.test(h))
        .sort(),
    ).toEqual(['data-loss@2_prune.down.sql:1', 'data-loss@2_prune.up.sql:2', 'reverse-mismatch@2_prune.up.sql:1']);
    expect(report.findings.find((f) => f.hazard === 'data-loss' && f.path.endsWith('down.sql'))?.message).toMatch(/public\.orders/);
  });

  it('reports a newer leftover once, when the migration between names other tables', async () => {
    // 2 and 4 name account, 3 only report: 3's checkpoints must cover account too, or 4's leftover
    // (compared through 3 when 2 is checked) would be reported again at 2.
    const report = await drill(BASE, {
      '2_nick.up.sql': 'ALTER TABLE account ADD COLUMN nick text;',
      '2_nick.down.sql': 'ALTER TABLE account DROP COLUMN nick;',
      '3_label.up.sql': 'ALTER TABLE report ADD COLUMN label text;',
      '3_label.down.sql': 'ALTER TABLE report DROP COLUMN label;',
      '4_default.up.sql': "ALTER TABLE account ALTER COLUMN email SET DEFAULT 'none';",
      '4_default.down.sql': 'SELECT 1;',
    });
    expect(hazards(report).filter((h) => h.startsWith('reverse-mismatch'))).toEqual(['reverse-mismatch@4_default.up.sql:1']);
  });
});
