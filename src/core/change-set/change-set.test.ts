import { diffFiles, firstDifferentLine } from './change-set.js';

const tree = (files: Record<string, string>) => ({
  root: 'db',
  files: Object.entries(files).map(([path, content]) => ({ path, content })),
});

describe('diffFiles', () => {
  it('classifies added, modified, deleted and renamed files', () => {
    const base = tree({ 'db/1.sql': 'a', 'db/2.sql': 'b', 'db/3.sql': 'c' });
    const head = tree({ 'db/1.sql': 'a', 'db/2.sql': 'B', 'db/4.sql': 'c', 'db/5.sql': 'e' });
    expect(diffFiles({ base, head })).toEqual([
      { kind: 'modified', path: 'db/2.sql' },
      { kind: 'renamed', path: 'db/4.sql', from: 'db/3.sql' },
      { kind: 'added', path: 'db/5.sql' },
    ]);
  });

  it('reports a deleted file that nothing replaced', () => {
    expect(diffFiles({ base: tree({ 'db/1.sql': 'a' }), head: tree({}) })).toEqual([{ kind: 'deleted', path: 'db/1.sql' }]);
  });
});

describe('firstDifferentLine', () => {
  it('points at the first edited line', () => {
    expect(firstDifferentLine('a\nb\nc', 'a\nb\nC')).toBe(3);
    expect(firstDifferentLine('a', 'a\nmore')).toBe(2);
  });
});
