import { classifyTypeChange, type ColumnType } from './type-changes.js';

const t = (name: string, mods: number[] = [], array = false): ColumnType => ({ name, mods, array });

describe('classifyTypeChange', () => {
  it.each([
    [t('varchar', [10]), t('varchar', [10])],
    [t('varchar', [10]), t('varchar', [20])],
    [t('varchar', [10]), t('text')],
    [t('text'), t('varchar')],
    [t('numeric', [10, 0]), t('numeric', [12])],
    [t('numeric', [10, 2]), t('numeric')],
    [t('cidr'), t('inet')],
    [t('varbit', [4]), t('varbit')],
    [t('timestamp', [3]), t('timestamptz', [6])],
    [t('interval', [0]), t('interval')],
  ])('does not rewrite %j → %j', (from, to) => {
    expect(classifyTypeChange(from, to, 16).kind).toBe('no-rewrite');
  });

  it.each([
    [t('int4'), t('int8')],
    [t('varchar'), t('varchar', [10])],
    [t('numeric'), t('numeric', [10, 2])],
    [t('bpchar', [5]), t('bpchar', [10])],
    [t('inet'), t('cidr')],
    [t('text'), t('uuid')],
    [t('varchar', [10], true), t('varchar', [20], true)],
  ])('rewrites %j → %j', (from, to) => {
    expect(classifyTypeChange(from, to, 16).kind).toBe('rewrite');
  });

  it('is unknown when the old type is unknown and the target can be reached without a rewrite', () => {
    expect(classifyTypeChange(undefined, t('varchar', [100]), 16).kind).toBe('unknown');
    expect(classifyTypeChange(undefined, t('my_domain'), 16).kind).toBe('unknown');
    expect(classifyTypeChange(undefined, t('int8'), 16).kind).toBe('rewrite');
  });

  it('needs PostgreSQL 12 for timestamp ↔ timestamptz', () => {
    expect(classifyTypeChange(t('timestamptz'), t('timestamp'), 11).kind).toBe('rewrite');
    expect(classifyTypeChange(t('timestamptz'), t('timestamp'), 12).kind).toBe('no-rewrite');
  });
});
