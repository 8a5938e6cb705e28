import { describeDifference, reverseFixFor } from './schema-fixes.js';
import { diffSchemas, type ColumnEntry, type IndexEntry, type SchemaObject, type TableEntry } from './schema-snapshot.js';

const table = (name: string): TableEntry => ({
  objectType: 'table',
  name,
  tableKind: 'table',
  unlogged: false,
  partitionKey: null,
  partitionBound: null,
  parents: [],
  rowSecurity: false,
  forceRowSecurity: false,
  options: null,
});

const column = (tableName: string, member: string, type: string, more: Partial<ColumnEntry> = {}): ColumnEntry => ({
  objectType: 'column',
  name: `${tableName}.${member}`,
  table: tableName,
  member,
  type,
  collation: null,
  notNull: false,
  identity: null,
  generated: null,
  default: null,
  ...more,
});

const index = (name: string, tableName: string, definition: string, constraint: string | null = null): IndexEntry => ({
  objectType: 'index',
  name,
  table: tableName,
  definition,
  valid: true,
  constraint,
});

const snapshot = (...objects: SchemaObject[]): Map<string, SchemaObject> => new Map(objects.map((o) => [`${o.objectType} ${o.name}`, o]));

describe('diffSchemas', () => {
  const before = snapshot(table('public.a'), column('public.a', 'x', 'integer'), column('public.a', 'y', 'text', { default: "'n'::text" }));

  it('is empty for equal snapshots', () => {
    expect(diffSchemas(before, new Map(before))).toEqual([]);
  });

  it('folds the members of an added or removed table into the table', () => {
    const after = snapshot(
      table('public.b'),
      column('public.b', 'z', 'integer'),
      index('public.b_z_idx', 'public.b', 'CREATE INDEX b_z_idx ON public.b USING btree (z)'),
    );
    expect(diffSchemas(before, after).map((d) => `${d.change} ${d.objectType} ${d.name}`)).toEqual(['removed table public.a', 'added table public.b']);
  });

  it('orders by object type, then name, whatever the input order', () => {
    const after = snapshot(
      index('public.z_idx', 'public.a', 'CREATE INDEX z_idx ON public.a USING btree (x)'),
      column('public.a', 'y', 'text'),
      table('public.a'),
      column('public.a', 'x', 'bigint'),
    );
    expect(diffSchemas(before, after).map((d) => d.name)).toEqual(['public.a.x', 'public.a.y', 'public.z_idx']);
  });
});

describe('describeDifference and reverseFixFor', () => {
  it('handles a generated column change without a fix', () => {
    const d = {
      change: 'changed' as const,
      objectType: 'column' as const,
      name: 'public.t.g',
      before: column('public.t', 'g', 'integer', { generated: { kind: 'STORED', expression: '(a * 2)' } }),
      after: column('public.t', 'g', 'integer'),
    };
    expect(describeDifference(d)).toBe('generation of column public.t.g changed from GENERATED ALWAYS AS ((a * 2)) STORED to none');
    expect(reverseFixFor(d)).toBeNull();
  });

  it('drops an added function by its signature', () => {
    const name = 'public.f(a integer, b text)';
    const d = {
      change: 'added' as const,
      objectType: 'function' as const,
      name,
      after: { objectType: 'function' as const, name, definition: 'CREATE OR REPLACE FUNCTION ...' },
    };
    expect(reverseFixFor(d)).toBe('DROP FUNCTION IF EXISTS public.f(a integer, b text);');
  });

  it('does not drop an added index that backs a constraint (the constraint fix does)', () => {
    const after = index('public.t_key', 'public.t', 'CREATE UNIQUE INDEX t_key ON public.t USING btree (a)', 't_key');
    expect(reverseFixFor({ change: 'added', objectType: 'index', name: after.name, after })).toBeNull();
  });

  it('re-creates a removed partitioned index on the whole tree and re-adds a removed column whole', () => {
    const partitioned = index('public.m_at_idx', 'public.m', 'CREATE INDEX m_at_idx ON ONLY public.m USING btree (at)');
    expect(reverseFixFor({ change: 'removed', objectType: 'index', name: partitioned.name, before: partitioned })).toBe(
      'CREATE INDEX m_at_idx ON public.m USING btree (at);',
    );
    const removed = column('public.t', '"Note"', 'text', { collation: '"C"', notNull: true, default: "''::text" });
    expect(reverseFixFor({ change: 'removed', objectType: 'column', name: removed.name, before: removed })).toBe(
      `ALTER TABLE public.t ADD COLUMN "Note" text COLLATE "C" NOT NULL DEFAULT ''::text;`,
    );
  });
});
