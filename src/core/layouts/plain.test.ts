import { loadFixtureTree } from '../testing/file-tree.js';
import { plain } from './plain.js';

const tree = loadFixtureTree('plain', 'harness-like', 'postgres');
const script = (file: string, sql: string) => ({ path: `postgres/${file}`, sql, startLine: 1, transaction: 'transaction' });

describe('plain.read', () => {
  const { migrations, problems } = plain.read(tree);

  it('orders files by name and uses the whole stem as the version', () => {
    expect(migrations.map((m) => m.version)).toEqual([
      '0000_alter_table_migrations',
      '0000_create_extension_citext',
      '0001_create_table_b_spaces',
      '0021_alter_table_webhook_add_internal',
      '0026_alter_repo_drop_job_id',
      '0030_create_a-b',
      '0189',
    ]);
  });

  it('reads misnamed _up.sql/_down.sql files as maragudk/migrate does', () => {
    expect(migrations[3]).toEqual({
      version: '0021_alter_table_webhook_add_internal',
      name: '0021_alter_table_webhook_add_internal',
      forward: script('0021_alter_table_webhook_add_internal_up.sql', 'ALTER TABLE webhooks ADD COLUMN internal boolean;\n'),
      reverse: script('0021_alter_table_webhook_add_internal_down.sql', 'ALTER TABLE webhooks DROP COLUMN internal;\n'),
    });
  });

  it('reports missing, empty and orphan downs, and a file the tool skips', () => {
    expect(problems).toEqual([
      {
        kind: 'missing-reverse',
        version: '0000_alter_table_migrations',
        path: 'postgres/0000_alter_table_migrations.up.sql',
        line: 1,
        detail: 'no down file for version 0000_alter_table_migrations',
      },
      {
        kind: 'missing-reverse',
        version: '0000_create_extension_citext',
        path: 'postgres/0000_create_extension_citext.up.sql',
        line: 1,
        detail: 'no down file for version 0000_create_extension_citext',
      },
      {
        kind: 'missing-reverse',
        version: '0026_alter_repo_drop_job_id',
        path: 'postgres/0026_alter_repo_drop_job_id.up.sql',
        line: 1,
        detail: 'no down file for version 0026_alter_repo_drop_job_id',
      },
      { kind: 'orphan-reverse', version: '0026_alter_repo_drop_join_id', path: 'postgres/0026_alter_repo_drop_join_id.down.sql' },
      {
        kind: 'missing-reverse',
        version: '0030_create_a-b',
        path: 'postgres/0030_create_a-b.up.sql',
        line: 1,
        detail: 'no down file for version 0030_create_a-b',
      },
      {
        kind: 'missing-reverse',
        version: '0189',
        path: 'postgres/0189.up.sql',
        line: 1,
        detail: '0189.down.sql holds no statement',
        emptyReverse: 'postgres/0189.down.sql',
      },
      {
        kind: 'unparsable',
        path: 'postgres/0030_create_a.up.sql',
        line: 1,
        detail:
          'maragudk/migrate never runs this file: its version "0030_create_a" is not greater than "0030_create_a-b" (0030_create_a-b.up.sql), which sorts before it',
      },
    ]);
  });
});

describe('plain.detect', () => {
  it('accepts .up.sql names, including misnamed ones', () => {
    expect(plain.detect(tree)).toBe(true);
    expect(plain.detect(loadFixtureTree('goose', 'basic', 'db/migrations'))).toBe(false);
  });
});
