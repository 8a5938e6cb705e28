import { describeDifference, diffSchemas, parseSnapshotKey, reverseFixFor, splitMember } from './schema-snapshot.js';

describe('parseSnapshotKey', () => {
  it('reads multi-word object types and quoted names', () => {
    expect(parseSnapshotKey('materialized view public."My View"')).toEqual({ objectType: 'materialized view', name: 'public."My View"' });
    expect(parseSnapshotKey('column public."a.b"."c d"')).toEqual({ objectType: 'column', name: 'public."a.b"."c d"' });
  });
});

describe('splitMember', () => {
  it('splits at dots outside double quotes', () => {
    expect(splitMember('public."a.b"."c.d"')).toEqual({ table: 'public."a.b"', member: '"c.d"' });
  });
});

describe('diffSchemas', () => {
  const before = new Map([
    ['table public.a', 'table'],
    ['column public.a.x', 'integer'],
    ['column public.a.y', "text DEFAULT 'n'::text"],
  ]);

  it('is empty for equal snapshots', () => {
    expect(diffSchemas(before, new Map(before))).toEqual([]);
  });

  it('folds the members of an added or removed table into the table', () => {
    const after = new Map([
      ['table public.b', 'table'],
      ['column public.b.z', 'integer'],
      ['index public.b_z_idx', 'CREATE INDEX b_z_idx ON public.b USING btree (z)'],
    ]);
    expect(diffSchemas(before, after).map((d) => `${d.change} ${d.objectType} ${d.name}`)).toEqual(['removed table public.a', 'added table public.b']);
  });

  it('orders by object type, then name, whatever the input order', () => {
    const after = new Map([
      ['index public.z_idx', 'CREATE INDEX z_idx ON public.a USING btree (x)'],
      ['column public.a.y', 'text'],
      ['table public.a', 'table'],
      ['column public.a.x', 'bigint'],
    ]);
    expect(diffSchemas(before, after).map((d) => d.name)).toEqual(['public.a.x', 'public.a.y', 'public.z_idx']);
  });
});

describe('describeDifference and reverseFixFor', () => {
  it('handles a generated column change without a fix', () => {
    const d = {
      change: 'changed' as const,
      objectType: 'column',
      name: 'public.t.g',
      before: 'integer GENERATED ALWAYS AS ((a * 2)) STORED',
      after: 'integer',
    };
    expect(describeDifference(d)).toBe('generation of column public.t.g changed from GENERATED ALWAYS AS ((a * 2)) STORED to none');
    expect(reverseFixFor(d)).toBeNull();
  });

  it('drops an added function by its signature', () => {
    const d = { change: 'added' as const, objectType: 'function', name: 'public.f(a integer, b text)', after: 'CREATE OR REPLACE FUNCTION ...' };
    expect(reverseFixFor(d)).toBe('DROP FUNCTION IF EXISTS public.f(a integer, b text);');
  });

  it('does not drop an added index that backs a constraint (the constraint fix does)', () => {
    const d = {
      change: 'added' as const,
      objectType: 'index',
      name: 'public.t_key',
      after: 'CREATE UNIQUE INDEX t_key ON public.t USING btree (a) (backs constraint t_key)',
    };
    expect(reverseFixFor(d)).toBeNull();
  });
});
