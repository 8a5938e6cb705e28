import {
  baselineWindow,
  corpusSuite,
  drillWindow,
  expectAgreement,
  expectWindowAgrees,
  HARNESS,
  infraFindings,
  loadCorpus,
  once,
  printDrillLog,
  readBaseline,
  windowTitle,
  type CorpusWindow,
} from '../support/corpus.js';

// harness/harness: maragudk/migrate plain pairs, 209 migrations, all apply on PG15 (SQL only).
// Baseline: results/pg15-all/harness/roundtrip.tsv, each migration's up+down on a clone of the
// history before it (psql, pg_dump diff). The drill instead reverses the whole window newest first,
// so a migration is verified only when every newer reverse in the window ran.
const { describeCorpus, fullOnly } = corpusSuite('Harness');

const LAST10: CorpusWindow = { base: 199, end: 209, why: 'the last ten (#200–#209): all exact in the baseline' };

/** Windows around the baseline's DIFF and down-failed entries (pg15-all). */
const WINDOWS: CorpusWindow[] = [
  { base: 42, end: 44, why: '#44 DIFF (its down re-adds token_grants with DEFAULT 0); #43 down fails (pipelines has dependents)' },
  { base: 44, end: 45, why: "#45 down is MySQL's DROP INDEX … ON (the misnamed 0029_…_down.sql): PostgreSQL cannot parse it" },
  { base: 60, end: 61, why: '#61 down recreates an index whose old name no longer exists' },
  { base: 61, end: 73, why: '#62 down fails; #66, #69, #73 DIFF; #71 sorted-equal (column order only)' },
  { base: 85, end: 88, why: '#86 down drops a table that does not exist; #88 sorted-equal' },
  { base: 89, end: 97, why: '#91, #94 DIFF; #96 sorted-equal' },
];

/** More of the history (DRILLBOT_CORPUS_FULL=1): together with the above, every migration from #30 on whose round trip the drill can reach. */
const MORE_WINDOWS: CorpusWindow[] = [
  { base: 33, end: 41, why: '#34 DIFF' },
  { base: 49, end: 57, why: '#56 DIFF (its down leaves the recreated templates table out)' },
  { base: 61, end: 85, why: '#62 down fails; #66, #69, #73, #80 DIFF; #71, #81, #82 sorted-equal' },
  { base: 101, end: 139, why: '#107, #109, #113, #114, #133 DIFF' },
  // #146 (0146_alter_pullreq_source_repo_id_nullable) sets pullreq_activity_seq NOT NULL, and the
  // seeded pullreqs hold NULLs there: a true data-dependent failure the empty psql replay cannot see.
  { base: 140, end: 166, why: '#148 DIFF; #166 fails forward on seeded rows (data-dependent)', overrides: { forwardStop: 166 } },
  { base: 166, end: 199, why: '#182 DIFF' },
];

describeCorpus('corpus drill: harness/harness (plain pairs)', () => {
  const baseline = readBaseline('pg15-all', HARNESS);
  const last10 = once(() => drillWindow(HARNESS, LAST10));
  afterAll(printDrillLog);

  it('replays the base history #1–#199 with the migrations bookkeeping table (no infra finding)', async () => {
    const { d } = await last10();
    expect(infraFindings(d)).toEqual([]);
    expect(d.report.drill).toMatchObject({ layout: 'plain', baseMigrations: 199, newMigrations: 10 });
  });

  it('drills #200–#209 on #1–#199: every forward applies and every round trip agrees with the baseline', async () => {
    const { d, x } = await last10();
    expect(baselineWindow(baseline, 200, 209).map((r) => r.result)).toEqual(Array(10).fill('exact'));
    expectAgreement(d, x, LAST10);
    expect(x.verified).toHaveLength(10);
    // 0185 recomputes the repositories' pull-request counters from pullreqs (a data repair; its down
    // is a no-op): with seeded rows the counters change for good. Before each older reverse was
    // compared with its own checkpoint only, so 0180–0184 were blamed for it too.
    const reverseLosses = d.report.findings.filter((f) => f.hazard === 'data-loss' && /does not survive/.test(f.message)).map(d.indexOf);
    expect(reverseLosses.every((i) => i === 205)).toBe(true);
  });

  it.each(WINDOWS.map((w) => [windowTitle(w), w] as const))('drills %s', (_title, w) => expectWindowAgrees(HARNESS, w));

  fullOnly.each(MORE_WINDOWS.map((w) => [windowTitle(w), w] as const))('drills %s (full run)', (_title, w) => expectWindowAgrees(HARNESS, w));

  it('reports missing-reverse for a comment-only down, and skips a comment-only placeholder (#58–#60)', async () => {
    // #58 0042_drop_table_reqchecks drops reqchecks and its down is a comment ("keep deleted"): the
    // baseline's DIFF, and a missing reverse. #59 0043_alter_table_rules is comment-only both ways
    // ("data is migrated in code"): a forward with no statement needs no reverse.
    const m59 = loadCorpus(HARNESS).migrations[58];
    expect(m59.name).toBe('0043_alter_table_rules');
    expect(baselineWindow(baseline, 58, 60).map((r) => `${r.down}:${r.result}`)).toEqual(['empty:DIFF', 'empty:exact', 'present:exact']);
    const w: CorpusWindow = { base: 57, end: 60, why: 'comment-only downs' };
    const { d, x } = await drillWindow(HARNESS, w);
    expect(x).toMatchObject({ missingReverse: [58], verified: [60], stopped: true });
    expectAgreement(d, x, w);
  });
});
