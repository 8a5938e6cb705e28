import { loadFixtureTree } from '../testing/file-tree.js';
import { diesel, dieselVersion } from './diesel.js';

const tree = loadFixtureTree('diesel', 'basic', 'migrations');

describe('diesel.read', () => {
  const { migrations, problems } = diesel.read(tree);

  it('reads one migration per directory, in version order', () => {
    expect(migrations.map((m) => [m.version, m.name])).toEqual([
      ['00000000000000', '00000000000000_diesel_initial_setup'],
      ['20190226002946', '2019-02-26-002946_create_user'],
      ['202601281154140000', '2026-01-28-115414-0000_captcha-plugin'],
      ['20260201000000', '2026-02-01-000000_no_down'],
      ['20260202000000', '2026-02-02-000000_empty_down'],
    ]);
  });

  it('runs each migration in a transaction unless metadata.toml turns it off', () => {
    expect(migrations[1]).toEqual({
      version: '20190226002946',
      name: '2019-02-26-002946_create_user',
      forward: {
        path: 'migrations/2019-02-26-002946_create_user/up.sql',
        sql: 'CREATE TABLE users (id serial PRIMARY KEY);\n',
        startLine: 1,
        transaction: 'transaction',
      },
      reverse: {
        path: 'migrations/2019-02-26-002946_create_user/down.sql',
        sql: 'DROP TABLE users;\n',
        startLine: 1,
        transaction: 'transaction',
      },
    });
    // Without a transaction Diesel sends the file as one batch_execute query string.
    expect(migrations[2]!.forward.transaction).toBe('single-query');
    expect(migrations[2]!.reverse!.transaction).toBe('single-query');
    // A metadata.toml without run_in_transaction means false (serde default), not true.
    expect(migrations[4]!.forward.transaction).toBe('single-query');
  });

  it('reports missing and empty down.sql, and a directory without up.sql', () => {
    expect(problems).toEqual([
      {
        kind: 'missing-reverse',
        version: '20260201000000',
        path: 'migrations/2026-02-01-000000_no_down/up.sql',
        line: 1,
        detail: 'no 2026-02-01-000000_no_down/down.sql',
      },
      {
        kind: 'missing-reverse',
        version: '20260202000000',
        path: 'migrations/2026-02-02-000000_empty_down/up.sql',
        line: 1,
        detail: '2026-02-02-000000_empty_down/down.sql holds no statement',
        emptyReverse: 'migrations/2026-02-02-000000_empty_down/down.sql',
      },
      {
        kind: 'unparsable',
        path: 'migrations/2026-02-03-000000_no_up/down.sql',
        line: 1,
        detail: 'Diesel migration directory 2026-02-03-000000_no_up has no up.sql',
      },
    ]);
  });
});

describe('dieselVersion', () => {
  it('takes the name up to the first underscore, without dashes', () => {
    expect(dieselVersion('2019-02-26-002946_create_user')).toBe('20190226002946');
    expect(dieselVersion('2026-01-28-115414-0000_captcha-plugin')).toBe('202601281154140000');
    expect(dieselVersion('00000000000000_diesel_initial_setup')).toBe('00000000000000');
  });
});

describe('diesel.detect', () => {
  it('needs an up.sql one level below the root', () => {
    expect(diesel.detect(tree)).toBe(true);
    expect(diesel.detect(loadFixtureTree('golang-migrate', 'basic', 'migrations'))).toBe(false);
  });
});
