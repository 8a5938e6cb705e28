import { applyAcks, statementHash, type AckRecord } from '../../src/app/acks.js';
import { parseCommand } from '../../src/app/commands.js';
import { anchorFor, parsePatch } from '../../src/app/diff.js';
import { ReviewQueue } from '../../src/app/queue.js';
import {
  actionsOf,
  annotationsOf,
  batches,
  fit,
  parseSticky,
  renderReverseReply,
  renderSticky,
  renderSummary,
  reviewComments,
  conclusionOf,
} from '../../src/app/render.js';
import { assertWebhookSecret } from '../../src/app/index.js';
import { explain } from '../../src/app/explain.js';
import {
  buildReport,
  renderText,
  type ChecklistAnswer,
  type Finding,
  type MigrationResult,
  type Report,
  type ReportExtras,
  type ReverseDraft,
} from '../../src/core/index.js';

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
    expect(hunks.map((h) => [...h.lines])).toEqual([
      [1, 2, 3, 4],
      [11, 12],
    ]);
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
    expect(parseCommand('Thanks!\n/drillbot ack rewrite  table is empty\nin production')).toEqual({
      kind: 'ack',
      target: 'rewrite',
      reason: 'table is empty in production',
    });
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

const provenDraft: ReverseDraft = {
  version: '003',
  name: 'add_nick',
  forwardPath: 'db/m/003_add_nick.up.sql',
  path: 'db/m/003_add_nick.down.sql',
  placement: 'new-file',
  drafter: 'deterministic',
  sql: 'ALTER TABLE users DROP COLUMN nick;\n',
  status: 'proven',
  proof: { serverVersion: '16.4', reverse: 'applied', roundTrip: 'restored', redo: 'applied', problems: [] },
};
const failedDraft: ReverseDraft = {
  ...provenDraft,
  version: '004',
  forwardPath: 'db/m/004_fn.up.sql',
  path: 'db/m/004_fn.down.sql',
  drafter: 'model',
  sql: 'DROP FUNCTION f;\n',
  status: 'failed',
  proof: { serverVersion: '16.4', reverse: 'failed', roundTrip: 'not-run', redo: 'not-run', problems: ['function f() does not exist'] },
  reason: 'the drafted reverse failed: function f() does not exist',
};
const answer = (over: Partial<ChecklistAnswer> = {}): ChecklistAnswer => ({
  id: 'forward-locks',
  direction: 'forward',
  question: 'Do the forward migrations avoid long blocking locks?',
  status: 'fail',
  evidence: 'blocking-index at db/m/002.up.sql:2',
  source: 'drill',
  ...over,
});
const missingReverse = finding({
  hazard: 'missing-reverse',
  rule: 'layout/missing-reverse',
  source: 'layout',
  path: provenDraft.forwardPath,
  line: 1,
  message: 'This migration has no reverse.',
  fix: `Add this reverse as ${provenDraft.path}:\n${provenDraft.sql}`,
});
const extras: ReportExtras = {
  checklist: [
    answer(),
    answer({ id: 'reverse-present', direction: 'reverse', question: 'Is there a reverse?', status: 'pass', evidence: 'drafted and proven', source: 'rule' }),
    answer({
      id: 'forward-rollback-plan',
      question: 'Is there a rollback plan?',
      status: 'needs-human',
      evidence: 'The description names no plan.',
      source: 'model',
    }),
  ],
  reverseDrafts: [provenDraft, failedDraft],
  reverseNotDrafted: [
    { version: '005', forwardPath: 'db/m/005_data.up.sql', reason: 'the common-DDL drafter could not (UPDATE has no inverse); no model is configured to try' },
  ],
  reviewer: { status: 'answered', model: 'gpt-4o-mini', tokens: { prompt: 1200, completion: 300, total: 1500 }, cached: false, summarisedStatements: 0 },
};

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

  it('shows the checklist with status, evidence and source, the drafted reverses with SQL and proof, and the model with its tokens', () => {
    const report = buildReport([finding(), missingReverse], [], null, extras);
    const summary = renderSummary(report, ctx);
    expect(summary).toContain('### Checklist');
    expect(summary).toContain(
      '- ❌ **fail** `forward-locks` (forward, source: drill): Do the forward migrations avoid long blocking locks?\n  <br>evidence: blocking-index at db/m/002.up.sql:2',
    );
    expect(summary).toContain('- ✅ **pass** `reverse-present` (reverse, source: rule)');
    expect(summary).toContain('- ❔ **needs-human** `forward-rollback-plan` (forward, source: model)');
    expect(summary).toContain('### Drafted reverses');
    expect(summary).toContain('proven on PostgreSQL 16.4: reverse applied, round trip (schema and seeded data) restored, redo applied');
    expect(summary).toContain('Create `db/m/003_add_nick.down.sql` with:\n\n```sql\nALTER TABLE users DROP COLUMN nick;\n```');
    expect(summary).toContain('- **failed**: the model-drafted draft for `db/m/004_fn.up.sql` is not offered: the drafted reverse failed');
    expect(summary).not.toContain('DROP FUNCTION f;');
    expect(summary).toContain('- **not drafted** for `db/m/005_data.up.sql`: the common-DDL drafter could not');
    expect(summary).toContain('Reviewer: model `gpt-4o-mini` answered, 1500 tokens (1200 prompt, 300 completion)');
    expect(summary.indexOf('### Findings')).toBeLessThan(summary.indexOf('### Checklist'));
  });

  it('shows the locks a statement outside a transaction held while it waited, and never "none" for one whose locks were not observed', () => {
    const sue = { relation: 'public.orders', mode: 'ShareUpdateExclusiveLock' as const, existing: true };
    const statement = { line: 1, endLine: 1, status: 'applied' as const, durationMs: 12, rewrites: [], scannedRows: {} };
    const migration = (version: string, statements: MigrationResult['statements']): MigrationResult => ({
      path: `db/m/${version}.up.sql`,
      version,
      direction: 'forward',
      status: 'applied',
      durationMs: 20,
      locks: statements.flatMap((st) => st.locks),
      rewrites: [],
      statements,
    });
    const waited = 'waited, holding its locks, for 1 transaction older than itself to end (the drill held one open)';
    const report = buildReport(
      [],
      [
        migration('006', [{ ...statement, locks: [sue], lockView: 'while-waiting', waited }]),
        migration('007', [{ ...statement, locks: [], lockView: 'not-observed' }]),
      ],
      null,
    );
    const summary = renderSummary(report, ctx);
    expect(summary).toContain(`| public.orders ShareUpdateExclusive; line 1 ran outside a transaction: ${waited} |`);
    expect(summary).toContain('| line 1 ran outside a transaction: locks not observed |');
    expect(renderText(report)).toContain(
      'locks on existing: public.orders ShareUpdateExclusiveLock  (line 1 ran outside a transaction: waited, holding its locks',
    );
  });

  it('says judgement items need a person when no model is configured, and shows no reviewer line without a checklist', () => {
    const none = { status: 'not-configured' as const, model: null, tokens: { prompt: 0, completion: 0, total: 0 }, cached: false, summarisedStatements: 0 };
    expect(renderSummary(buildReport([finding()], [], null, { ...extras, reviewer: none }), ctx)).toContain(
      'no model configured; judgement items need a person',
    );
    expect(renderSummary(buildReport([finding()], [], null, { reviewer: none }), ctx)).not.toContain('Reviewer');
    expect(renderSummary(buildReport([finding()], [], null, { ...extras, reviewer: { ...extras.reviewer!, cached: true } }), ctx)).toContain(
      'answer from the cache (no call)',
    );
  });

  it('leaves the checklist and the drafted reverses out before any finding, and never cuts a SQL block', () => {
    const many = Array.from({ length: 150 }, (_, i) => finding({ line: i + 1, message: `message ${'x'.repeat(80)} ${i}` }));
    const report = buildReport(many, [], null, {
      ...extras,
      checklist: Array.from({ length: 200 }, (_, i) => answer({ id: `item-${i}`, evidence: 'e'.repeat(400) })),
    });
    const summary = renderSummary(report, ctx);
    expect(summary.length).toBeLessThanOrEqual(65535);
    // Every finding and the drafts fit; the checklist (the last section) is cut.
    for (const i of [0, 75, 149]) expect(summary).toContain(`message ${'x'.repeat(80)} ${i}\n`);
    expect(summary).toContain('### Drafted reverses');
    expect(summary).toContain('### Checklist');
    expect(summary).not.toContain('`item-199`');
    expect(summary).toMatch(/… \d+ more lines left out \(GitHub's 65535-character limit\); every finding is still an annotation/);
    expect(summary).toContain('Reviewer: model `gpt-4o-mini`');
    expect((summary.match(/```/g) ?? []).length % 2).toBe(0);
    // With room for everything, nothing is left out.
    const roomy = renderSummary(report, ctx, 200_000);
    expect(roomy).toContain('`item-199`');
    expect(roomy).not.toContain('left out');
    // Room for the findings only: the drafted reverses go too, every finding stays.
    const limit = roomy.indexOf('\n### Drafted reverses') + 500;
    const tighter = renderSummary(report, ctx, limit);
    expect(tighter.length).toBeLessThanOrEqual(limit);
    expect(tighter).toContain(`message ${'x'.repeat(80)} 149\n`);
    expect(tighter).not.toContain('```sql');
    expect(tighter).toContain('left out');
    // A tiny limit still holds, and the findings come first.
    const small = renderSummary(report, ctx, 3000);
    expect(small.length).toBeLessThanOrEqual(3000);
    expect(small).not.toContain('### Checklist');
    expect(small).toContain('### Findings');
  });

  it('fit never exceeds the limit even with a huge head', () => {
    expect(fit(['x'.repeat(5000)], ['y'], [], 1000).length).toBeLessThanOrEqual(1000);
  });
});

describe('annotations', () => {
  it('are batched 50 per request', () => {
    const report = buildReport(
      Array.from({ length: 120 }, (_, i) => finding({ line: i + 1 })),
      [],
      null,
    );
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
    const report = buildReport(
      [
        finding({ endLine: 3, fix: 'CREATE INDEX CONCURRENTLY i\n  ON t (a);', fixReplacesLines: true }),
        finding({ hazard: 'lock-timeout', rule: 'require-lock-timeout', severity: 'warning', fix: 'SET lock_timeout = 1s;' }),
      ],
      [],
      null,
    );
    const { comments, outside } = reviewComments(report, hunks, () => 'k');
    expect(outside).toBe(0);
    expect(comments[0]).toMatchObject({ line: 3, start_line: 2, side: 'RIGHT', start_side: 'RIGHT' });
    expect(comments[0].body).toContain('```suggestion\nCREATE INDEX CONCURRENTLY i\n  ON t (a);\n```');
    expect(comments[1].body).not.toContain('```suggestion');
    expect(comments[1].body).toContain('Fix: SET lock_timeout = 1s;');
  });

  it('carries a proven draft of a missing reverse as plain SQL with where to create it, never as a suggestion', () => {
    const added = new Map([[provenDraft.forwardPath, parsePatch('@@ -0,0 +1,1 @@\n+ALTER TABLE users ADD COLUMN nick text;')]]);
    const { comments } = reviewComments(buildReport([missingReverse], [], null, extras), added, () => 'k');
    expect(comments).toHaveLength(1);
    expect(comments[0]).toMatchObject({ path: provenDraft.forwardPath, line: 1 });
    expect(comments[0].body).toContain('Create `db/m/003_add_nick.down.sql` with:\n\n```sql\nALTER TABLE users DROP COLUMN nick;\n```');
    expect(comments[0].body).toContain('proven on PostgreSQL 16.4');
    expect(comments[0].body).not.toContain('suggestion');
    expect(comments[0].body).not.toContain('Fix:');
    // Without a proven draft the finding's own fix stays.
    const { comments: plain } = reviewComments(buildReport([missingReverse], [], null, { reverseDrafts: [failedDraft] }), added, () => 'k');
    expect(plain[0].body).toContain('Fix: Add this reverse');
    expect(plain[0].body).not.toContain('```');
  });

  it('says where a section draft goes (goose, dbmate)', () => {
    const section: ReverseDraft = { ...provenDraft, path: provenDraft.forwardPath, placement: 'section', section: '-- +goose Down' };
    const added = new Map([[provenDraft.forwardPath, parsePatch('@@ -0,0 +1,1 @@\n+-- +goose Up')]]);
    const { comments } = reviewComments(buildReport([missingReverse], [], null, { reverseDrafts: [section] }), added, () => 'k');
    expect(comments[0].body).toContain('Add under `-- +goose Down` in `db/m/003_add_nick.up.sql`:');
  });

  it('leaves findings outside the diff to annotations', () => {
    const { comments, outside } = reviewComments(buildReport([finding({ path: 'db/m/001.up.sql' })], [], null), hunks, () => 'k');
    expect(comments).toEqual([]);
    expect(outside).toBe(1);
  });
});

describe('renderReverseReply and actions', () => {
  const sha = 'c'.repeat(40);

  it('offers the proven drafts with SQL and proof, and says why the others are not offered', () => {
    const body = renderReverseReply(buildReport([missingReverse], [], null, extras), sha, 'maria');
    expect(body).toMatch(/^@maria: Drillbot drafted a reverse migration for `cccccccccccc`/);
    expect(body).toContain('Create `db/m/003_add_nick.down.sql` with:\n\n```sql\nALTER TABLE users DROP COLUMN nick;\n```');
    expect(body).toContain('redo applied');
    expect(body).toContain('**Not offered**');
    expect(body).toContain('the model-drafted draft for `db/m/004_fn.up.sql` (failed): the drafted reverse failed');
    expect(body).not.toContain('DROP FUNCTION f;');
    expect(body).toContain('`db/m/005_data.up.sql`: the common-DDL drafter could not');
  });

  it('says why none could be offered, or that nothing lacks a reverse', () => {
    const none = renderReverseReply(buildReport([], [], null, { reverseDrafts: [failedDraft] }), sha, 'maria');
    expect(none).toContain('no reverse migration could be offered');
    expect(none).toContain('**Why**');
    expect(none).not.toContain('```');
    expect(renderReverseReply(buildReport([], [], null), sha, null)).toMatch(/^every new forward migration on `cccccccccccc` has a reverse/);
  });

  it('stays within the comment limit', () => {
    const big = Array.from({ length: 40 }, (_, i) => ({ ...provenDraft, forwardPath: `db/m/${i}.up.sql`, sql: `-- ${'y'.repeat(3000)}\nSELECT ${i};\n` }));
    const body = renderReverseReply(buildReport([], [], null, { reverseDrafts: big }), sha, 'maria');
    expect(body.length).toBeLessThanOrEqual(65536);
    expect(body).toMatch(/more lines left out/);
    expect((body.match(/```/g) ?? []).length % 2).toBe(0);
  });

  it('adds the Draft reverse button only when a forward migration lacks a reverse, within 3 actions of ≤20-character ids', () => {
    expect(actionsOf(buildReport([], [], null)).map((a) => a.identifier)).toEqual(['rerun']);
    const actions = actionsOf(buildReport([], [], null, extras));
    expect(actions.map((a) => a.identifier)).toEqual(['rerun', 'reverse']);
    expect(actions.length).toBeLessThanOrEqual(3);
    for (const a of actions) {
      expect(a.identifier.length).toBeLessThanOrEqual(20);
      expect(a.label.length).toBeLessThanOrEqual(20);
      expect(a.description.length).toBeLessThanOrEqual(40);
    }
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

  it('starts background tasks after the current turn, one per turn of the event loop', async () => {
    const queue = new ReviewQueue(1);
    const started: number[] = [];
    for (const n of [1, 2, 3]) queue.run(async () => void started.push(n));
    // The webhook's answer is written in the microtasks after the handler: nothing has started there.
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(started).toEqual([]);
    // Each start is its own setImmediate, so the loop polls for I/O (the next deliveries) in between.
    const turn = () => new Promise((r) => setImmediate(r));
    await turn();
    expect(started).toEqual([1]);
    await turn();
    expect(started).toEqual([1, 2]);
    await queue.idle();
    expect(started).toEqual([1, 2, 3]);
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
