import { loadFixtureTree } from '../testing/file-tree.js';
import { compareFlywayVersions, flyway } from './flyway.js';

const fixture = (name: string) => loadFixtureTree('flyway', name, 'sql');

describe('flyway.read', () => {
  const { migrations, problems } = flyway.read(fixture('basic'));

  it('orders versions part by part, reads subfolders and ignores repeatable scripts', () => {
    expect(migrations.map((m) => [m.version, m.name, m.forward.path])).toEqual([
      ['1', 'V1__create_users', 'sql/V1__create_users.sql'],
      ['1_1', 'V1_1__add_name', 'sql/V1_1__add_name.sql'],
      ['1_2', 'V1_2__index_email', 'sql/V1_2__index_email.sql'],
      ['2', 'V2__backfill', 'sql/V2__backfill.sql'],
      ['10', 'V10__enum_value', 'sql/v2/V10__enum_value.sql'],
    ]);
  });

  it('pairs undo scripts and treats an empty one as missing', () => {
    expect(migrations[0]).toEqual({
      version: '1',
      name: 'V1__create_users',
      forward: { path: 'sql/V1__create_users.sql', sql: 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\n', startLine: 1, transaction: 'transaction' },
      reverse: { path: 'sql/U1__create_users.sql', sql: 'DROP TABLE users;\n', startLine: 1, transaction: 'transaction' },
    });
    expect(problems).toEqual([
      {
        kind: 'missing-reverse',
        version: '1_1',
        path: 'sql/V1_1__add_name.sql',
        line: 1,
        detail: 'U1_1__add_name.sql holds no statement',
        emptyReverse: 'sql/U1_1__add_name.sql',
      },
      { kind: 'missing-reverse', version: '2', path: 'sql/V2__backfill.sql', line: 1, detail: 'no U2__….sql undo script' },
      { kind: 'missing-reverse', version: '10', path: 'sql/v2/V10__enum_value.sql', line: 1, detail: 'no U10__….sql undo script' },
    ]);
  });

  it('runs a script without a transaction when Flyway detects CONCURRENTLY or a script config says so', () => {
    expect(migrations.map((m) => [m.version, m.forward.transaction, m.reverse?.transaction ?? null])).toEqual([
      ['1', 'transaction', 'transaction'],
      ['1_1', 'transaction', null],
      ['1_2', 'none', 'none'],
      ['2', 'none', null],
      // ALTER TYPE … ADD VALUE runs in a transaction on PostgreSQL 12+; words in a string do not count.
      ['10', 'transaction', null],
    ]);
  });

  it('reports duplicate versions, orphan undo scripts and unreadable versions', () => {
    expect(flyway.read(fixture('problems')).problems).toEqual([
      // V1.0 sorts before V1 by name ('.' < '_'); Flyway refuses both as one version.
      { kind: 'duplicate-version', version: '1.0', paths: ['sql/V1.0__create_b.sql', 'sql/V1__create_a.sql'] },
      { kind: 'missing-reverse', version: '1.0', path: 'sql/V1.0__create_b.sql', line: 1, detail: 'no U1.0__….sql undo script' },
      { kind: 'missing-reverse', version: '1', path: 'sql/V1__create_a.sql', line: 1, detail: 'no U1__….sql undo script' },
      { kind: 'orphan-reverse', version: '7', path: 'sql/U7__drop_z.sql' },
      { kind: 'unparsable', path: 'sql/V2a__bad_version.sql', line: 1, detail: 'Flyway cannot read a version from this file name' },
    ]);
  });
});

describe('compareFlywayVersions', () => {
  it('compares parts as numbers, with missing parts as zero', () => {
    expect(compareFlywayVersions('1_2', '1.10')).toBeLessThan(0);
    expect(compareFlywayVersions('2', '1_9_9')).toBeGreaterThan(0);
    expect(compareFlywayVersions('1.0', '1')).toBe(0);
  });
});
