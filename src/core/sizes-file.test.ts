import { parseSizesFile, parseTableSizes } from './sizes-file.js';

describe('parseSizesFile', () => {
  const tables = { 'public.users': { rows: 12, bytes: 8192 } };

  it('reads files written before queries were exported', () => {
    const text = JSON.stringify({ generatedAt: '2026-01-01T00:00:00Z', serverVersion: '15.4', tables });
    expect(parseSizesFile(text, 'sizes.json')).toEqual({ tables: new Map([['public.users', tables['public.users']]]), queries: [] });
    expect(parseTableSizes(text, 'sizes.json').get('public.users')).toEqual({ rows: 12, bytes: 8192 });
  });

  it('reads the exported queries', () => {
    const queries = [{ query: 'SELECT id FROM users WHERE email = $1', calls: 40, meanMs: 0.05 }];
    expect(parseSizesFile(JSON.stringify({ tables, queries }), 'sizes.json').queries).toEqual(queries);
  });

  it('names the file and the field that is wrong', () => {
    expect(() => parseSizesFile('{', 'sizes.json')).toThrow(/^sizes\.json: not JSON/);
    expect(() => parseSizesFile(JSON.stringify({ tables: { t: { rows: 'many', bytes: 1 } } }), 'sizes.json')).toThrow(/^sizes\.json: tables\.t\.rows: /);
    expect(() => parseSizesFile(JSON.stringify({ tables, queries: [{ query: 'SELECT 1', calls: -1, meanMs: 0 }] }), 'sizes.json')).toThrow(
      /^sizes\.json: queries\.0\.calls: /,
    );
  });
});
