import { parseScript } from './parse.js';

describe('parseScript', () => {
  it('keeps each statement on its file line, skipping comments', async () => {
    const sql = '-- header\n\nCREATE TABLE t (a int);\n/* note */ CREATE INDEX t_a ON t\n  (a);\n';
    const result = await parseScript({ sql, startLine: 5 });
    expect(result).toMatchObject({
      ok: true,
      statements: [
        { kind: 'CreateStmt', line: 7, endLine: 7, text: 'CREATE TABLE t (a int)' },
        { kind: 'IndexStmt', line: 8, endLine: 9 },
      ],
    });
  });

  it('counts characters, not bytes, after multi-byte text', async () => {
    const sql = "COMMENT ON TABLE t IS 'é—ü';\nALTER TABLE t ADD COLUMN b int;";
    const result = await parseScript({ sql, startLine: 1 });
    expect(result.ok && result.statements.map((s) => [s.line, s.text])).toEqual([
      [1, "COMMENT ON TABLE t IS 'é—ü'"],
      [2, 'ALTER TABLE t ADD COLUMN b int'],
    ]);
  });

  it('parses statements other parsers reject', async () => {
    const sql = [
      'ALTER TABLE o ADD CONSTRAINT fk FOREIGN KEY (u) REFERENCES u (id) NOT VALID;',
      'ALTER TABLE o VALIDATE CONSTRAINT fk;',
      'CREATE TRIGGER trg BEFORE UPDATE ON o FOR EACH ROW EXECUTE FUNCTION f();',
      'ALTER TABLE m ATTACH PARTITION m_2024 FOR VALUES FROM (1) TO (2);',
    ].join('\n');
    const result = await parseScript({ sql, startLine: 1 });
    expect(result.ok && result.statements.map((s) => s.kind)).toEqual(['AlterTableStmt', 'AlterTableStmt', 'CreateTrigStmt', 'AlterTableStmt']);
  });

  it("reports a syntax error at its line with PostgreSQL's message", async () => {
    const result = await parseScript({ sql: 'SELECT 1;\n\nALTER TABLE t ADD COLUMN;\n', startLine: 10 });
    expect(result).toEqual({ ok: false, error: { message: 'syntax error at or near ";"', line: 12 } });
  });

  it('returns no statements for a script of comments only', async () => {
    expect(await parseScript({ sql: '-- nothing here\n', startLine: 1 })).toEqual({ ok: true, statements: [] });
  });
});
