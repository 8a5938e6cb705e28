import { loadFixtureTree } from '../testing/file-tree.js';
import { compareVersions, detectLayout, LAYOUTS, readMigrations } from './index.js';
import type { LayoutId } from './layout.js';

describe('detectLayout', () => {
  it.each([
    ['golang-migrate', 'basic', 'migrations', 'golang-migrate'],
    ['golang-migrate', 'problems', 'migrations', 'plain'],
    ['goose', 'basic', 'db/migrations', 'goose'],
    ['dbmate', 'basic', 'db/migrations', 'dbmate'],
    ['flyway', 'basic', 'sql', 'flyway'],
    ['diesel', 'basic', 'migrations', 'diesel'],
    ['plain', 'harness-like', 'postgres', 'plain'],
  ])('detects %s/%s as %s', (layout, name, dir, expected) => {
    expect(detectLayout(loadFixtureTree(layout, name, dir))?.id).toBe(expected);
  });

  it('returns null when nothing fits', () => {
    expect(detectLayout({ root: 'db', files: [{ path: 'db/schema.sql', content: 'CREATE TABLE a (id int);' }] })).toBeNull();
  });

  it('lists every layout once', () => {
    expect(LAYOUTS.map((l) => l.id).sort()).toEqual([
      'atlas',
      'dbmate',
      'diesel',
      'drizzle',
      'flyway',
      'golang-migrate',
      'goose',
      'liquibase',
      'node-pg-migrate',
      'plain',
      'prisma',
      'sqitch',
      'supabase',
    ]);
  });
});

describe('readMigrations', () => {
  it('detects the layout and reads it', () => {
    const result = readMigrations(loadFixtureTree('goose', 'basic', 'db/migrations'));
    expect(result.layout).toBe('goose');
    expect(result.migrations).toHaveLength(5);
  });

  it('uses the layout it is given', () => {
    const result = readMigrations(loadFixtureTree('golang-migrate', 'basic', 'migrations'), 'plain');
    expect(result.layout).toBe('plain');
    expect(result.migrations.map((m) => m.version)).toEqual(['10_add_email_index', '1_create_users', '2_add_email']);
  });

  it('throws a clear error when no layout fits', () => {
    expect(() => readMigrations({ root: 'db', files: [] })).toThrow(/No migration layout fits "db"/);
  });

  it('throws a clear error for an unknown layout id', () => {
    expect(() => readMigrations({ root: '', files: [] }, 'alembic' as LayoutId)).toThrow(/Unknown migration layout "alembic"/);
  });
});

describe('compareVersions', () => {
  it.each<[LayoutId, string, string, number]>([
    ['golang-migrate', '9', '10', -1],
    ['goose', '010', '10', 0],
    ['dbmate', '9', '10', 1],
    ['flyway', '1_10', '1.9', 1],
    ['diesel', '20190226002946', '202601281154140000', -1],
    ['plain', '0000_b', '0000_a', 1],
  ])('%s orders %s against %s as %i', (layout, a, b, sign) => {
    expect(Math.sign(compareVersions(layout, a, b))).toBe(sign);
  });

  it('throws for an unknown layout id', () => {
    expect(() => compareVersions('alembic' as LayoutId, '1', '2')).toThrow(/Unknown migration layout/);
  });
});
