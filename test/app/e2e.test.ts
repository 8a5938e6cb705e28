import { writeFileSync } from 'node:fs';
import { AppProcess, appProcessEnv, freePort } from '../support/app-process.js';
import { buildIfStale } from '../support/build.js';
import { FakeGitHub, type FakeCheckRun, type FakeRepo } from '../support/fake-github.js';
import { deliver, issueCommentCreated, pullRequestEvent } from '../support/webhooks.js';
import { appKeyPair } from '../support/app-keys.js';

// End to end at the HTTP boundary: the built app runs as `npm start` (Probot's own server), gets
// signed webhooks built from GitHub's example payloads, talks to a fake GitHub Enterprise API on
// 127.0.0.1 that validates every request against GitHub's OpenAPI description, and drills the
// migrations on the PostgreSQL at DRILLBOT_DATABASE_URL.

const APP_ID = 31337;
const INSTALLATION_ID = 4711;
const SECRET = 'e2e-webhook-secret';
const DATABASE_URL = process.env.DRILLBOT_E2E_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const UP = 'db/migrations/000002_idx.up.sql';
const WRITER = 'dba-writer';
const READER = 'rob-reader';
const REVIEW_TIMEOUT = 120_000;
// Probot's Octokit throttles writes (@octokit/plugin-throttling: 1 s between writes, 3 s between
// requests that notify, like comments and reviews), so "the app is done" means quiet for longer.
const QUIET = 3_500;

const keys = appKeyPair();

let fake: FakeGitHub;
let repo: FakeRepo;
let app: AppProcess;
let brokenApp: AppProcess | undefined;

const appEnv = (port: number, databaseUrl: string): Record<string, string> => ({
  ...appProcessEnv({ appId: APP_ID, privateKey: keys.privateKey, secret: SECRET, gheHost: fake.host }, port, 'warn'),
  DRILLBOT_DATABASE_URL: databaseUrl,
  DRILLBOT_CONCURRENCY: '1',
});

/** Waits for `probe`; on timeout the error carries the API transcript and the app's output. */
async function until<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = REVIEW_TIMEOUT, since = 0, proc: AppProcess = app): Promise<T> {
  try {
    return await fake.waitFor(what, probe, timeoutMs);
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\n--- requests to the fake GitHub ---\n${fake.transcript(since)}\n--- unhandled ---\n${fake.unhandled().join('\n')}\n--- violations ---\n${JSON.stringify(fake.violations(), null, 1)}\n--- ${proc.name} output ---\n${proc.tail()}`,
      { cause: error },
    );
  }
}

/** The Drillbot check run on a commit that the app touched last. */
const latestRun = (sha: string): FakeCheckRun | undefined => fake.checkRunsFor(sha, 'Drillbot').sort((a, b) => b.updated_seq - a.updated_seq)[0];

const completedRun = (sha: string, extra: (r: FakeCheckRun) => boolean = () => true) => {
  const run = latestRun(sha);
  return run && run.status === 'completed' && extra(run) ? run : undefined;
};

beforeAll(async () => {
  buildIfStale();

  fake = new FakeGitHub({ appId: APP_ID, publicKey: keys.publicKey, installationId: INSTALLATION_ID });
  await fake.start();
  repo = fake.addRepo('octo-org/app-db', {
    'README.md': '# app-db\n\nThe service database.\n',
    'db/migrations/000001_users.up.sql': 'CREATE TABLE users (\n  id bigint PRIMARY KEY,\n  email text NOT NULL\n);\n',
    'db/migrations/000001_users.down.sql': 'DROP TABLE users;\n',
  });
  repo.permissions.set(WRITER, 'write');
  repo.permissions.set(READER, 'read');
  fake.openPull(repo, {
    number: 1,
    branch: 'index-users-email',
    author: 'pr-author',
    title: 'Index users by email',
    changes: { [UP]: 'CREATE INDEX users_email_idx ON users (email);\n', 'db/migrations/000002_idx.down.sql': 'DROP INDEX users_email_idx;\n' },
  });

  const port = await freePort();
  app = new AppProcess('app', port, appEnv(port, DATABASE_URL));
  await app.start();
}, 240_000);

afterAll(async () => {
  // DRILLBOT_E2E_DUMP=<file> keeps what the app did, for debugging the app against the fake.
  if (process.env.DRILLBOT_E2E_DUMP && fake) {
    const state = {
      transcript: fake.transcript(),
      checkRuns: fake.checkRuns,
      reviews: fake.reviews,
      reviewComments: fake.reviewComments,
      issueComments: fake.issueComments,
      reactions: fake.reactions,
      log: fake.log,
      unhandled: fake.unhandled(),
      violations: fake.violations(),
      appOutput: app?.output,
      brokenAppOutput: brokenApp?.output,
    };
    writeFileSync(process.env.DRILLBOT_E2E_DUMP, JSON.stringify(state, null, 2));
  }
  await app?.stop();
  await brokenApp?.stop();
  await fake?.stop();
});

describe('drillbot app end to end', () => {
  it('fails an unsafe pull request with an annotation, an inline suggestion and a drill table', async () => {
    const pull = repo.pulls.get(1)!;
    const res = await deliver(app.url, SECRET, 'pull_request', pullRequestEvent(fake, repo, 1, 'opened'));
    expect(res.status).toBeLessThan(300);

    const run = await until('a completed Drillbot check run on the head SHA of #1', () => completedRun(pull.head.sha));
    await until('a submitted review on #1', () => fake.reviews.find((r) => r.pull === 1 && r.state !== 'PENDING'));
    await fake.waitForIdle(QUIET, REVIEW_TIMEOUT);

    expect(run.conclusion).toBe('failure');
    // queued -> in_progress -> completed: the run shows progress before its verdict.
    expect(run.history.some((h) => h.status === 'in_progress')).toBe(true);
    expect(run.annotations).toEqual(expect.arrayContaining([expect.objectContaining({ path: UP, start_line: 1 })]));
    const summary = run.output.summary ?? '';
    expect(summary).toMatch(/^\|.*forward.*\|.*reverse.*\|/im);
    expect(summary).toMatch(/^\|.*000002_idx\.up\.sql.*\|$/m);

    const reviews = fake.reviews.filter((r) => r.pull === 1 && r.state !== 'PENDING');
    expect(reviews.map((r) => r.commit_id)).toEqual([pull.head.sha]);
    const inline = fake.reviewComments.filter((c) => c.pull_request_review_id === reviews[0].id && c.path === UP && c.line === 1 && c.side === 'RIGHT');
    expect(inline).toHaveLength(1);
    // golang-migrate sends a lone statement on its own, so CONCURRENTLY is a plain replacement.
    // One sticky summary comment.
    expect(fake.issueComments.filter((c) => c.issue === 1 && c.user === fake.botLogin)).toHaveLength(1);
    expect(inline[0].body).toMatch(/```suggestion\r?\nCREATE INDEX CONCURRENTLY users_email_idx ON users \(email\);\r?\n```/);
  }, 200_000);

  it('refuses an ack from a read-only user and changes nothing', async () => {
    const pull = repo.pulls.get(1)!;
    const before = latestRun(pull.head.sha)!;
    const mark = fake.sequence;
    const comment = fake.addUserComment(repo, 1, READER, '/drillbot ack blocking-index small table, built off-peak');
    const res = await deliver(app.url, SECRET, 'issue_comment', issueCommentCreated(fake, repo, comment));
    expect(res.status).toBeLessThan(300);

    const reply = await until(
      'a reply to the read-only user',
      () => fake.issueComments.find((c) => c.user === fake.botLogin && c.created_seq > mark),
      30_000,
      mark,
    );
    await fake.waitForIdle(QUIET, 30_000);
    expect(reply.body.length).toBeGreaterThan(0);

    // Nothing but the reply and a reaction: no check-run update, no review, and no write to the
    // sticky comment (it stores the acknowledgements).
    const writes = fake.log.filter((r) => r.seq > mark && r.method !== 'GET' && !/\/reactions$/.test(r.path));
    expect(writes.map((r) => `${r.method} ${r.path}`)).toEqual([`POST /repos/${repo.fullName}/issues/1/comments`]);
    const after = latestRun(pull.head.sha)!;
    expect(after.id).toBe(before.id);
    expect(after.conclusion).toBe('failure');
    expect(after.output.summary).not.toContain(READER);
  }, 90_000);

  it('passes after a writer acknowledges the hazard, showing who and why, without a second review', async () => {
    const pull = repo.pulls.get(1)!;
    const mark = fake.sequence;
    const comment = fake.addUserComment(repo, 1, WRITER, '/drillbot ack blocking-index small table, built off-peak');
    const res = await deliver(app.url, SECRET, 'issue_comment', issueCommentCreated(fake, repo, comment));
    expect(res.status).toBeLessThan(300);

    await until(
      'an eyes reaction on the ack comment',
      () => fake.reactions.find((r) => r.comment_id === comment.id && r.content === 'eyes' && r.user === fake.botLogin),
      30_000,
      mark,
    );
    const run = await until(
      'a successful Drillbot check run after the ack',
      () => completedRun(pull.head.sha, (r) => r.updated_seq > mark && r.conclusion === 'success'),
      REVIEW_TIMEOUT,
      mark,
    );
    await fake.waitForIdle(QUIET, REVIEW_TIMEOUT);
    expect(run.output.summary).toContain(WRITER);
    expect(run.output.summary).toContain('small table, built off-peak');

    // The sticky comment is updated in place: it and the reply to the read-only user are all.
    const ours = fake.issueComments.filter((c) => c.issue === 1 && c.user === fake.botLogin);
    expect(ours).toHaveLength(2);
    expect(ours[0].history.length).toBeGreaterThan(1);
    // One review per head SHA and no duplicate inline comments on a re-run.
    expect(fake.reviews.filter((r) => r.pull === 1 && r.commit_id === pull.head.sha && r.state !== 'PENDING')).toHaveLength(1);
    const anchors = fake.reviewComments.map((c) => `${c.path}:${c.line}:${c.body}`);
    expect(new Set(anchors).size).toBe(anchors.length);
  }, 200_000);

  it('reports neutral when no migration changed', async () => {
    const pull = fake.openPull(repo, {
      number: 2,
      branch: 'docs',
      author: 'pr-author',
      title: 'Docs',
      changes: { 'README.md': '# app-db\n\nThe service database, documented.\n' },
    });
    const mark = fake.sequence;
    const res = await deliver(app.url, SECRET, 'pull_request', pullRequestEvent(fake, repo, 2, 'opened'));
    expect(res.status).toBeLessThan(300);
    const run = await until('a completed Drillbot check run on #2', () => completedRun(pull.head.sha), REVIEW_TIMEOUT, mark);
    await fake.waitForIdle(QUIET, REVIEW_TIMEOUT);
    expect(run.conclusion).toBe('neutral');
    expect((run.output.summary ?? '').trim().split('\n')).toHaveLength(1);
    expect(fake.reviews.filter((r) => r.pull === 2)).toEqual([]);
  }, 200_000);

  it('names the head\u2019s code that still reads a dropped column, listing the head\u2019s tree once', async () => {
    const pull = fake.openPull(repo, {
      number: 5,
      branch: 'drop-email',
      author: 'pr-author',
      title: 'Drop users.email',
      changes: {
        'db/migrations/000002_drop_email.up.sql': 'ALTER TABLE users DROP COLUMN email;\n',
        'db/migrations/000002_drop_email.down.sql': 'ALTER TABLE users ADD COLUMN email text;\n',
        'src/users.ts': "export const byId = (db, id) => db.query('SELECT id, email FROM users WHERE id = $1', [id]);\n",
      },
    });
    const mark = fake.sequence;
    const res = await deliver(app.url, SECRET, 'pull_request', pullRequestEvent(fake, repo, 5, 'opened'));
    expect(res.status).toBeLessThan(300);
    const run = await until('a completed Drillbot check run on #5', () => completedRun(pull.head.sha), REVIEW_TIMEOUT, mark);
    await fake.waitForIdle(QUIET, REVIEW_TIMEOUT);
    expect(run.annotations).toContainEqual(
      expect.objectContaining({
        path: 'db/migrations/000002_drop_email.up.sql',
        start_line: 1,
        message: expect.stringMatching(/still names: src\/users\.ts:1/),
      }),
    );
    const headTrees = fake.log.filter((r) => r.seq > mark && r.method === 'GET' && r.path.endsWith(`/git/trees/${pull.head.sha}`));
    expect(headTrees).toHaveLength(1);
  }, 200_000);

  it('fails closed with an infra summary and a Re-run button when the shadow database does not start', async () => {
    const port = await freePort();
    brokenApp = new AppProcess('app with an unreachable database', port, appEnv(port, 'postgres://u@127.0.0.1:1/x'));
    await brokenApp.start();
    const pull = fake.openPull(repo, {
      number: 3,
      branch: 'add-name',
      author: 'pr-author',
      title: 'Add users.name',
      changes: {
        'db/migrations/000002_name.up.sql': 'ALTER TABLE users ADD COLUMN name text;\n',
        'db/migrations/000002_name.down.sql': 'ALTER TABLE users DROP COLUMN name;\n',
      },
    });
    const mark = fake.sequence;
    const res = await deliver(brokenApp.url, SECRET, 'pull_request', pullRequestEvent(fake, repo, 3, 'opened'));
    expect(res.status).toBeLessThan(300);
    const run = await until('a completed Drillbot check run on #3', () => completedRun(pull.head.sha), REVIEW_TIMEOUT, mark, brokenApp);
    await fake.waitForIdle(QUIET, REVIEW_TIMEOUT);
    expect(run.conclusion).toBe('failure');
    expect(run.output.summary).toMatch(/infra/i);
    expect(run.actions).toEqual(expect.arrayContaining([expect.objectContaining({ label: expect.stringMatching(/re-?run/i) })]));
  }, 240_000);

  it('does not let a writer acknowledge an infra failure into a pass', async () => {
    const pull = repo.pulls.get(3)!;
    const mark = fake.sequence;
    const comment = fake.addUserComment(repo, 3, WRITER, '/drillbot ack infra the database is flaky');
    const res = await deliver(brokenApp!.url, SECRET, 'issue_comment', issueCommentCreated(fake, repo, comment));
    expect(res.status).toBeLessThan(300);
    await until(
      'the app to answer the infra ack',
      () => fake.log.some((r) => r.seq > mark && r.method !== 'GET' && !/\/reactions$/.test(r.path)),
      30_000,
      mark,
      brokenApp,
    );
    await fake.waitForIdle(QUIET, REVIEW_TIMEOUT);
    const run = latestRun(pull.head.sha)!;
    expect(run.status).toBe('completed');
    expect(run.conclusion).toBe('failure');
  }, 200_000);

  it('rejects a webhook with a bad signature and does nothing', async () => {
    const pull = fake.openPull(repo, {
      number: 4,
      branch: 'unsigned',
      author: 'mallory',
      changes: { 'db/migrations/000002_drop.up.sql': 'DROP TABLE users;\n' },
    });
    const mark = fake.sequence;
    const res = await deliver(app.url, SECRET, 'pull_request', pullRequestEvent(fake, repo, 4, 'opened'), { signWith: 'not-the-secret' });
    expect(res.status).toBe(400);
    await fake.waitForIdle(QUIET, 30_000);
    expect(fake.transcript(mark)).toBe('');
    expect(fake.checkRunsFor(pull.head.sha)).toEqual([]);
  }, 60_000);

  it('sends only requests that GitHub\u2019s OpenAPI description and documented limits allow, on routes the fake implements', () => {
    expect(fake.unhandled()).toEqual([]);
    expect(fake.violations()).toEqual([]);
  });
});
