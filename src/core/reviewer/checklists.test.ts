import { readFileSync } from 'node:fs';
import { finding } from '../report/findings.js';
import type { Migration } from '../layouts/layout.js';
import { answerFromFacts, CHECKLIST, checklistItems, type ChecklistFacts } from './checklists.js';

/** `## id` sections of a checklist page, with their question, decider and evidence lines. */
function itemsOnPage(file: string) {
  const text = readFileSync(new URL(`../../../checklists/${file}`, import.meta.url), 'utf8');
  return text
    .split(/^## /m)
    .slice(1)
    .map((section) => ({
      id: section.split('\n')[0].trim(),
      question: /- \*\*Question:\*\* (.*)/.exec(section)?.[1],
      decidedBy: /- \*\*Decided by:\*\* (.*)/.exec(section)?.[1],
      evidence: /- \*\*Evidence:\*\* (.*)/.exec(section)?.[1],
    }));
}

describe('checklists', () => {
  it.each(['forward', 'reverse'] as const)('checklists/%s.md lists the same items as the engine', (direction) => {
    const engine = CHECKLIST.filter((i) => i.direction === direction).map(({ id, question, decidedBy, evidence }) => ({ id, question, decidedBy, evidence }));
    expect(itemsOnPage(`${direction}.md`)).toEqual(engine);
  });

  it('gives every item a unique kebab-case id', () => {
    const ids = CHECKLIST.map((i) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9-]+$/);
  });

  it('adds team items as judgement items, after the built-in ones, never replacing one', () => {
    const items = checklistItems([
      { id: 'feature-flag', direction: 'forward', question: 'Behind a flag?' },
      { id: 'forward-applies', direction: 'forward', question: 'Overridden?' },
    ]);
    expect(items.slice(CHECKLIST.length)).toEqual([expect.objectContaining({ id: 'feature-flag', decidedBy: 'judgement', failsOn: [] })]);
    expect(items.find((i) => i.id === 'forward-applies')?.question).toBe(CHECKLIST[0].question);
  });
});

describe('answerFromFacts', () => {
  const forward = { path: 'db/3.up.sql', sql: 'ALTER TABLE t ADD COLUMN a int;', startLine: 1, transaction: 'single-query' as const };
  const added: Migration[] = [{ version: '3', name: '3', forward, reverse: { ...forward, path: 'db/3.down.sql', sql: 'ALTER TABLE t DROP COLUMN a;' } }];
  const item = (id: string) => CHECKLIST.find((i) => i.id === id)!;
  const facts = (over: Partial<ChecklistFacts>): ChecklistFacts => ({ added, findings: [], migrations: [], drill: null, drafts: [], ...over });

  it('fails closed to a person when the drill did not run, but still answers what the rules decide', () => {
    const infra = finding({ hazard: 'infra', source: 'engine', path: 'db/3.up.sql', line: 1, message: 'the shadow PostgreSQL did not start' });
    const lockTimeout = finding({
      hazard: 'lock-timeout',
      source: 'rule',
      rule: 'require-lock-timeout',
      path: 'db/3.up.sql',
      line: 1,
      message: 'no lock_timeout',
    });
    // An infra notice about the history (replayed without its Liquibase native changesets) is not why the drill stopped.
    const history = finding({
      hazard: 'infra',
      severity: 'notice',
      source: 'change-set',
      path: 'db/master.xml',
      line: 2,
      message: 'the base history holds 1 migration',
    });
    const f = facts({ findings: [history, infra, lockTimeout] });
    expect(answerFromFacts(item('forward-applies'), f)).toMatchObject({
      status: 'needs-human',
      source: 'drill',
      evidence: expect.stringMatching(/did not start/),
    });
    expect(answerFromFacts(item('reverse-round-trips'), f)).toMatchObject({ status: 'needs-human' });
    expect(answerFromFacts(item('forward-lock-timeout'), f)).toMatchObject({ status: 'fail', source: 'rule', evidence: 'lock-timeout at db/3.up.sql:1' });
  });

  it('leaves a judgement item to the model unless a finding decides it', () => {
    expect(answerFromFacts(item('forward-compatible'), facts({}))).toBeNull();
    const rename = finding({ hazard: 'breaking-change', source: 'rule', rule: 'renaming-column', path: 'db/3.up.sql', line: 1, message: 'renames' });
    expect(answerFromFacts(item('forward-compatible'), facts({ findings: [rename] }))).toMatchObject({ status: 'fail', source: 'rule' });
  });

  it('counts data lost on the way back against the round trip, not the forward', () => {
    const lost = finding({ hazard: 'data-loss', source: 'drill', path: 'db/3.down.sql', line: 1, message: 'values of public.t.a changed' });
    const f = facts({ findings: [lost] });
    expect(answerFromFacts(item('forward-keeps-data'), f)?.status).not.toBe('fail');
    expect(answerFromFacts(item('reverse-round-trips'), f)).toMatchObject({
      status: 'fail',
      evidence: expect.stringMatching(/data-loss at db\/3\.down\.sql:1/),
    });
  });
});
