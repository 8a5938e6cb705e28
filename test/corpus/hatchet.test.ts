import {
  baselineWindow,
  corpusSuite,
  drillWindow,
  expectAgreement,
  expectWindowAgrees,
  HATCHET,
  infraFindings,
  loadCorpus,
  once,
  printDrillLog,
  readBaseline,
  windowTitle,
  type CorpusWindow,
} from '../support/corpus.js';

// hatchet-dev/hatchet: goose, 224 SQL migrations plus 9 Go ones that are not in the corpus; a
// SQL-only replay fails at #182 (v1_dags_olap_new comes from the Go migration v1_0_99), so only
// #1–#181 are drilled. Baseline: results/pg15-last20/hatchet (#162–#181), 8 DIFFs: enum values a
// down cannot remove, function bodies restored to an older version, tables not recreated.
const { describeCorpus, fullOnly } = corpusSuite('Hatchet');

const LAST20: CorpusWindow = {
  base: 161,
  end: 181,
  run: 'pg15-last20',
  // #175 (v1_0_91) drops v1_otel_trace and v1_otel_trace_lookup_table and its down does not recreate
  // them (the baseline's DIFF). #174 (v1_0_90) created them and its down drops them, so in the
  // chained rollback that down fails ("table v1_otel_trace_lookup_table does not exist") although the
  // baseline's isolated round trip of #174 is exact: a real rollback of both would fail the same
  // way. The reverse stops there, so #162–#173 are not reached; #171 (v1_0_87) has an empty Down.
  why: "#175, #180 DIFF; #174 down fails after #175's; #171 has an empty Down",
  overrides: { reverseError: [174] },
};

const FIRST9: CorpusWindow = {
  base: 161,
  end: 170,
  run: 'pg15-last20',
  why: '#164, #167 DIFF (trigger function bodies), #169, #170 DIFF (enum values a down cannot remove)',
};

const AFTER_171: CorpusWindow = { base: 171, end: 174, run: 'pg15-last20', why: '#173 DIFF (its down leaves the *_evicted partitions)' };

const V1_2025: CorpusWindow = { base: 89, end: 97, why: '#90 DIFF (function), #91, #92 DIFF (enum values), #96 DIFF (foreign key)' };

describeCorpus('corpus drill: hatchet-dev/hatchet (goose)', () => {
  const last20 = once(() => drillWindow(HATCHET, LAST20));
  afterAll(printDrillLog);

  it('replays the base history #1–#161 and forwards #162–#181: the SQL history applies (no infra finding)', async () => {
    const { d } = await last20();
    expect(infraFindings(d)).toEqual([]);
    expect(d.report.drill).toMatchObject({ layout: 'goose', baseMigrations: 161, newMigrations: 20 });
    expect(d.report.migrations.filter((m) => m.direction === 'forward' && m.status === 'applied')).toHaveLength(20);
  });

  it(`drills ${windowTitle(LAST20)}`, async () => {
    const { d, x } = await last20();
    expect(readBaseline('pg15-last20', HATCHET).get(174)?.result).toBe('exact');
    expect(loadCorpus(HATCHET).migrations[170].reverse).toBeNull();
    expect(x).toMatchObject({ verified: [181, 180, 179, 178, 177, 176, 175], reverseMismatch: [175, 180], reverseError: [174], missingReverse: [171] });
    expectAgreement(d, x, LAST20);
    expect(d.report.findings.find((f) => f.hazard === 'reverse-error')?.message).toMatch(/v1_otel_trace_lookup_table" does not exist/);
  });

  it(`drills ${windowTitle(FIRST9)}`, async () => {
    const { d, x } = await drillWindow(HATCHET, FIRST9);
    expect(
      baselineWindow(readBaseline('pg15-last20', HATCHET), 162, 170)
        .filter((r) => r.result === 'DIFF')
        .map((r) => r.idx),
    ).toEqual([164, 167, 169, 170]);
    expectAgreement(d, x, FIRST9);
    expect(d.report.drill?.templateCache).toBe('hit');
    const messages = d.report.findings.filter((f) => f.hazard === 'reverse-mismatch' && f.source === 'drill').map((f) => `#${d.indexOf(f)} ${f.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^#164 .*function public\.v1_task_runtime_slot_insert_function\(\) changed/),
        expect.stringMatching(/^#169 .*type public\.v1_payload_type changed from enum/),
        expect.stringMatching(/^#170 .*type public\.v1_event_type_olap changed from enum/),
      ]),
    );
  });

  it(`drills ${windowTitle(AFTER_171)}`, () => expectWindowAgrees(HATCHET, AFTER_171));

  fullOnly(`drills ${windowTitle(V1_2025)} (full run)`, () => expectWindowAgrees(HATCHET, V1_2025));
});
