import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HAZARDS } from '../src/core/hazards.js';
import { RULES } from '../src/core/rules/index.js';
import { parseScript } from '../src/core/sql/parse.js';
import { lintWith } from '../src/core/testing/rule-tester.js';

const DOCS = 'docs/rules';
const SECTIONS = ['Problem', 'Examples', 'Options', 'What the drill shows', 'When not to use it', 'Links'];
const REQUIRED = SECTIONS.filter((s) => s !== 'Options');

const pages = readdirSync(DOCS)
  .filter((f) => f.endsWith('.md'))
  .map((f) => f.slice(0, -3));
const ruleFiles = readdirSync('src/core/rules')
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => f.slice(0, -3))
  .filter((f) => !['define-rule', 'run-rules', 'index'].includes(f));

describe('rule registry', () => {
  it('registers every rule file under its own id', () => {
    expect(RULES.map((r) => r.id).sort()).toEqual([...ruleFiles].sort());
  });

  it('gives every rule a hazard of the vocabulary', () => {
    for (const rule of RULES) expect(HAZARDS).toContain(rule.hazard);
  });

  it('has one docs page per rule and no page without a rule', () => {
    expect([...pages].sort()).toEqual(RULES.map((r) => r.id).sort());
  });
});

describe.each(RULES.map((r) => [r.id, r] as const))('docs/rules/%s.md', (id, rule) => {
  const text = readFileSync(join(DOCS, `${id}.md`), 'utf8');

  it('has frontmatter matching the rule', () => {
    const front = /^---\nid: (.+)\nhazard: (.+)\nseverity: (.+)\n---\n/.exec(text);
    expect(front?.slice(1)).toEqual([rule.id, rule.hazard, rule.severity]);
  });

  it('has the sections in order', () => {
    const headings = [...text.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(headings.filter((h) => SECTIONS.includes(h))).toEqual(headings);
    expect(REQUIRED.every((s) => headings.includes(s))).toBe(true);
    expect(headings).toEqual([...headings].sort((a, b) => SECTIONS.indexOf(a) - SECTIONS.indexOf(b)));
  });

  // ```sql unsafe in-transaction``` runs the example as a tool that wraps the file in a transaction
  // would; ```sql unsafe pg14``` lints it for that PostgreSQL major.
  const blocks = [...text.matchAll(/```sql (unsafe|safe)( in-transaction)?(?: pg(\d+))?\n([\s\S]*?)```/g)].map((m) => ({
    kind: m[1],
    inTransaction: !!m[2],
    pgMajor: m[3] ? Number(m[3]) : undefined,
    sql: m[4],
  }));

  it('has an unsafe and a safe example that parse', async () => {
    expect(blocks.map((b) => b.kind)).toEqual(expect.arrayContaining(['unsafe', 'safe']));
    for (const block of blocks) expect((await parseScript({ sql: block.sql, startLine: 1 })).ok).toBe(true);
  });

  it('is reported on its unsafe example and silent on its safe one', async () => {
    for (const block of blocks) {
      const findings = await lintWith(rule, { sql: block.sql, transaction: block.inTransaction ? 'transaction' : 'none', pgMajor: block.pgMajor });
      expect({ kind: block.kind, found: findings.length > 0 }).toEqual({ kind: block.kind, found: block.kind === 'unsafe' });
    }
  });
});
