import { applyAcks, statementHash, type AckRecord } from '../../src/app/acks.js';
import { parseCommand } from '../../src/app/commands.js';
import { anchorFor, parsePatch } from '../../src/app/diff.js';
import { ReviewQueue } from '../../src/app/queue.js';
import { annotationsOf, batches, fit, parseSticky, renderSticky, renderSummary, reviewComments, conclusionOf } from '../../src/app/render.js';
import { assertWebhookSecret } from '../../src/app/index.js';
import { explain } from '../../src/app/explain.js';
import { buildReport, type Finding, type Report } from '../../src/core/index.js';

const finding = (over: Partial<Finding> = {}): Finding => ({
  rule: 'require-concurrent-index',
  hazard: 'blocking-index',
  severity: 'error',
  path: 'db/m/002.up.sql',
  line: 2,
  message: 'CREATE INDEX blocks writes.',
  source: 'rule',
  ...over,
});

describe('parsePatch', () => {
  const patch = ['@@ -1,3 +1,4 @@', ' a', '-b', '+B', '+C', ' d', '@@ -10,2 +11,2 @@', ' x', '-y', '+Y', '\\ No newline at end of file'].join('\n');

  it('maps added and context lines to RIGHT-side line numbers, per hunk', () => {
    const hunks = parsePatch(patch);
    expect(hunks.map((h) => [...h.lines])).toEqual([[1, 2, 3, 4], [11, 12]]);
  });

  it('returns no hunks for a missing patch (binary or huge files)', () => {
    expect(parsePatch(undefined)).toEqual([]);
  });

  it('anchors a range inside one hunk as a multi-line comment, and refuses lines outside the diff', () => {
    const hunks = parsePatch(patch);
    expect(anchorFor(hunks, 2, 3)).toEqual({ line: 3, startLine: 2, wholeRange: true });
    expect(anchorFor(hunks, 4)).toEqual({ line: 4, wholeRange: true });
    expect(anchorFor(hunks, 4, 11)).toEqual({ line: 4, wholeRange: false });
    expect(anchorFor(hunks, 7)).toBeNull();
  });

  it('handles a new file (all lines added) and a trailing newline', () => {
    expect([...parsePatch('@@ -0,0 +1,2 @@\n+x\n+y\n')[0].lines]).toEqual([1, 2]);
  });
});

describe('parseCommand', () => {
  it('parses each command', () => {
    expect(parseCommand('/drillbot run')).toEqual({ kind: 'run' });
    expect(parseCommand('/drillbot')).toEqual({ kind: 'help' });
    expect(parseCommand('/drillbot help')).toEqual({ kind: 'help' });
    expect(parseCommand('/drillbot reverse')).toEqual({ kind: 'reverse' });
    expect(parseCommand('/drillbot explain Blocking-Index')).toEqual({ kind: 'explain', target: 'blocking-index' });
    expect(parseCommand('Thanks!\n/drillbot ack rewrite  table is empty\nin production')).toEqual({ kind: 'ack', target: 'rewrite', reason: 'table is empty in production' });
  });

  it('requires a reason for ack', () => {
    expect(parseCommand('/drillbot ack rewrite')).toMatchObject({ kind: 'invalid', problem: expect.stringContaining('needs a reason') });
  });

  it('ignores comments without a command, quoted commands and look-alikes', () => {
    expect(parseCommand('LGTM')).toBeNull();
    expect(parseCommand('> /drillbot run')).toBeNull();
    expect(parseCommand('/drillbotty run')).toBeNull();
    expect(parseCommand(null)).toBeNull();
  });

  it('reports unknown commands', () => {
    expect(parseCommand('/drillbot deploy')).toMatchObject({ kind: 'invalid' });
  });
});

describe('renderSummary', () => {
  const ctx = { headSha: 'a'.repeat(40), baseSha: 'b'.repeat(40), migrationsRoot: 'db/m', filesTruncated: false };

  it('stays within the limit and says how much was left out', () => {
    const many = Array.from({ length: 3000 }, (_, i) => finding({ line: i + 1, message: `message ${'x'.repeat(80)} ${i}` }));
    const report = buildReport(many, [], null);
    const summary = renderSummary(report, ctx);
    expect(summary.length).toBeLessThanOrEqual(65535);
    expect(summary).toMatch(/… \d+ more lines left out/);
    const small = renderSummary(report, ctx, 2000);
    expect(small.length).toBeLessThanOrEqual(2000);
  });

  it('shows acknowledgements with who, when and why, and the 3000-file note', () => {
    const report = buildReport([finding({ acknowledged: { by: '@maria', reason: 'tiny table', at: '2026-01-01T00:00:00Z' } })], [], null);
    const summary = renderSummary(report, { ...ctx, filesTruncated: true });
    expect(summary).toContain('acknowledged by @maria at 2026-01-01T00:00:00Z: tiny table');
    expect(summary).toContain('at most 3000 files');
    expect(conclusionOf(report)).toBe('success');
  });

  it('fit never exceeds the limit even with a huge head', () => {
    expect(fit(['x'.repeat(5000)], ['y'], [], 1000).length).toBeLessThanOrEqual(1000);
  });
});

describe('annotations', () => {
  it('are batched 50 per request', () => {
    const report = buildReport(Array.from({ length: 120 }, (_, i) => finding({ line: i + 1 })), [], null);
    const all = annotationsOf(report);
    expect(batches(all).map((b) => b.length)).toEqual([50, 50, 20]);
    expect(all[0]).toMatchObject({ path: 'db/m/002.up.sql', start_line: 1, end_line: 1, annotation_level: 'failure' });
  });

  it('turns an acknowledged error into a notice', () => {
    const [a] = annotationsOf(buildReport([finding({ acknowledged: { by: '@m', reason: 'ok' } })], [], null));
    expect(a.annotation_level).toBe('notice');
  });
});

describe('reviewComments', () => {
  const hunks = new Map([['db/m/002.up.sql', parsePatch('@@ -0,0 +1,3 @@\n+-- c\n+CREATE INDEX i\n+  ON t (a);')]]);

  it('adds a suggestion only when the fix replaces exactly the commented lines', () => {
    const report = buildReport([finding({ endLine: 3, fix: 'CREATE INDEX CONCURRENTLY i\n  ON t (a);', fixReplacesLines: true }), finding({ hazard: 'lock-timeout', rule: 'require-lock-timeout', severity: 'warning', fix: 'SET lock_timeout = 1s;' })], [], null);
    const { comments, outside } = reviewComments(report, hunks, () => 'k');
    expect(outside).toBe(0);
    expect(comments[0]).toMatchObject({ line: 3, start_line: 2, side: 'RIGHT', start_side: 'RIGHT' });
    expect(comments[0].body).toContain('```suggestion\nCREATE INDEX CONCURRENTLY i\n  ON t (a);\n```');
    expect(comments[1].body).not.toContain('```suggestion');
    expect(comments[1].body).toContain('Fix: SET lock_timeout = 1s;');
  });

  it('leaves findings outside the diff to annotations', () => {
    const { comments, outside } = reviewComments(buildReport([finding({ path: 'db/m/001.up.sql' })], [], null), hunks, () => 'k');
    expect(comments).toEqual([]);
    expect(outside).toBe(1);
  });
});

describe('applyAcks', () => {
  const files = new Map([['db/m/002.up.sql', '-- c\nCREATE INDEX i ON t (a);\n']]);
  const fresh: AckRecord = { target: 'blocking-index', reason: 'small', by: '@maria', at: '2026-01-01T00:00:00Z' };

  it('binds a fresh ack to the statements it covers and passes the verdict', () => {
    const report = buildReport([finding()], [], null);
    const { report: acked, acks, unmatched } = applyAcks(report, [fresh], files);
    expect(acked.verdict).toBe('pass');
    expect(acked.findings[0].acknowledged).toEqual({ by: '@maria', reason: 'small', at: '2026-01-01T00:00:00Z' });
    expect(acks[0].statements).toEqual([{ path: 'db/m/002.up.sql', hash: statementHash(files.get('db/m/002.up.sql'), 2) }]);
    expect(unmatched).toEqual([]);
  });

  it('carries every other part of the report over unchanged', () => {
    const report = { ...buildReport([finding()], [], null), checklist: [{ id: 'forward-1' }] } as unknown as Report;
    const { report: acked } = applyAcks(report, [fresh], files);
    expect((acked as unknown as { checklist: unknown }).checklist).toEqual([{ id: 'forward-1' }]);
    expect(acked.verdict).toBe('pass');
  });

  it('survives a push that leaves the statement unchanged (even when it moves), not one that changes it', () => {
    const { acks } = applyAcks(buildReport([finding()], [], null), [fresh], files);
    const moved = new Map([['db/m/002.up.sql', '-- c\n-- more\nCREATE INDEX i  ON t (a);\n']]);
    expect(applyAcks(buildReport([finding({ line: 3 })], [], null), acks, moved).report.verdict).toBe('pass');
    const changed = new Map([['db/m/002.up.sql', '-- c\nCREATE INDEX i ON t (b);\n']]);
    expect(applyAcks(buildReport([finding()], [], null), acks, changed).report.verdict).toBe('fail');
  });

  it('reports a fresh ack that matches nothing, and never acknowledges infra', () => {
    const report = buildReport([finding({ hazard: 'infra', rule: 'engine/infra' })], [], null);
    const { unmatched, report: after } = applyAcks(report, [{ ...fresh, target: 'infra' }], files);
    expect(unmatched).toHaveLength(1);
    expect(after.verdict).toBe('fail');
  });
});

describe('sticky comment state', () => {
  it('round-trips acks through the hidden JSON block, even with --> in a reason', () => {
    const acks: AckRecord[] = [{ target: 'rewrite', reason: 'a --> b <script>', by: '@m', at: 't', statements: [{ path: 'p', hash: 'h' }] }];
    const body = renderSticky('### Drillbot', { acks });
    expect(body.startsWith('<!-- drillbot:summary -->')).toBe(true);
    expect(body.match(/-->/g)).toHaveLength(2);
    expect(parseSticky(body)).toEqual({ acks });
  });

  it('reads a damaged block as no acks', () => {
    expect(parseSticky('<!-- drillbot:state {"acks": [ -->')).toEqual({ acks: [] });
    expect(parseSticky('<!-- drillbot:state {"acks":[{"target":1}]} -->')).toEqual({ acks: [] });
  });
});

describe('ReviewQueue', () => {
  it('bounds concurrency, collapses waiting duplicates and aborts a superseded job', async () => {
    const queue = new ReviewQueue(1);
    const events: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let firstSignal!: AbortSignal;
    queue.enqueue('a', async (signal) => {
      firstSignal = signal;
      events.push('a1 start');
      await gate;
      events.push(`a1 end aborted=${signal.aborted}`);
    });
    await new Promise((r) => setImmediate(r));
    queue.enqueue('b', async () => void events.push('b1'));
    queue.enqueue('b', async () => void events.push('b2'));
    queue.enqueue('a', async () => void events.push('a2'));
    expect(firstSignal.aborted).toBe(true);
    release();
    await queue.idle();
    expect(events).toEqual(['a1 start', 'a1 end aborted=true', 'b2', 'a2']);
  });
});

describe('assertWebhookSecret', () => {
  it('refuses to start in production without WEBHOOK_SECRET', () => {
    expect(() => assertWebhookSecret({ NODE_ENV: 'production' })).toThrow(/WEBHOOK_SECRET is not set/);
    expect(() => assertWebhookSecret({})).toThrow(/WEBHOOK_SECRET/);
    expect(() => assertWebhookSecret({ NODE_ENV: 'development' })).not.toThrow();
    expect(() => assertWebhookSecret({ WEBHOOK_SECRET: 's' })).not.toThrow();
  });
});

describe('explain', () => {
  const docs = new URL('../../docs/rules/', import.meta.url);

  it('summarises a rule from its docs page and explains a hazard', async () => {
    expect(await explain('require-lock-timeout', docs)).toMatch(/^\*\*Rule `require-lock-timeout`\*\* \(hazard `lock-timeout`\)\n\n\S/);
    expect(await explain('rewrite', docs)).toContain('rewrites the whole table');
  });

  it('answers null for unknown ids and never reads outside the docs', async () => {
    expect(await explain('no-such-rule', docs)).toBeNull();
    expect(await explain('../../package', docs)).toBeNull();
  });
});
