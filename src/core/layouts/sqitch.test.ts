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
    const { layout, migrations, problems } = readMigrations(
      project(plan, [
        'deploy/users@v1.0.sql',
        'revert/users@v1.0.sql',
        'verify/users@v1.0.sql',
        'deploy/users.sql',
        'revert/users.sql',
        'verify/users.sql',
        'deploy/emails.sql',
      ]),
    );
    expect(layout).toBe('sqitch');
    expect(migrations.map((m) => [m.name, m.forward.path, m.forward.transaction, m.reverse?.path ?? null, m.verify?.path ?? null])).toEqual([
      ['users', 'db/deploy/users@v1.0.sql', 'none', 'db/revert/users@v1.0.sql', 'db/verify/users@v1.0.sql'],
      ['emails', 'db/deploy/emails.sql', 'none', null, null],
      ['users (rework 1)', 'db/deploy/users.sql', 'none', 'db/revert/users.sql', 'db/verify/users.sql'],
    ]);
    expect(problems).toEqual([
      expect.objectContaining({ kind: 'missing-reverse', version: 'emails', path: 'db/deploy/emails.sql' }),
      expect.objectContaining({ kind: 'unparsable', path: 'db/sqitch.plan', line: 7, detail: expect.stringMatching(/no deploy\/gone\.sql/) }),
    ]);
  });

  it('reads a reworked change from the scripts of the first rework tag that has them, the first tag when none has', () => {
    const reworked = [
      'users 2024-01-01T00:00:00Z Ann <ann@example.com>',
      '@v1.0 2024-01-03T00:00:00Z Ann <ann@example.com>',
      '@v1.1 2024-01-03T00:00:00Z Ann <ann@example.com>',
      'users [users@v1.1] 2024-01-05T00:00:00Z Ann <ann@example.com>',
      '@v2 2024-01-06T00:00:00Z Ann <ann@example.com>',
      'users [users@v2] 2024-01-07T00:00:00Z Ann <ann@example.com>',
    ].join('\n');
    const { migrations, problems } = readMigrations(
      project(reworked, ['deploy/users@v1.1.sql', 'revert/users@v1.1.sql', 'deploy/users.sql', 'revert/users.sql']),
    );
    expect(migrations.map((m) => [m.version, m.forward.path])).toEqual([
      ['users', 'db/deploy/users@v1.1.sql'],
      ['users (rework 2)', 'db/deploy/users.sql'],
    ]);
    expect(problems).toEqual([expect.objectContaining({ kind: 'unparsable', line: 4, detail: 'sqitch cannot deploy users: there is no deploy/users@v2.sql' })]);
  });

  it('refuses a change planned again with no tag between, as sqitch does', () => {
    const twice = ['users 2024-01-01T00:00:00Z Ann <ann@example.com>', 'users 2024-01-02T00:00:00Z Ann <ann@example.com>'].join('\n');
    const { migrations, problems } = readMigrations(project(twice, ['deploy/users.sql', 'revert/users.sql']));
    expect(migrations.map((m) => m.version)).toEqual(['users']);
    expect(problems).toEqual([
      expect.objectContaining({ kind: 'unparsable', line: 2, detail: expect.stringMatching(/cannot rework users without an intervening tag/) }),
    ]);
  });
});
