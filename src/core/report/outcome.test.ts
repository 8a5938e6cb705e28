import { buildReport } from './build.js';
import { finding } from './findings.js';
import { outcomeOf } from './outcome.js';

const at = (hazard: 'infra' | 'rewrite', severity: 'error' | 'warning', acknowledged = false) => ({
  ...finding({ hazard, source: 'drill', path: 'db/1.sql', line: 1, message: 'm', severity }),
  ...(acknowledged ? { acknowledged: { reason: 'small table', by: 'db/1.sql:1' } } : {}),
});

describe('outcomeOf', () => {
  it('passes on no error, or on acknowledged ones', () => {
    expect(outcomeOf(buildReport([], [], null))).toBe('pass');
    expect(outcomeOf(buildReport([at('rewrite', 'warning')], [], null))).toBe('pass');
    expect(outcomeOf(buildReport([at('rewrite', 'error', true)], [], null))).toBe('pass');
  });

  it('fails on an open error', () => {
    expect(outcomeOf(buildReport([at('rewrite', 'error')], [], null))).toBe('fail');
  });

  it('is incomplete when the review stopped, whatever else it found', () => {
    expect(outcomeOf(buildReport([at('infra', 'error'), at('rewrite', 'error')], [], null))).toBe('incomplete');
  });
});
