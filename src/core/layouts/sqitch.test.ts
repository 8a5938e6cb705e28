import { readMigrations } from './index.js';
import type { FileTree } from './layout.js';

const project = (plan: string, scripts: string[]): FileTree => ({
  root: 'db',
  files: [{ path: 'db/sqitch.plan', content: plan }, ...scripts.map((s) => ({ path: `db/${s}`, content: 'SELECT 1;\n' }))],
});

describe('sqitch', () => {
  const plan = [
    '%syntax-version=1.0.0',
    '%project=app',
    '',
    'users 2024-01-01T00:00:00Z Ann <ann@example.com> # users',
    'emails [users] 2024-01-02T00:00:00Z Ann <ann@example.com> # emails',
    '@v1.0 2024-01-03T00:00:00Z Ann <ann@example.com> # tag',
    'gone 2024-01-04T00:00:00Z Ann <ann@example.com>',
    'users [users@v1.0] 2024-01-05T00:00:00Z Ann <ann@example.com> # reworked',
    '',
  ].join('\n');

  it('reads the plan in order with deploy, revert and verify scripts, run statement by statement', () => {
    const { layout, migrations, problems } = readMigrations(project(plan, ['deploy/users.sql', 'revert/users.sql', 'verify/users.sql', 'deploy/emails.sql']));
    expect(layout).toBe('sqitch');
    expect(migrations.map((m) => [m.name, m.forward.path, m.forward.transaction, m.reverse?.path ?? null, m.verify?.path ?? null])).toEqual([
      ['users', 'db/deploy/users.sql', 'none', 'db/revert/users.sql', 'db/verify/users.sql'],
      ['emails', 'db/deploy/emails.sql', 'none', null, null],
    ]);
    expect(problems).toEqual([
      expect.objectContaining({ kind: 'unparsable', path: 'db/sqitch.plan', line: 8, detail: expect.stringMatching(/reworked/) }),
      expect.objectContaining({ kind: 'missing-reverse', version: 'emails', path: 'db/deploy/emails.sql' }),
      expect.objectContaining({ kind: 'unparsable', path: 'db/sqitch.plan', line: 7, detail: expect.stringMatching(/no deploy\/gone\.sql/) }),
    ]);
  });
});
