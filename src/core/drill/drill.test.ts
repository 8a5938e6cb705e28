import type { Migration } from '../layouts/layout.js';
import type { StatementResult } from '../report/report.js';
import { summarize } from './drill.js';
import type { ScriptRun } from './execute.js';

const statement = (line: number, mode: StatementResult['locks'][number]['mode']): StatementResult => ({
  line,
  endLine: line,
  status: 'applied',
  durationMs: 1,
  locks: [{ relation: 'public.users', mode, existing: true }],
  lockView: 'sampled',
  rewrites: [],
  scannedRows: {},
});

describe('summarize', () => {
  it("keeps each relation's strongest lock over the script, also when a later statement outside a transaction takes a weaker one", () => {
    const migration = { version: '1', name: 'm', forward: { path: 'm.sql', sql: '', startLine: 1, transaction: 'none' }, reverse: null } as Migration;
    const run = { status: 'applied', durationMs: 2, statements: [] } as unknown as ScriptRun;
    const result = summarize(migration, migration.forward, 'forward', run, [statement(1, 'AccessExclusiveLock'), statement(2, 'RowExclusiveLock')]);
    expect(result.locks).toEqual([{ relation: 'public.users', mode: 'AccessExclusiveLock', existing: true }]);
  });
});
