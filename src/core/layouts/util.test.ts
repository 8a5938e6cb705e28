import { compareBytes, isEmptySql, sliceLines, splitLines, statementHeads } from './util.js';

describe('isEmptySql', () => {
  it.each([
    ['', true],
    ['\n\n  \n', true],
    ['-- nothing to undo\n', true],
    ['/* block\n /* nested */ still comment */\n;\n', true],
    ['SELECT 1', false],
    ['-- x\nDROP TABLE t; -- y\n', false],
  ])('isEmptySql(%j) is %s', (sql, expected) => {
    expect(isEmptySql(sql)).toBe(expected);
  });
});

describe('statementHeads', () => {
  it('splits on semicolons outside strings, quoted names and dollar quotes', () => {
    const sql = [
      "INSERT INTO t VALUES ('a;b', E'it\\'s;');",
      'CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;',
      '-- DROP TABLE commented;',
      'create unique index concurrently "i;x" on t (a);',
    ].join('\n');
    expect(statementHeads(sql, 4)).toEqual(['INSERT INTO T VALUES', 'CREATE FUNCTION F RETURNS', 'CREATE UNIQUE INDEX CONCURRENTLY']);
  });
});

describe('compareBytes', () => {
  it('orders by code point, like Go and Rust strings', () => {
    expect(compareBytes('0000_b', '0000_a')).toBe(1);
    expect(compareBytes('a-b', 'a.b')).toBe(-1);
    expect(compareBytes('\u{1F600}', '\uFFFF')).toBe(1);
  });
});

describe('splitLines and sliceLines', () => {
  it('cut sections out unchanged, CRLF included', () => {
    const content = 'a\r\nb\r\nc';
    const lines = splitLines(content);
    expect(lines.map((l) => l.text)).toEqual(['a', 'b', 'c']);
    expect(sliceLines(content, lines, 2, 4)).toBe('b\r\nc');
    expect(sliceLines(content, lines, 4, 4)).toBe('');
  });
});
