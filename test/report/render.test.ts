import * as actionsCore from '@actions/core';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import {
  buildReport,
  loadHelp,
  renderReport,
  renderTimelineSvg,
  type Finding,
  type HelpCatalog,
  type MigrationResult,
  type Report,
} from '../../src/core/index.js';
import { renderMarkdown } from '../../src/core/report/render/markdown.js';
import { sarifValidator } from '../support/sarif-schema.js';

const finding = (over: Partial<Finding> = {}): Finding => ({
  rule: 'require-concurrent-index',
  hazard: 'blocking-index',
  severity: 'error',
  path: 'db/migrations/000002_idx.up.sql',
  line: 2,
  message: 'CREATE INDEX on "users" blocks writes to it until the build finishes.',
  source: 'rule',
  ...over,
});

const statement = (line: number, over: Partial<MigrationResult['statements'][number]> = {}): MigrationResult['statements'][number] => ({
  line,
  endLine: line,
  status: 'applied',
  durationMs: 10,
  locks: [],
  rewrites: [],
  scannedRows: {},
  ...over,
});

const forward: MigrationResult = {
  path: 'db/migrations/000002_idx.up.sql',
  version: '000002',
  direction: 'forward',
  status: 'applied',
  durationMs: 60,
  locks: [{ relation: 'public.users', mode: 'AccessExclusiveLock', existing: true }],
  rewrites: ['public.users'],
  statements: [
    statement(1, { durationMs: 40, locks: [{ relation: 'public.users', mode: 'AccessExclusiveLock', existing: true }], rewrites: ['public.users'] }),
    statement(2, { durationMs: 20, locks: [{ relation: 'public.users', mode: 'ShareLock', existing: true }], scannedRows: { 'public.users': 100 } }),
  ],
};

/** Findings whose text holds every character a workflow command must escape. */
const tricky: Finding[] = [
  finding({
    message: 'Rewrites 100% of "users": reads, writes wait.\r\nSecond line',
    evidence: 'relfilenode changed: 1 → 2',
    fix: 'ALTER TABLE users ADD COLUMN c int;\nUPDATE …',
  }),
  finding({ hazard: 'lock-timeout', rule: 'require-lock-timeout', severity: 'warning', line: 1, endLine: 3 }),
  finding({ hazard: 'type-choice', rule: 'prefer-bigint', severity: 'notice', line: 4 }),
  finding({ hazard: 'rewrite', rule: 'drill/rewrite', source: 'drill', line: 5, acknowledged: { by: 'db/x.sql:4', reason: 'tiny, table' } }),
];

describe('report formats', () => {
  let help: HelpCatalog;
  let report: Report;
  beforeAll(async () => {
    help = await loadHelp();
    report = buildReport(tricky, [forward], null);
  });
  const render = (format: Parameters<typeof renderReport>[1], r: Report = report) => renderReport(r, format, { help, toolVersion: '0.1.0' });

  it('github: each line is exactly what @actions/core writes for the same annotation', () => {
    const expected: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => (expected.push(chunk), true)) as typeof process.stdout.write;
    try {
      for (const f of report.findings) {
        const level = f.acknowledged ? 'notice' : f.severity === 'notice' ? 'notice' : f.severity;
        const message = [
          f.message,
          f.evidence && `Observed: ${f.evidence}`,
          f.fix && `Fix: ${f.fix}`,
          f.acknowledged && `Acknowledged by ${f.acknowledged.by}: ${f.acknowledged.reason}`,
        ]
          .filter(Boolean)
          .join('\n\n');
        const title = `${f.hazard}${f.source === 'rule' ? ` (${f.rule})` : ''}${f.acknowledged ? ' (acknowledged)' : ''}`;
        actionsCore[level](message, { title, file: f.path, startLine: f.line, endLine: f.endLine });
      }
    } finally {
      process.stdout.write = original;
    }
    expect(render('github')).toBe(expected.join(''));
    const lines = render('github').trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toBe(
      '::error title=blocking-index (require-concurrent-index),file=db/migrations/000002_idx.up.sql,line=2::Rewrites 100%25 of "users": reads, writes wait.%0D%0ASecond line%0A%0AObserved: relfilenode changed: 1 → 2%0A%0AFix: ALTER TABLE users ADD COLUMN c int;%0AUPDATE …',
    );
    expect(lines[0]).toMatch(/^::warning title=lock-timeout \(require-lock-timeout\),file=[^:]+,line=1,endLine=3::/);
    expect(lines[3]).toMatch(/^::notice title=rewrite \(acknowledged\),file=.*::.*Acknowledged by db\/x\.sql:4: tiny, table$/);
  });

  it('sarif: validates against the SARIF 2.1.0 schema, one rule per rule id with its docs as help', () => {
    const log = JSON.parse(render('sarif'));
    expect(sarifValidator()(log)).toEqual([]);
    expect(sarifValidator()({ ...log, runs: [{ ...log.runs[0], results: [{ level: 'fatal' }] }] })).not.toEqual([]);
    const run = log.runs[0];
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual([
      'require-lock-timeout',
      'require-concurrent-index',
      'prefer-bigint',
      'drill/rewrite',
    ]);
    const index = run.tool.driver.rules[1];
    expect(index.help.markdown).toContain('## Problem');
    expect(index.shortDescription.text).toMatch(/^`CREATE INDEX` takes a `SHARE` lock/);
    expect(index.properties.tags).toContain('blocking-index');
    expect(run.tool.driver.rules[3].shortDescription.text).toMatch(/rewritten while ACCESS EXCLUSIVE is held/);
    expect(run.results.map((r: { level: string }) => r.level)).toEqual(['warning', 'error', 'note', 'note']);
    expect(run.results[3].suppressions).toEqual([{ kind: 'inSource', justification: 'db/x.sql:4: tiny, table' }]);
    expect(run.results[0].locations[0].physicalLocation.region).toEqual({ startLine: 1, endLine: 3 });
  });

  it('sarif: an incomplete review validates too and says its invocation did not succeed', () => {
    const incomplete = buildReport([finding({ hazard: 'infra', rule: 'engine/infra', source: 'engine', path: '', line: 1 })], [], null);
    const log = JSON.parse(render('sarif', incomplete));
    expect(sarifValidator()(log)).toEqual([]);
    expect(log.runs[0].invocations[0].executionSuccessful).toBe(false);
  });

  it('gitlab: a Code Quality issue per finding with a unique fingerprint', () => {
    const issues = JSON.parse(render('gitlab'));
    expect(issues).toHaveLength(4);
    expect(issues[1]).toEqual({
      description: expect.stringContaining('Rewrites 100% of "users"'),
      check_name: 'require-concurrent-index',
      fingerprint: expect.stringMatching(/^[0-9a-f]{32}$/),
      severity: 'critical',
      location: { path: 'db/migrations/000002_idx.up.sql', lines: { begin: 2 } },
    });
    expect(issues.map((i: { severity: string }) => i.severity)).toEqual(['major', 'critical', 'info', 'info']);
    expect(new Set(issues.map((i: { fingerprint: string }) => i.fingerprint)).size).toBe(4);
  });

  it('markdown: a titled report with the findings and the per-statement timeline', () => {
    const md = render('markdown');
    expect(md.startsWith('## Drillbot: FAIL, 1 error, 1 warning, 1 notice, 1 acknowledged\n')).toBe(true);
    expect(md).toContain('### Timeline');
    expect(md).toContain(
      '| forward | `db/migrations/000002_idx.up.sql:1` | `███████████·····` | 40 ms | applied | took AccessExclusive on public.users, rewrote public.users |',
    );
    expect(md).toContain(
      '| forward | `db/migrations/000002_idx.up.sql:2` | `··········██████` | 20 ms | applied | took Share on public.users, scanned public.users (100 rows) |',
    );
    // Only the App posts inline suggestions.
    const suggested = buildReport([finding({ fix: 'CREATE INDEX CONCURRENTLY …', fixReplacesLines: true })], [], null);
    expect(renderMarkdown(suggested)).not.toContain('suggested inline');
    expect(renderMarkdown(suggested, { inlineSuggestions: true })).toContain('(suggested inline)');
  });

  it('text and json render the same report', () => {
    expect(render('text')).toMatch(/^Drillbot: FAIL, 1 error, 1 warning, 1 notice, 1 acknowledged/);
    expect(JSON.parse(render('json'))).toEqual(report);
  });
});

describe('renderTimelineSvg', () => {
  it('is well-formed XML whose text names each statement, its locks, rewrites, scans and duration', () => {
    const svg = renderTimelineSvg([
      forward,
      { ...forward, direction: 'reverse', statements: [statement(1, { status: 'failed', error: { code: '42P01', message: 'x', line: 1 } })] },
    ]);
    expect(XMLValidator.validate(svg)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false }).parse(svg);
    const groups = doc.svg.g as Array<{ title: string; text: Array<string | { '#text': string }>; rect: Record<string, string> }>;
    expect(groups.map((g) => g.title)).toEqual([
      'forward db/migrations/000002_idx.up.sql:1: 40 ms, took AccessExclusive on public.users, rewrote public.users',
      'forward db/migrations/000002_idx.up.sql:2: 20 ms, took Share on public.users, scanned public.users (100 rows)',
      'reverse db/migrations/000002_idx.up.sql:1: 10 ms, error 42P01',
    ]);
    expect(groups.map((g) => g.rect['@_fill'])).toEqual(['#d32f2f', '#f57c00', '#8b0000']);
    // Bars sit end to end on one clock: the second starts where the first ends.
    const [a, b] = groups.map((g) => ({ x: Number(g.rect['@_x']), w: Number(g.rect['@_width']) }));
    expect(b.x).toBeCloseTo(a.x + a.w, 0);
    expect(svg).toContain('Drillbot drill timeline: 3 statements, 70 ms');
  });

  it('escapes what XML would take for markup', () => {
    const odd = { ...forward, path: 'db/<a&b>"x".sql', statements: [statement(1)] };
    const svg = renderTimelineSvg([odd]);
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(svg).toContain('db/&lt;a&amp;b&gt;&quot;x&quot;.sql:1');
  });
});
