import { readSourceFile } from './file-bytes.js';

const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

describe('readSourceFile', () => {
  it('takes well-formed UTF-8 as it is, multi-byte characters and a byte order mark included', () => {
    const file = readSourceFile('a.sql', bytes([0xef, 0xbb, 0xbf], "SELECT 'café', '日本', '🐘';\n"));
    expect(file).toEqual({ path: 'a.sql', content: "\ufeffSELECT 'café', '日本', '🐘';\n" });
  });

  it('names the first invalid sequence and its line as PostgreSQL does (bytes shown: the length the lead byte announces)', () => {
    expect(readSourceFile('a.sql', bytes('SELECT 1;\n', "SELECT 'caf", [0xe9], "');\n")).problem).toEqual({
      kind: 'invalid-utf8',
      line: 2,
      bytes: '0xe9 0x27 0x29',
    });
    // Overlong forms, surrogates and bytes that never lead are invalid, however many bytes follow.
    expect(readSourceFile('a.sql', bytes("'", [0xc0, 0xaf], "'")).problem).toMatchObject({ bytes: '0xc0 0xaf' });
    expect(readSourceFile('a.sql', bytes("'", [0xed, 0xa0, 0x80], "'")).problem).toMatchObject({ bytes: '0xed 0xa0 0x80' });
    expect(readSourceFile('a.sql', bytes('\n\n', [0xff])).problem).toEqual({ kind: 'invalid-utf8', line: 3, bytes: '0xff' });
    // A sequence cut off by the end of the file.
    expect(readSourceFile('a.sql', bytes('x', [0xe6, 0x97])).problem).toMatchObject({ bytes: '0xe6 0x97' });
  });

  it('decodes the rest with replacement characters, so the layout still finds sections and lines', () => {
    const file = readSourceFile('a.sql', bytes('-- +goose Up\nSELECT ', [0xe9], ';\n'));
    expect(file.content).toBe('-- +goose Up\nSELECT \ufffd;\n');
  });

  it('reports a NUL byte with its line, and calls the file binary when bytes that are not UTF-8 come with it', () => {
    expect(readSourceFile('a.sql', bytes('SELECT 1;\n\nSELECT ', [0], ';\n')).problem).toEqual({ kind: 'nul-byte', line: 3, binary: false });
    expect(readSourceFile('a.sql', bytes([0x1f, 0x8b, 0x08, 0x00, 0x0a, 0xff])).problem).toEqual({ kind: 'nul-byte', line: 1, binary: true });
  });
});
