import type { LayoutId, TransactionMode } from '../layouts/layout.js';
import type { Finding } from '../report/report.js';
import { parseScript } from '../sql/parse.js';
import type { Rule, TableSize } from '../rules/define-rule.js';
import { runRules } from '../rules/run-rules.js';

/** A row of a rule's table test: SQL plus the facts around it. */
export interface RuleCase {
  readonly sql: string;
  /** Say why the row is (in)valid when its SQL alone does not. */
  readonly name?: string;
  readonly layout?: LayoutId;
  /** How the tool runs the file (default: in a transaction). */
  readonly transaction?: TransactionMode;
  readonly pgMajor?: number;
  readonly sizes?: Record<string, TableSize>;
}

export interface InvalidCase extends RuleCase {
  /** Expected findings, by 1-based line, with an optional message pattern. */
  readonly errors: ReadonlyArray<{ readonly line: number; readonly message?: RegExp }>;
  /** For fixes that replace the statement: the exact SQL expected; the rule must be silent on it. */
  readonly fix?: string;
}

/** Runs one rule alone (enabled whatever its default) over one file. */
export async function lintWith(rule: Rule, row: RuleCase): Promise<Finding[]> {
  const script = { path: 'migration.sql', sql: row.sql, startLine: 1, transaction: row.transaction ?? 'transaction' } as const;
  const parsed = await parseScript(script);
  if (!parsed.ok) throw new Error(`test SQL does not parse: ${parsed.error.message} (line ${parsed.error.line})`);
  return runRules({
    rules: [rule],
    scripts: [{ script, statements: parsed.statements }],
    layout: row.layout ?? 'goose',
    pgMajor: row.pgMajor ?? 16,
    tableSizes: row.sizes ? new Map(Object.entries(row.sizes)) : undefined,
    severityOf: () => rule.severity,
  });
}

/**
 * Turns a rule's valid and invalid rows into jest tests, like ESLint's RuleTester. Rows with a
 * replacing fix are re-linted with the fix applied, and the rule must then be silent.
 */
export function testRule(rule: Rule, cases: { valid: ReadonlyArray<string | RuleCase>; invalid: readonly InvalidCase[] }): void {
  const titles = [...cases.valid.map((v) => (typeof v === 'string' ? v : (v.name ?? v.sql))), ...cases.invalid.map((c) => c.name ?? c.sql)];
  const duplicate = titles.find((t, i) => titles.indexOf(t) !== i);
  describe(rule.id, () => {
    it('has no duplicate rows', () => expect(duplicate).toBeUndefined());
    it('has invalid rows that expect findings', () => expect(cases.invalid.every((c) => c.errors.length > 0)).toBe(true));
    for (const valid of cases.valid) {
      const row = typeof valid === 'string' ? { sql: valid } : valid;
      it(`valid: ${row.name ?? row.sql}`, async () => {
        expect(await lintWith(rule, row)).toEqual([]);
      });
    }
    for (const row of cases.invalid) {
      it(`invalid: ${row.name ?? row.sql}`, async () => {
        const findings = await lintWith(rule, row);
        expect(findings.map((f) => f.line)).toEqual(row.errors.map((e) => e.line));
        row.errors.forEach((expected, i) => {
          expect(findings[i]).toMatchObject({ rule: rule.id, hazard: rule.hazard });
          if (expected.message) expect(findings[i].message).toMatch(expected.message);
          if (rule.severity === 'error') expect(findings[i].fix).toBeTruthy();
        });
        const replacing = findings.filter((f) => f.fixReplacesLines);
        if (row.fix !== undefined) expect(replacing.map((f) => f.fix)).toEqual([row.fix]);
        else expect(replacing).toEqual([]);
        for (const f of replacing) expect(await lintWith(rule, { ...row, sql: applyFix(row.sql, f) })).toEqual([]);
      });
    }
  });
}

/** Replaces the finding's lines with its fix, as accepting a GitHub suggestion would. */
export function applyFix(sql: string, f: Finding): string {
  const lines = sql.split('\n');
  lines.splice(f.line - 1, (f.endLine ?? f.line) - f.line + 1, ...(f.fix ?? '').split('\n'));
  return lines.join('\n');
}
