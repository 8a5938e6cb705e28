import { compareNodePgMigrateVersions } from './node-pg-migrate.js';
import { readMigrations } from './index.js';
import type { FileTree } from './layout.js';

const tree = (files: Record<string, string>): FileTree => ({
  root: 'migrations',
  files: Object.entries(files).map(([name, content]) => ({ path: `migrations/${name}`, content })),
});

describe('node-pg-migrate SQL migrations', () => {
  it('reads the up and down sections, in either order, each in a transaction', () => {
    const { layout, migrations, problems } = readMigrations(
      tree({
        '1700000000001_b.sql': '-- Down Migration\nDROP TABLE b;\n-- Up Migration\nCREATE TABLE b (id int);\n',
        '1700000000000_a.sql': '-- Up Migration\nCREATE TABLE a (id int);\n\n-- Down Migration\nDROP TABLE a;\n',
        '1700000000002_c.sql': 'CREATE TABLE c (id int);\n',
      }),
    );
    expect(layout).toBe('node-pg-migrate');
    expect(migrations.map((m) => [m.version, m.forward.startLine, m.forward.sql, m.reverse?.startLine, m.forward.transaction])).toEqual([
      ['1700000000000_a', 1, '-- Up Migration\nCREATE TABLE a (id int);\n\n', 4, 'transaction'],
      ['1700000000001_b', 3, '-- Up Migration\nCREATE TABLE b (id int);\n', 1, 'transaction'],
      ['1700000000002_c', 1, 'CREATE TABLE c (id int);\n', undefined, 'transaction'],
    ]);
    expect(problems).toEqual([expect.objectContaining({ kind: 'missing-reverse', version: '1700000000002_c', line: 1 })]);
  });

  it('orders by the numeric prefix, reading 17 digits as a UTC date, as node-pg-migrate does', () => {
    // 20200513070724505 is 2020-05-13T07:07:24.505Z = 1589353644505 ms: after 1589353644000, before 1589353645000.
    const names = ['1589353645000_c', '20200513070724505_b', '1589353644000_a', '9_index'];
    expect([...names].sort(compareNodePgMigrateVersions)).toEqual(['9_index', '1589353644000_a', '20200513070724505_b', '1589353645000_c']);
  });
});
