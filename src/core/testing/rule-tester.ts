import type { LayoutId, TransactionMode } from '../layouts/layout.js';
import type { Finding } from '../report/report.js';
import { parseScript } from '../sql/parse.js';
import type { MessageValue, Rule, TableSize } from '../rules/define-rule.js';
import { runRules, type ParsedScript } from '../rules/run-rules.js';

/** A row of a rule's table test: SQL plus the facts around it. */
export interface RuleCase {
  readonly sql: string;
  /**
   * SQL of the change's earlier migration files, in run order. They go through the same rule run
   * (each in its own file, run the way `transaction` says); only the findings of the last file,
   * `sql`, are asserted. A row with earlier files needs a `name`.
   */
  readonly before?: string | readonly string[];
  /** Say why the row is (in)valid when its SQL alone does not. */
  readonly name?: string;
  readonly layout?: LayoutId;
  /** How the tool runs the file (default: in a transaction). */
  readonly transaction?: TransactionMode;
  readonly pgMajor?: number;
  readonly sizes?: Record<string, TableSize>;
}

/** One expected finding of an invalid row. */
export interface ExpectedError<MessageId extends string = string> {
  /** 1-based line of the statement reported. */
  readonly line: number;
  /** The rule's message id; required when the rule has several (a misspelled one does not compile). */
  readonly messageId?: MessageId;
  /** Values the message's placeholders must get (those named; others are not checked). */
  readonly data?: Readonly<Record<string, MessageValue>>;
  /** A pattern of the message as filled in. */
  readonly message?: RegExp;
}

export interface InvalidCase<MessageId extends string = string> extends RuleCase {
  readonly errors: ReadonlyArray<ExpectedError<MessageId>>;
  /** For fixes that replace the statement: the exact SQL expected; the rule must be silent on it. */
  readonly fix?: string;
}

const MIGRATION = 'migration.sql';

/**
 * Runs one rule alone (enabled whatever its default) over one file, after the row's earlier files
 * of the same change; returns the findings of that last file only.
 */
export async function lintWith(rule: Rule, row: RuleCase): Promise<Finding[]> {
  return (await lintWithIds(rule, row)).map(({ finding }) => finding);
}

interface Reported {
  readonly finding: Finding;
  readonly messageId: string;
  readonly data: Readonly<Record<string, MessageValue>>;
}

/** lintWith, with the message id and values each finding was reported with. */
async function lintWithIds(rule: Rule, row: RuleCase): Promise<Reported[]> {
  const earlier = typeof row.before === 'string' ? [row.before] : (row.before ?? []);
  const files = [...earlier.map((sql, i) => ({ path: `earlier-${i + 1}.sql`, sql })), { path: MIGRATION, sql: row.sql }];
  const scripts: ParsedScript[] = [];
  for (const { path, sql } of files) {
    const script = { path, sql, startLine: 1, transaction: row.transaction ?? 'transaction' } as const;
    const parsed = await parseScript(script);
    if (!parsed.ok) throw new Error(`test SQL of ${path} does not parse: ${parsed.error.message} (line ${parsed.error.line})`);
    scripts.push({ script, statements: parsed.statements });
  }
  const reported: Reported[] = [];
  runRules({
    rules: [rule],
    scripts,
    layout: row.layout ?? 'goose',
    pgMajor: row.pgMajor ?? 16,
    tableSizes: row.sizes ? new Map(Object.entries(row.sizes)) : undefined,
    severityOf: () => rule.severity,
    onReport: (finding, messageId, data) => reported.push({ finding, messageId, data }),
  });
  return reported.filter(({ finding }) => finding.path === MIGRATION);
}

/**
 * Turns a rule's valid and invalid rows into jest tests, like ESLint's RuleTester. Rows with a
 * replacing fix are re-linted with the fix applied, and the rule must then be silent.
 */
export function testRule<MessageId extends string>(
  rule: Rule<MessageId>,
  cases: { valid: ReadonlyArray<string | RuleCase>; invalid: ReadonlyArray<InvalidCase<NoInfer<MessageId>>> },
): void {
  const titles = [...cases.valid.map((v) => (typeof v === 'string' ? v : (v.name ?? v.sql))), ...cases.invalid.map((c) => c.name ?? c.sql)];
  const duplicate = titles.find((t, i) => titles.indexOf(t) !== i);
  // The SQL of a row with earlier files never says alone why it is (in)valid.
  const unnamed = [...cases.valid, ...cases.invalid].filter((c) => typeof c !== 'string' && c.before !== undefined && !c.name);
  describe(rule.id, () => {
    it('has no duplicate rows', () => expect(duplicate).toBeUndefined());
    it('names every row that has earlier files', () => expect(unnamed).toEqual([]));
    it('has invalid rows that expect findings', () => expect(cases.invalid.every((c) => c.errors.length > 0)).toBe(true));
    // With one message the id goes without saying; with several, each expected finding names its own.
    const onlyMessage = Object.keys(rule.messages).length === 1 ? Object.keys(rule.messages)[0] : undefined;
    for (const valid of cases.valid) {
      const row = typeof valid === 'string' ? { sql: valid } : valid;
      it(`valid: ${row.name ?? row.sql}`, async () => {
        expect(await lintWith(rule, row)).toEqual([]);
      });
    }
    for (const row of cases.invalid) {
      it(`invalid: ${row.name ?? row.sql}`, async () => {
        const withIds = await lintWithIds(rule, row);
        const findings = withIds.map(({ finding }) => finding);
        expect(findings.map((f) => f.line)).toEqual(row.errors.map((e) => e.line));
        expect(withIds.map(({ messageId }) => messageId)).toEqual(row.errors.map((e) => e.messageId ?? onlyMessage ?? 'the row names no messageId'));
        row.errors.forEach((expected, i) => {
          if (expected.data) expect(withIds[i].data).toMatchObject(expected.data);
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
