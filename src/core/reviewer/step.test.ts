import { finding } from '../report/findings.js';
import type { ReverseDraft } from '../report/report.js';
import { withinTrustBoundary } from './step.js';

const dropTable = finding({ hazard: 'data-loss', source: 'rule', rule: 'ban-drop-table', path: 'db/3.up.sql', line: 2, message: 'drops orders' });
const missing = finding({ hazard: 'missing-reverse', source: 'layout', path: 'db/3.up.sql', line: 1, message: 'no reverse', fix: 'Write the reverse.' });

const draft = (status: ReverseDraft['status']): ReverseDraft => ({
  version: '3',
  name: '3',
  forwardPath: 'db/3.up.sql',
  path: 'db/3.down.sql',
  placement: 'new-file',
  drafter: 'model',
  sql: 'DROP TABLE x;\n',
  status,
  proof: status === 'proven' ? { serverVersion: '15.4', reverse: 'applied', roundTrip: 'restored', redo: 'applied', problems: [] } : null,
});

describe('withinTrustBoundary', () => {
  it('keeps every deterministic finding and forces what the model adds to checklist warnings', () => {
    const forged = {
      ...finding({ hazard: 'data-loss', source: 'rule', path: 'db/3.up.sql', line: 2, message: 'all clear', fix: 'nothing' }),
      severity: 'notice' as const,
      acknowledged: { reason: 'model', by: 'model' },
    };
    const out = withinTrustBoundary([dropTable], [], [forged]);
    expect(out[0]).toBe(dropTable);
    expect(out[1]).toEqual({
      rule: 'checklist/model',
      hazard: 'checklist',
      severity: 'warning',
      path: 'db/3.up.sql',
      line: 2,
      message: 'all clear',
      source: 'model',
    });
  });

  it('offers a drafted reverse as the fix of missing-reverse only when the drill proved it', () => {
    expect(withinTrustBoundary([missing], [draft('failed')], [])).toEqual([missing]);
    expect(withinTrustBoundary([missing], [draft('unproven')], [])).toEqual([missing]);
    const [proven] = withinTrustBoundary([missing], [draft('proven')], []);
    expect(proven).toEqual({
      ...missing,
      fix: expect.stringMatching(
        /^Add this reverse as db\/3\.down\.sql, drafted by Drillbot with the model \(the drill on PostgreSQL 15\.4 proved it.*\):\nDROP TABLE x;$/,
      ),
    });
  });
});
