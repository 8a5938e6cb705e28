import { corpusSuite, drillCorpus, infraFindings, loadCorpus, once, OPENFGA, readBaseline, verdicts } from '../support/corpus.js';

// openfga/openfga: goose, 6 migrations; replay.sh (psql, PG15) applies all and round-trips all exactly.
const { describeCorpus } = corpusSuite('OpenFGA');

describeCorpus('corpus drill: openfga/openfga (goose)', () => {
  const whole = once(() => drillCorpus(OPENFGA, 0, 6));

  it('drills the whole history on an empty base: forward, reverse and redo all apply, everything restored', async () => {
    const d = await whole();
    expect(infraFindings(d)).toEqual([]);
    expect(readBaseline('pg15-last20', OPENFGA).size).toBe(6);
    expect([...readBaseline('pg15-last20', OPENFGA).values()].every((r) => r.result === 'exact')).toBe(true);
    expect(verdicts(d)).toEqual({
      forwardApplied: [1, 2, 3, 4, 5, 6],
      reversed: [6, 5, 4, 3, 2, 1],
      reverseMismatch: [],
      reverseError: [],
      missingReverse: [],
    });
    const redo = d.report.migrations.filter((m) => m.direction === 'redo');
    expect(redo.map((m) => [d.indexOfPath(m.path), m.status])).toEqual([1, 2, 3, 4, 5, 6].map((i) => [i, 'applied']));
    expect(d.report.drill?.roundTrip).toBe('restored');
    const hazards = d.report.findings.map((f) => f.hazard);
    for (const hazard of ['reverse-mismatch', 'forward-error', 'reverse-error', 'data-loss', 'missing-reverse'] as const) expect(hazards).not.toContain(hazard);
  });

  it('drills 006_add_collate_index (NO TRANSACTION, CREATE/DROP INDEX CONCURRENTLY) on the first five: no concurrently-in-transaction', async () => {
    const m6 = loadCorpus(OPENFGA).migrations[5];
    expect(m6.name).toBe('006_add_collate_index');
    expect([m6.forward.transaction, m6.reverse?.transaction]).toEqual(['none', 'none']);
    const d = await drillCorpus(OPENFGA, 5, 6);
    expect(infraFindings(d)).toEqual([]);
    expect(d.report.drill?.baseMigrations).toBe(5);
    expect(d.report.findings.filter((f) => f.hazard === 'concurrently-in-transaction')).toEqual([]);
    expect(verdicts(d)).toEqual({ forwardApplied: [6], reversed: [6], reverseMismatch: [], reverseError: [], missingReverse: [] });
    expect(d.report.drill?.roundTrip).toBe('restored');
  });
});
