import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { DEFAULT_CONFIG } from '../../src/core/config.js';
import { ClonePool } from '../../src/core/drill/clone-pool.js';
import {
  createDatabase,
  dropDatabase,
  saveAsTemplate,
  sweepLeakedDatabases,
  templateName,
  uniqueDatabaseName,
  type RoleCaps,
} from '../../src/core/drill/databases.js';
import { createUrlProvider, keepRunning } from '../../src/core/drill/providers/index.js';
import type { ShadowServer } from '../../src/core/drill/providers/provider.js';
import { review } from '../../src/core/review.js';
import { changeSetOf } from '../support/change-set.js';
import { LOCAL_URL, RULES_OFF } from '../support/drill.js';
import { withAdmin } from '../support/scratch-database.js';

// Ready clones of base templates on the local PostgreSQL: a clone is taken only while its template
// is the one it was made from, an old one is discarded, a killed process's is swept, and a review
// adopts one under its guard (watched, dropped at its end like its other databases).

const HOUR = 3_600_000;
const CAPS: RoleCaps = { maxTempFiles: DEFAULT_CONFIG.shadow.maxTempFiles, statementTimeoutMs: DEFAULT_CONFIG.shadow.statementTimeoutMs };

let server: ShadowServer;
beforeAll(async () => {
  server = await createUrlProvider(LOCAL_URL).start({ signal: new AbortController().signal });
});
afterAll(() => server.close());

const poolNames = () =>
  withAdmin(async (c) =>
    (await c.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'drillbot\\_pool\\_%'`)).rows.map((r) => r.datname),
  );
/** The pool databases made by `work`. */
async function madeBy(work: () => Promise<void>): Promise<string[]> {
  const before = await poolNames();
  await work();
  return (await poolNames()).filter((n) => !before.includes(n));
}

const exists = (name: string) => withAdmin(async (c) => ((await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount ?? 0) > 0);

/** A template for a fresh key holding one table named `table`, as a replayed base would be saved. */
async function template(table: string, key = randomBytes(32).toString('hex')): Promise<{ name: string; key: string }> {
  const base = await createDatabase(server, uniqueDatabaseName('base'));
  const client = new pg.Client(base.login);
  await client.connect();
  await client.query(`CREATE TABLE ${table} (id int PRIMARY KEY)`);
  await client.end();
  const name = await saveAsTemplate(server, base.name, key, { consume: true });
  await dropDatabase(server, base.name); // the database is the template now: this drops its role, as the drill's guard does
  return { name, key };
}

async function dropTemplate(name: string): Promise<void> {
  await withAdmin((c) => c.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE false`).then(() => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));
}

describe('the clone pool', () => {
  it('hands out a clone of the template once, with a role of its own that owns the template’s objects', async () => {
    const tpl = await template('pooled_users');
    const pool = new ClonePool({ size: 1 });
    try {
      expect(await pool.take(server, tpl.name, tpl.key, CAPS)).toBeNull(); // nothing made yet; the template is now wanted
      pool.refill(server);
      await pool.settled();
      const clone = (await pool.take(server, tpl.name, tpl.key, CAPS))!;
      try {
        expect(clone.name).toMatch(/^drillbot_pool_/);
        expect(await pool.take(server, tpl.name, tpl.key, CAPS)).toBeNull();
        const client = new pg.Client(clone.login);
        await client.connect();
        // Only the owner may alter the table: through pg_database_owner, the clone's own role.
        await client.query('ALTER TABLE pooled_users ADD COLUMN note text');
        const { rows } = await client.query(`SELECT current_user AS role, current_database() AS db`);
        await client.end();
        expect(rows).toEqual([{ role: clone.role, db: clone.name }]);
        // Other caps (another repository's statement timeout) need a clone of their own.
        pool.refill(server);
        await pool.settled();
        expect(await pool.take(server, tpl.name, tpl.key, { ...CAPS, statementTimeoutMs: 1234 })).toBeNull();
      } finally {
        await dropDatabase(server, clone.name);
      }
    } finally {
      await pool.close();
      await dropTemplate(tpl.name);
    }
  });

  it('primes a clone before anyone asks, and take() waits for it; a pool that does not refill makes none after', async () => {
    const tpl = await template('primed_users');
    const pool = new ClonePool({ size: 1, refill: false });
    try {
      pool.prime(server, { template: tpl.name, key: tpl.key, caps: CAPS });
      // Asked at once, while the copy is still being made: the take waits for it rather than answering null.
      const clone = (await pool.take(server, tpl.name, tpl.key, CAPS))!;
      expect(clone.name).toMatch(/^drillbot_pool_/);
      await dropDatabase(server, clone.name);
      expect(pool.wantedOn(server)).toEqual([{ template: tpl.name, key: tpl.key, caps: CAPS }]);
      const made = await madeBy(async () => {
        pool.refill(server);
        await pool.settled();
      });
      expect(made).toEqual([]);
    } finally {
      await pool.close();
      await dropTemplate(tpl.name);
    }
  });

  it('discards a clone of a template rebuilt since, and one nobody took in time', async () => {
    const first = await template('rebuilt_users');
    const pool = new ClonePool({ size: 1, maxAgeMs: 1_500 });
    try {
      await pool.take(server, first.name, first.key, CAPS);
      const names = await madeBy(async () => {
        pool.refill(server);
        await pool.settled();
      });
      expect(names).toHaveLength(1);
      // The same key saved again (evicted and replayed): same name, another oid.
      await dropTemplate(first.name);
      const again = await template('rebuilt_users', first.key);
      expect(again.name).toBe(first.name);
      expect(await pool.take(server, again.name, again.key, CAPS)).toBeNull();
      await pool.settled();
      expect(await exists(names[0]!)).toBe(false);

      const made = await madeBy(async () => {
        pool.refill(server);
        await pool.settled();
      });
      expect(made).toHaveLength(1);
      await sleep(2_500);
      await pool.settled();
      expect(await exists(made[0]!)).toBe(false);
      expect(await pool.take(server, again.name, again.key, CAPS)).toBeNull();
    } finally {
      await pool.close();
      await dropTemplate(templateName(first.key));
    }
  });

  it('leaves its clones to the leak sweeper when the process is killed: an old one is swept, a young one kept', async () => {
    const leaked = await createDatabase(server, `drillbot_pool_${(Date.now() - 3 * HOUR).toString(36)}_${randomBytes(4).toString('hex')}`);
    const young = await createDatabase(server, uniqueDatabaseName('pool'));
    try {
      const swept = await sweepLeakedDatabases(server, 2 * HOUR);
      expect(swept).toContain(leaked.name);
      expect(swept).not.toContain(young.name);
      expect(await exists(leaked.name)).toBe(false);
      expect(await exists(young.name)).toBe(true);
    } finally {
      await dropDatabase(server, young.name);
    }
  });

  it('gives a review on a kept server a ready clone, which its guard drops at the end', async () => {
    const provider = keepRunning(createUrlProvider(LOCAL_URL));
    const pool = new ClonePool({ size: 1 });
    // A base of its own, so no other test's template is shared.
    const tag = randomBytes(4).toString('hex');
    const base = {
      [`1_t${tag}.up.sql`]: `CREATE TABLE t${tag} (id bigint PRIMARY KEY, email text NOT NULL);`,
      [`1_t${tag}.down.sql`]: `DROP TABLE t${tag};`,
    };
    const added = { '2_note.up.sql': `ALTER TABLE t${tag} ADD COLUMN note text;`, '2_note.down.sql': `ALTER TABLE t${tag} DROP COLUMN note;` };
    const run = async () => {
      const progress: string[] = [];
      const started = performance.now();
      const report = await review({
        changeSet: changeSetOf('db', base, added),
        config: { ...DEFAULT_CONFIG, rules: RULES_OFF, shadow: { ...DEFAULT_CONFIG.shadow, seedRows: 50 } },
        provider,
        pool,
        onProgress: (m) => progress.push(m),
      });
      return { report, progress, ms: performance.now() - started };
    };
    try {
      let cold!: Awaited<ReturnType<typeof run>>;
      const ready = await madeBy(async () => {
        cold = await run();
        await pool.settled();
      });
      expect(ready).toHaveLength(1);
      const warm = await run();
      await pool.settled();
      const pooled = await run();
      await pool.settled();
      for (const r of [cold, warm, pooled]) expect(r.report.complete).toBe(true);
      expect(cold.progress).not.toContain('base history: a ready clone of the template from the pool');
      expect(warm.progress).toContain('base history: a ready clone of the template from the pool');
      expect(pooled.progress).toContain('base history: a ready clone of the template from the pool');
      expect(pooled.report.findings).toEqual(cold.report.findings);
      // The clone the review took was dropped by its guard.
      expect(await exists(ready[0]!)).toBe(false);
      console.log(
        `review times: first (base replayed, no ready clone) ${cold.ms.toFixed(0)} ms; with a ready clone ${warm.ms.toFixed(0)} / ${pooled.ms.toFixed(0)} ms`,
      );
    } finally {
      await pool.close();
      await provider.stop();
    }
  }, 120_000);
});
