import { loadFixtureTree } from '../testing/file-tree.js';
import { golangMigrate } from './golang-migrate.js';

const fixture = (name: string) => loadFixtureTree('golang-migrate', name, 'migrations');
const script = (path: string, sql: string) => ({ path: `migrations/${path}`, sql, startLine: 1, transaction: 'single-query' });

describe('golangMigrate.read', () => {
  it('pairs up and down files and orders them numerically, not by name', () => {
    expect(golangMigrate.read(fixture('basic'))).toEqual({
      migrations: [
        {
          version: '1',
          name: '1_create_users',
          forward: script('1_create_users.up.sql', 'CREATE TABLE users (id bigint PRIMARY KEY);\n'),
          reverse: script('1_create_users.down.sql', 'DROP TABLE users;\n'),
        },
        {
          version: '2',
          name: '2_add_email',
          forward: script('2_add_email.up.sql', 'ALTER TABLE users ADD COLUMN email text;\n'),
          reverse: script('2_add_email.down.sql', 'ALTER TABLE users DROP COLUMN email;\n'),
        },
        {
          version: '10',
          name: '10_add_email_index',
          forward: script('10_add_email_index.up.sql', 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n'),
          reverse: script('10_add_email_index.down.sql', 'DROP INDEX CONCURRENTLY users_email_idx;\n'),
        },
      ],
      problems: [],
    });
  });

  it('reports missing, empty, orphan and duplicate files', () => {
    const { migrations, problems } = golangMigrate.read(fixture('problems'));
    expect(migrations.map((m) => [m.version, m.name, m.reverse?.path ?? null])).toEqual([
      ['000001', '000001_create_a', null],
      ['000002', '000002_create_b', null],
      ['000003', '000003_seed_b', null],
      ['000005', '000005_create_d', 'migrations/000005_create_d.down.sql'],
      ['05', '05_create_e', 'migrations/05_create_e.down.sql'],
    ]);
    expect(problems).toEqual([
      { kind: 'missing-reverse', version: '000001', path: 'migrations/000001_create_a.up.sql', line: 1, detail: 'no 000001_create_a.down.sql' },
      { kind: 'missing-reverse', version: '000002', path: 'migrations/000002_create_b.up.sql', line: 1, detail: 'no 000002_create_b.down.sql' },
      {
        kind: 'missing-reverse',
        version: '000003',
        path: 'migrations/000003_seed_b.up.sql',
        line: 1,
        detail: '000003_seed_b.down.sql holds no statement',
        emptyReverse: 'migrations/000003_seed_b.down.sql',
      },
      { kind: 'orphan-reverse', version: '000004', path: 'migrations/000004_create_c.down.sql' },
      {
        kind: 'duplicate-version',
        version: '000005',
        paths: ['migrations/000005_create_d.down.sql', 'migrations/000005_create_d.up.sql', 'migrations/05_create_e.down.sql', 'migrations/05_create_e.up.sql'],
      },
    ]);
  });
});

describe('golangMigrate.detect', () => {
  it('accepts numeric pairs with unique versions', () => {
    expect(golangMigrate.detect(fixture('basic'))).toBe(true);
  });

  it('rejects a tree where a numeric version repeats', () => {
    expect(golangMigrate.detect(fixture('problems'))).toBe(false);
  });
});
