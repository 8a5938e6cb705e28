import { detectLayout, readMigrations } from './index.js';
import type { FileTree } from './layout.js';

const tree = (root: string, files: Record<string, string>): FileTree => ({
  root,
  files: Object.entries(files).map(([name, content]) => ({ path: `${root}/${name}`, content })),
});

describe('Prisma Migrate', () => {
  const prisma = tree('prisma/migrations', {
    'migration_lock.toml': 'provider = "postgresql"\n',
    '20240102000000_b/migration.sql': 'SELECT 2;\n',
    '20240101000000_a/migration.sql': 'SELECT 1;\n',
    '20240103000000_c/README.md': 'no script\n',
    '20240104000000_d/notes.sql': 'SELECT 4;\n',
  });

  it('reads <dir>/migration.sql in directory-name order, sent as one query, with no reverse and no problem for it', () => {
    const { layout, migrations, problems } = readMigrations(prisma);
    expect(layout).toBe('prisma');
    expect(migrations.map((m) => [m.version, m.forward.transaction, m.reverse])).toEqual([
      ['20240101000000_a', 'single-query', null],
      ['20240102000000_b', 'single-query', null],
    ]);
    // A directory of SQL without migration.sql fails Prisma's deploy; one without SQL is not a migration.
    expect(problems).toEqual([expect.objectContaining({ kind: 'unparsable', path: 'prisma/migrations/20240104000000_d/notes.sql' })]);
  });
});

describe('Supabase CLI', () => {
  const files = {
    '20240102000000_b.sql': 'SELECT 2;\n',
    '20240101000000_a.sql': 'SELECT 1;\n',
    '20211201000000_init.sql': 'SELECT 0;\n',
    'seed.sql': 'SELECT 9;\n',
  };

  it('is detected by its supabase/migrations path only', () => {
    expect(detectLayout(tree('supabase/migrations', files))?.id).toBe('supabase');
    expect(detectLayout(tree('db/migrate', files))).toBeNull();
  });

  it('reads <version>_<name>.sql in version order, skipping the pre-2021-12-09 _init.sql as the CLI does', () => {
    const { migrations, problems } = readMigrations(tree('supabase/migrations', files));
    expect(migrations.map((m) => [m.version, m.name, m.forward.transaction])).toEqual([
      ['20240101000000', '20240101000000_a', 'single-query'],
      ['20240102000000', '20240102000000_b', 'single-query'],
    ]);
    expect(problems).toEqual([]);
  });
});

describe('Drizzle Kit', () => {
  const journal = (entries: Array<{ when: number; tag: string }>) => JSON.stringify({ version: '7', dialect: 'postgresql', entries }, null, 2);

  it("reads the journal's entries in its order, versioned by `when`, each in a transaction", () => {
    const { layout, migrations, problems } = readMigrations(
      tree('drizzle', {
        'meta/_journal.json': journal([
          { when: 1700000000000, tag: '0000_init' },
          { when: 1700000000001, tag: '0001_next' },
        ]),
        '0000_init.sql': 'CREATE TABLE a (id int);\n--> statement-breakpoint\nCREATE TABLE b (id int);\n',
        '0001_next.sql': 'SELECT 1;\n',
      }),
    );
    expect(layout).toBe('drizzle');
    expect(migrations.map((m) => [m.version, m.name, m.forward.transaction, m.reverse])).toEqual([
      ['1700000000000', '0000_init', 'transaction', null],
      ['1700000000001', '0001_next', 'transaction', null],
    ]);
    expect(problems).toEqual([]);
  });

  it('reports an entry without its file at its journal line, a file the journal omits, and a journal that does not parse', () => {
    const { problems } = readMigrations(tree('drizzle', { 'meta/_journal.json': journal([{ when: 1, tag: '0000_gone' }]), '0001_stray.sql': 'SELECT 1;\n' }));
    expect(problems).toEqual([
      expect.objectContaining({ kind: 'unparsable', path: 'drizzle/0001_stray.sql', line: 1, detail: expect.stringMatching(/never runs this file/) }),
      expect.objectContaining({
        kind: 'unparsable',
        path: 'drizzle/meta/_journal.json',
        line: 7,
        detail: expect.stringMatching(/"0000_gone" has no 0000_gone\.sql/),
      }),
    ]);
    const broken = readMigrations(tree('drizzle', { 'meta/_journal.json': '{ "entries": [', '0000_a.sql': 'SELECT 1;\n' }), 'drizzle');
    expect(broken.problems[0]).toMatchObject({ kind: 'unparsable', path: 'drizzle/meta/_journal.json', line: 1 });
  });
});
