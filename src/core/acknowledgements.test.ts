import { applyAckDirectives, type AckDirective } from './acknowledgements.js';
import { finding } from './report/findings.js';

describe('applyAckDirectives', () => {
  const wholeFile: AckDirective = {
    path: 'db/1.up.sql',
    line: 1,
    target: 'infra',
    reason: 'the server is flaky',
    covers: { from: 1, to: Number.MAX_SAFE_INTEGER },
  };

  it('never acknowledges an infra finding: Drillbot could not review, so only a re-run helps', () => {
    const infra = finding({ hazard: 'infra', source: 'engine', path: 'db/1.up.sql', line: 1, message: 'could not complete' });
    const [kept, refused] = applyAckDirectives([infra], [wholeFile]);
    expect(kept.acknowledged).toBeUndefined();
    expect(refused).toMatchObject({ rule: 'ack-directive', severity: 'warning', message: expect.stringContaining('cannot cover infra') });
  });
});
