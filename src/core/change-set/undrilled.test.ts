import { looksLikeMigration, undrilledSqlFiles } from './undrilled.js';

describe('looksLikeMigration', () => {
  it.each([
    'supabase/migrations/20240101000000_init.sql',
    'db/migrate/20240101_add_users.sql',
    'src/main/resources/db/changelog/changes/001.sql',
    'deploy/add_users.sql',
    'revert/add_users.sql',
    'db/001_init.sql',
    'schema/users.sql',
    'prisma/migrations/20240101_init/migration.sql',
    'MIGRATIONS/V1__Init.SQL',
  ])('%s looks like a migration', (path) => expect(looksLikeMigration(path)).toBe(true));

  it.each([
    'db/query/users.sql', // sqlc's queries beside its schema
    'queries/report.sql',
    'test/fixtures/dump.sql',
    'db/migrations/README.md',
    'init.sql',
  ])('%s does not', (path) => expect(looksLikeMigration(path)).toBe(false));
});

describe('undrilledSqlFiles', () => {
  it('reports changed SQL under the migrations directory that no migration covers, and migration-like SQL elsewhere', () => {
    const changed = ['db/migrations/2_x.up.sql', 'db/migrations/seed.sql', 'supabase/migrations/1_a.sql', 'db/query/q.sql', 'README.md'];
    expect(undrilledSqlFiles(changed, 'db/migrations', new Set(['db/migrations/2_x.up.sql']))).toEqual([
      'db/migrations/seed.sql',
      'supabase/migrations/1_a.sql',
    ]);
  });

  it('without a migrations directory, only what looks like migrations', () => {
    expect(undrilledSqlFiles(['supabase/migrations/1_a.sql', 'queries/q.sql'], null, new Set())).toEqual(['supabase/migrations/1_a.sql']);
  });
});
