import { loadFixtureTree } from '../testing/file-tree.js';
import { dbmate } from './dbmate.js';

const fixture = (name: string, dir = 'migrations') => loadFixtureTree('dbmate', name, dir);

describe('dbmate.read', () => {
  const { migrations, problems } = dbmate.read(fixture('basic', 'db/migrations'));

  it('cuts the up and down sections out with their file lines', () => {
    expect(migrations[0]).toEqual({
      version: '20240101000000',
      name: '20240101000000_create_users',
      forward: {
        path: 'db/migrations/20240101000000_create_users.sql',
        sql: 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\n\n',
        startLine: 2,
        transaction: 'transaction',
      },
      reverse: {
        path: 'db/migrations/20240101000000_create_users.sql',
        sql: 'DROP TABLE users;\n',
        startLine: 5,
        transaction: 'transaction',
      },
    });
  });

  it('sends a transaction:false section as one query string, per direction', () => {
    expect(migrations[1]!.forward).toEqual({
      path: 'db/migrations/20240102000000_index_email.sql',
      sql: 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n\n',
      startLine: 3,
      transaction: 'single-query',
    });
    expect(migrations[1]!.reverse).toMatchObject({ startLine: 6, transaction: 'transaction' });
  });

  it('reports an empty down section and a missing down directive', () => {
    expect(migrations.map((m) => [m.version, m.reverse === null])).toEqual([
      ['20240101000000', false],
      ['20240102000000', false],
      ['20240103000000', true],
      ['20240104000000', true],
    ]);
    expect(problems).toEqual([
      {
        kind: 'missing-reverse',
        version: '20240103000000',
        path: 'db/migrations/20240103000000_seed.sql',
        line: 3,
        detail: "the '-- migrate:down' section holds no statement",
      },
      {
        kind: 'missing-reverse',
        version: '20240104000000',
        path: 'db/migrations/20240104000000_no_down.sql',
        line: 1,
        detail: "no '-- migrate:down' directive (dbmate refuses to run a file without one)",
      },
    ]);
  });

  it('orders by file name as dbmate does, and rejects statements before migrate:up', () => {
    const result = dbmate.read(fixture('file-order'));
    expect(result.migrations.map((m) => [m.name, m.reverse?.transaction])).toEqual([
      ['10_create_b', 'single-query'],
      ['9_create_a', 'transaction'],
    ]);
    expect(result.problems).toEqual([
      {
        kind: 'unparsable',
        path: 'migrations/11_statement_first.sql',
        line: 1,
        detail: "dbmate cannot run this file: statements before '-- migrate:up'",
      },
    ]);
  });
});

describe('dbmate.detect', () => {
  it('needs a numbered file with a migrate:up directive', () => {
    expect(dbmate.detect(fixture('basic', 'db/migrations'))).toBe(true);
    expect(dbmate.detect(loadFixtureTree('goose', 'basic', 'db/migrations'))).toBe(false);
  });
});
