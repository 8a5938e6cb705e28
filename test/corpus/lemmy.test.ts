import {
  baselineWindow,
  corpusSuite,
  drillWindow,
  expectAgreement,
  expectWindowAgrees,
  infraFindings,
  LEMMY,
  once,
  printDrillLog,
  readBaseline,
  windowTitle,
  type CorpusWindow,
} from '../support/corpus.js';

// LemmyNet/lemmy: Diesel, one directory per migration. #248 needs PostgreSQL 16+ (FROM (subquery)
// without an alias), so on PG15 only #1–#247 exist. The bookkeeping table must exist first:
// #2025-08-01-000017 puts a trigger on it (shadow.setup in support/corpus.ts).
const { describeCorpus, fullOnly } = corpusSuite('Lemmy');

// #234 2025-08-01-000002_error_if_code_migrations_needed is a guard: a DO block that RAISEs when
// person/community/post/… rows look like a pre-0.19 instance (e.g. post.thumbnail_url NOT LIKE
// 'http%', site.public_key = ''). The seeder's synthetic rows match it, so on a seeded shadow the
// drill stops there with forward-error (SQLSTATE P0001 is not one of the data-dependent classes
// 22/23). The psql baseline ran on empty tables. To compare round trips past #234, the windows
// below drill with seedRows 0, as the baseline did.
const LAST20_SEEDED: CorpusWindow = {
  base: 227,
  end: 247,
  run: 'pg15-last20',
  why: 'seeded: the #234 guard refuses the seeded rows; #228–#233 round-trip',
  overrides: { forwardStop: 234, forwardStopHazard: 'forward-error' },
};

const LAST20: CorpusWindow = {
  base: 227,
  end: 247,
  run: 'pg15-last20',
  seedRows: 0,
  // #244's down uses PG18-only syntax (RENAME CONSTRAINT person_shared_inbox_url_not_null: PG18
  // names NOT NULL constraints). Reversing newest first, the drill checks #247, #246 and #245
  // (sorted-equal: column order only), then stops at #244; #228–#243 are not reached.
  why: '#244 down fails on PG15 (PG18 syntax); #245 sorted-equal; #228–#243 not reached',
};

const BEFORE_244: CorpusWindow = {
  base: 227,
  end: 243,
  run: 'pg15-last20',
  seedRows: 0,
  why: 'the rest of the pg15-last20 window: #235–#237, #241, #242 sorted-equal, the others exact',
};

// 2020–21: views and the *_fast tables. The baseline's #41 DIFF is views that its down re-creates
// with post.ap_id/local still in them; in the chained rollback those views are still there when #39's
// down drops post.ap_id, so that down fails ("other objects depend on it") although the baseline's
// isolated round trip of #39 is exact. Its DIFF #37 is therefore not reached.
const VIEWS_2020: CorpusWindow = {
  base: 36,
  end: 52,
  why: "#41, #44, #45, #48, #52 DIFF (views, triggers, functions); #40 sorted-equal; #39 down fails after #41's leftovers",
  overrides: { reverseError: [39] },
};

const PG18_213: CorpusWindow = { base: 212, end: 227, why: '#213 down fails on PG15 (ADD CONSTRAINT … NOT NULL col, PG18); #219 sorted-equal' };

describeCorpus('corpus drill: LemmyNet/lemmy (Diesel)', () => {
  const last20 = once(() => drillWindow(LEMMY, LAST20));
  afterAll(printDrillLog);

  it('replays the base history #1–#227 and forwards #228–#247: the whole PG15 history applies (no infra finding)', async () => {
    const { d } = await last20();
    expect(infraFindings(d)).toEqual([]);
    expect(d.report.drill).toMatchObject({ layout: 'diesel', baseMigrations: 227, newMigrations: 20 });
    expect(d.report.migrations.filter((m) => m.direction === 'forward' && m.status === 'applied')).toHaveLength(20);
  });

  it(`drills ${windowTitle(LAST20)}`, async () => {
    const { d, x } = await last20();
    expect(baselineWindow(readBaseline('pg15-last20', LEMMY), 244, 247).map((r) => r.result)).toEqual(['down-failed', 'sorted-equal', 'exact', 'exact']);
    expect(x).toMatchObject({ verified: [247, 246, 245], reverseError: [244], stopped: true });
    expectAgreement(d, x, LAST20);
    expect(d.report.findings.find((f) => f.hazard === 'reverse-error')?.message).toMatch(/person_shared_inbox_url_not_null/);
  });

  it(`drills ${windowTitle(BEFORE_244)}`, async () => {
    const { d, x } = await drillWindow(LEMMY, BEFORE_244);
    expect(x.verified).toHaveLength(16);
    expectAgreement(d, x, BEFORE_244);
    expect(d.report.drill?.templateCache).toBe('hit');
  });

  it(`drills ${windowTitle(LAST20_SEEDED)}`, async () => {
    const { d, x } = await drillWindow(LEMMY, LAST20_SEEDED);
    expect(x.verified).toEqual([233, 232, 231, 230, 229, 228]);
    expectAgreement(d, x, LAST20_SEEDED);
    expect(d.report.findings.find((f) => f.hazard === 'forward-error')?.message).toMatch(/Unstable upgrade/);
  });

  it(`drills ${windowTitle(VIEWS_2020)}`, async () => {
    const { d, x } = await drillWindow(LEMMY, VIEWS_2020);
    expect(readBaseline('pg15-all', LEMMY).get(39)?.result).toBe('exact');
    expect(x.reverseMismatch).toEqual([41, 44, 45, 48, 52]);
    expectAgreement(d, x, VIEWS_2020);
    expect(d.report.findings.find((f) => f.hazard === 'reverse-error')?.message).toMatch(
      /cannot drop column ap_id of table post because other objects depend on it/,
    );
  });

  fullOnly(`drills ${windowTitle(PG18_213)} (full run)`, () => expectWindowAgrees(LEMMY, PG18_213));
});
