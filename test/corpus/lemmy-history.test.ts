import os from 'node:os';
import path from 'node:path';
import { createEmbeddedProvider } from '../../src/core/drill/providers/embedded.js';
import { renderText } from '../../src/core/report/render/text.js';
import { corpusSuite, drillCorpus, infraFindings, LEMMY, loadCorpus, once, summary, type CorpusDrill } from '../support/corpus.js';

/**
 * LemmyNet/lemmy's whole history on the PostgreSQL it needs (≥ 16: #248 selects FROM a subquery
 * without an alias; #244's down names a PG18 NOT NULL constraint) and with the privileges its
 * migrations have in production: Diesel runs them as the database user Lemmy is configured with,
 * and #251 on (2025-08-01-000041 and others) do `ALTER TABLE … DISABLE TRIGGER ALL`, which only a
 * superuser may. Replayed as the owner the history stops at #251 (infra on every later change);
 * with shadow.historyPrivileges: superuser it all replays and the newest migrations are drilled,
 * as the owner. The embedded provider runs the installed PostgreSQL 18 (pg-major.test.ts covers
 * fetching another major).
 */
const { describeCorpus } = corpusSuite('Lemmy');
const PG_MAJOR = 18;
/** The newest migrations, drilled as the change. */
const NEWEST = 5;
/** A cold run starts a fresh cluster and replays #1–#337 (about 15 s here); a loaded machine gets room. */
const COLD_MS = 600_000;
const CACHE = process.env.DRILLBOT_TEST_CACHE_DIR ?? path.join(os.tmpdir(), 'drillbot-test-cache');

describeCorpus(`corpus drill: LemmyNet/lemmy's whole history on PostgreSQL ${PG_MAJOR}`, () => {
  const total = () => loadCorpus(LEMMY).migrations.length;
  const log: string[] = [];
  const drillNewest = (historyPrivileges: 'owner' | 'superuser') =>
    drillCorpus(
      LEMMY,
      total() - NEWEST,
      total(),
      { pgMajor: PG_MAJOR, historyPrivileges, timeoutMs: 30 * 60_000 },
      createEmbeddedProvider({ cacheDir: CACHE }),
    );
  const asSuperuser = once(() => drillNewest('superuser'));
  const labelled = (label: string, d: CorpusDrill) => (log.push(summary(label, d)), d);
  afterAll(() => console.log(log.join('\n')));

  it(
    'replayed as the owner, the history stops at #251: DISABLE TRIGGER ALL needs superuser',
    async () => {
      const d = labelled('owner', await drillNewest('owner'));
      expect(infraFindings(d)).toEqual([
        expect.stringMatching(/^migrations\/2025-08-01-000019_add_report_count\/up\.sql:8 .*is a system trigger \(SQLSTATE 42501\)/),
      ]);
      expect(d.indexOf(d.report.findings.find((f) => f.hazard === 'infra')!)).toBe(251);
    },
    COLD_MS,
  );

  it(
    'replayed as a superuser, the whole history applies; the newest migrations drill as the owner and round-trip',
    async () => {
      const d = labelled('superuser', await asSuperuser());
      expect(infraFindings(d)).toEqual([]);
      expect(d.report.drill).toMatchObject({
        serverVersion: expect.stringMatching(new RegExp(`^${PG_MAJOR}\\.`)),
        layout: 'diesel',
        historyPrivileges: 'superuser',
        baseMigrations: total() - NEWEST,
        newMigrations: NEWEST,
        roundTrip: 'restored',
      });
      expect(d.report.migrations.filter((m) => m.direction === 'forward' && m.status === 'applied')).toHaveLength(NEWEST);
      expect(renderText(d.report)).toMatch(new RegExp(`${total() - NEWEST} base migrations replayed as superuser`));
    },
    COLD_MS,
  );

  // Judged one by one (#338–#342: ADD COLUMN, RENAME COLUMN, ADD COLUMN … NOT NULL DEFAULT 0, four
  // ADD COLUMN, four RENAME COLUMN), all true: every file takes ACCESS EXCLUSIVE without a
  // lock_timeout (Diesel sets none), so behind a long query it queues every reader of the table;
  // #339 renames local_user.hide_media, which the running Lemmy still reads during a deploy. #342's
  // renames are of columns #341, in the same change, added: nothing deployed reads them, no finding.
  // ADD COLUMN with a constant default rewrites nothing since PostgreSQL 11: no finding either.
  it('reports what is true of the newest migrations, and only that', async () => {
    const d = await asSuperuser();
    expect(d.report.findings.map((f) => `${f.hazard}@#${d.indexOf(f)}:${f.line} ${f.rule}`)).toEqual([
      'lock-timeout@#338:1 require-lock-timeout',
      'breaking-change@#339:3 renaming-column',
      'lock-timeout@#339:3 require-lock-timeout',
      'lock-timeout@#340:1 require-lock-timeout',
      'lock-timeout@#341:1 require-lock-timeout',
      'lock-timeout@#342:1 require-lock-timeout',
    ]);
    const seeding = d.report.drill!.seeding;
    log.push(`seeded ${seeding.filter((t) => t.rows > 0).length}/${seeding.length} tables, ${d.report.drill!.seededRows} rows`);
    expect(d.report.drill!.seededTables).toBeGreaterThan(0);
  });

  // #251 as a change: its statements run as the owner, as production's would if Lemmy's database
  // user were not a superuser. The first that needs more (line 8) is the finding, naming what it
  // needs; the drill stops there, so the `UPDATE pg_index` after it (superuser too) is not reached.
  // The rest are the static rules': ADD COLUMN under ACCESS EXCLUSIVE without lock_timeout, the
  // report-count backfills in the same transaction, REINDEX TABLE without CONCURRENTLY.
  it(
    '#251 as the change: DISABLE TRIGGER ALL is a forward-error naming superuser and DISABLE TRIGGER USER, not infra',
    async () => {
      const d = labelled(
        '#251 as the change',
        await drillCorpus(LEMMY, 250, 251, { pgMajor: PG_MAJOR, historyPrivileges: 'superuser' }, createEmbeddedProvider({ cacheDir: CACHE })),
      );
      expect(d.report.findings.map((f) => `${f.hazard}@#${d.indexOf(f)}:${f.line}`)).toEqual([
        'lock-timeout@#251:3',
        'forward-error@#251:8',
        'unbatched-backfill@#251:26',
        'unbatched-backfill@#251:42',
        'blocking-index@#251:77',
        'unbatched-backfill@#251:101',
        'unbatched-backfill@#251:117',
        'blocking-index@#251:152',
      ]);
      const refused = d.report.findings.find((f) => f.hazard === 'forward-error')!;
      expect(refused.message).toMatch(
        /^The forward migration needs superuser \(DISABLE\/ENABLE TRIGGER ALL .*\): permission denied: "RI_ConstraintTrigger_c_\d+" is a system trigger\./,
      );
      expect(refused.fix).toMatch(/DISABLE TRIGGER USER/);
    },
    COLD_MS,
  );
});
