import { ProbotOctokit } from 'probot';
import { FakeGitHub, secondaryRateLimit, unifiedDiff, type FakeRepo } from '../support/fake-github.js';
import { issueCommentCreated, pullRequestEvent } from '../support/webhooks.js';
import { appKeyPair } from '../support/app-keys.js';

// The harness for the app's end-to-end test must itself be trusted: these tests drive it with
// Probot's own Octokit (installation auth via a signed app JWT), check that well-formed requests
// pass and that requests GitHub would reject are answered and counted like GitHub would.

const APP_ID = 4242;
const INSTALLATION_ID = 77;

const keys = appKeyPair();

const Octokit = ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } }));

describe('unifiedDiff', () => {
  it('shows an added file as one hunk from line 1', () => {
    const d = unifiedDiff('', 'a\nb\n');
    expect(d.patch).toBe('@@ -0,0 +1,2 @@\n+a\n+b');
    expect(d.lines.filter((l) => l.side === 'RIGHT').map((l) => l.line)).toEqual([1, 2]);
  });

  it('keeps three lines of context and splits distant changes into hunks', () => {
    const before = Array.from({ length: 20 }, (_, i) => `l${i + 1}`).join('\n') + '\n';
    const after = before.replace('l2\n', 'L2\n').replace('l18\n', 'L18\n');
    const d = unifiedDiff(before, after);
    expect(d.patch.split('\n').filter((l) => l.startsWith('@@'))).toEqual(['@@ -1,5 +1,5 @@', '@@ -15,6 +15,6 @@']);
    const right = d.lines.filter((l) => l.side === 'RIGHT');
    expect(right.map((l) => l.line)).toEqual([1, 2, 3, 4, 5, 15, 16, 17, 18, 19, 20]);
    // Positions count the second hunk header as a line.
    expect(right.find((l) => l.line === 15)?.position).toBe(8);
    expect(d.additions).toBe(2);
    expect(d.deletions).toBe(2);
  });

  it('marks a missing newline at the end of the file', () => {
    expect(unifiedDiff('a\n', 'a').patch).toBe('@@ -1 +1 @@\n-a\n+a\n\\ No newline at end of file');
  });
});

describe('FakeGitHub', () => {
  let fake: FakeGitHub;
  let repo: FakeRepo;
  let octokit: InstanceType<typeof Octokit>;
  const head = () => repo.pulls.get(1)!.head.sha;

  beforeAll(async () => {
    fake = new FakeGitHub({ appId: APP_ID, publicKey: keys.publicKey, installationId: INSTALLATION_ID });
    await fake.start();
    repo = fake.addRepo('octo-org/app-db', {
      'db/migrations/000001_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\n',
      'db/migrations/000001_users.down.sql': 'DROP TABLE users;\n',
      '.github/drillbot.yml': 'comments:\n  sticky: true\n',
    });
    fake.openPull(repo, {
      number: 1,
      branch: 'add-index',
      author: 'pr-author',
      changes: {
        'db/migrations/000002_idx.up.sql': 'CREATE INDEX users_email_idx ON users (email);\n',
        'db/migrations/000002_idx.down.sql': 'DROP INDEX users_email_idx;\n',
      },
    });
    repo.permissions.set('writer', 'write');
    octokit = new Octokit({ baseUrl: fake.baseUrl, auth: { appId: APP_ID, privateKey: keys.privateKey, installationId: INSTALLATION_ID } });
  }, 60_000);

  afterAll(() => fake.stop());

  const since = () => {
    const v = fake.violations().length;
    const u = fake.unhandled().length;
    return { violations: () => fake.violations().slice(v), unhandled: () => fake.unhandled().slice(u) };
  };

  it('serves a pull request, its paginated files with patches, trees, blobs and the config', async () => {
    const mark = since();
    const files = await octokit.paginate(octokit.rest.pulls.listFiles, { owner: 'octo-org', repo: 'app-db', pull_number: 1, per_page: 1 });
    expect(files.map((f) => [f.filename, f.status, f.patch])).toEqual([
      ['db/migrations/000002_idx.down.sql', 'added', '@@ -0,0 +1 @@\n+DROP INDEX users_email_idx;'],
      ['db/migrations/000002_idx.up.sql', 'added', '@@ -0,0 +1 @@\n+CREATE INDEX users_email_idx ON users (email);'],
    ]);
    const pr = await octokit.rest.pulls.get({ owner: 'octo-org', repo: 'app-db', pull_number: 1 });
    expect(pr.data.head.sha).toBe(head());
    const tree = await octokit.rest.git.getTree({ owner: 'octo-org', repo: 'app-db', tree_sha: head(), recursive: '1' });
    const up = tree.data.tree.find((e) => e.path === 'db/migrations/000002_idx.up.sql')!;
    const blob = await octokit.rest.git.getBlob({ owner: 'octo-org', repo: 'app-db', file_sha: up.sha! });
    expect(Buffer.from(blob.data.content, 'base64').toString()).toBe('CREATE INDEX users_email_idx ON users (email);\n');
    const cmp = await octokit.rest.repos.compareCommitsWithBasehead({ owner: 'octo-org', repo: 'app-db', basehead: `${pr.data.base.sha}...${head()}` });
    expect(cmp.data.files?.map((f) => f.filename)).toHaveLength(2);
    const config = await octokit.config.get({ owner: 'octo-org', repo: 'app-db', path: '.github/drillbot.yml' });
    expect(config.config).toEqual({ comments: { sticky: true } });
    const none = await octokit.config.get({ owner: 'octo-org', repo: 'app-db', path: '.github/other.yml' });
    expect(none.config).toEqual({});
    const perm = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner: 'octo-org', repo: 'app-db', username: 'writer' });
    expect(perm.data.permission).toBe('write');
    expect(mark.violations()).toEqual([]);
    // The config plugin falls back to the org's `.github` repository: that is a 404, not a missing route.
    expect(mark.unhandled()).toEqual([]);
  });

  it('stores check runs, appends annotations and lists the latest per name', async () => {
    const mark = since();
    const created = await octokit.rest.checks.create({ owner: 'octo-org', repo: 'app-db', name: 'Drillbot', head_sha: head(), status: 'in_progress' });
    const annotations = Array.from({ length: 50 }, (_, i) => ({
      path: 'db/migrations/000002_idx.up.sql',
      start_line: 1,
      end_line: 1,
      annotation_level: 'failure' as const,
      message: `m${i}`,
    }));
    await octokit.rest.checks.update({ owner: 'octo-org', repo: 'app-db', check_run_id: created.data.id, output: { title: 't', summary: 's', annotations } });
    await octokit.rest.checks.update({
      owner: 'octo-org',
      repo: 'app-db',
      check_run_id: created.data.id,
      conclusion: 'failure',
      output: { title: 't', summary: 'done', annotations: annotations.slice(0, 2) },
      actions: [{ label: 'Re-run', description: 'Run the drill again', identifier: 'rerun' }],
    });
    const list = await octokit.rest.checks.listForRef({ owner: 'octo-org', repo: 'app-db', ref: head(), check_name: 'Drillbot' });
    expect(list.data.total_count).toBe(1);
    expect(list.data.check_runs[0]).toMatchObject({ status: 'completed', conclusion: 'failure', output: { summary: 'done', annotations_count: 52 } });
    expect(mark.violations()).toEqual([]);
  });

  it('answers 422 and records a violation for bodies GitHub rejects', async () => {
    const mark = since();
    const run = await octokit.rest.checks.create({ owner: 'octo-org', repo: 'app-db', name: 'Limits', head_sha: head() });
    const annotations = Array.from({ length: 51 }, () => ({ path: 'a', start_line: 1, end_line: 1, annotation_level: 'notice' as const, message: 'm' }));
    await expect(
      octokit.rest.checks.update({ owner: 'octo-org', repo: 'app-db', check_run_id: run.data.id, output: { title: 't', summary: 's', annotations } }),
    ).rejects.toMatchObject({ status: 422 });
    await expect(
      octokit.rest.checks.update({ owner: 'octo-org', repo: 'app-db', check_run_id: run.data.id, output: { title: 't', summary: 'x'.repeat(65536) } }),
    ).rejects.toMatchObject({ status: 422 });
    await expect(
      octokit.rest.checks.update({
        owner: 'octo-org',
        repo: 'app-db',
        check_run_id: run.data.id,
        conclusion: 'failure',
        actions: [{ label: 'Re-run the whole drill', description: 'd', identifier: 'rerun' }],
      }),
    ).rejects.toMatchObject({ status: 422 });
    // 'nope' is deliberately no conclusion: the cast only gets it past the typed route, so that the fake can reject it.
    await expect(
      octokit.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', {
        owner: 'octo-org',
        repo: 'app-db',
        check_run_id: run.data.id,
        conclusion: 'nope' as 'failure',
      }),
    ).rejects.toMatchObject({ status: 422 });
    await expect(octokit.rest.checks.create({ owner: 'octo-org', repo: 'app-db', name: 'x', head_sha: 'f'.repeat(40) })).rejects.toMatchObject({ status: 422 });
    const problems = mark
      .violations()
      .map((v) => v.problem)
      .join('\n');
    expect(problems).toMatch(/annotations must NOT have more than 50 items/);
    expect(problems).toMatch(/summary must NOT have more than 65535 characters/);
    expect(problems).toMatch(/label must NOT have more than 20 characters/);
    expect(problems).toMatch(/conclusion|allowed values/);
    expect(problems).toMatch(/No commit found/);
    expect(mark.violations().length).toBeGreaterThanOrEqual(5);
    // Limits the schema does not encode are checked too.
    await expect(
      octokit.rest.checks.update({
        owner: 'octo-org',
        repo: 'app-db',
        check_run_id: run.data.id,
        output: {
          title: 't',
          summary: 's',
          annotations: [
            { path: 'a', start_line: 1, end_line: 2, start_column: 1, end_column: 3, annotation_level: 'notice', message: 'm', title: 'x'.repeat(256) },
          ],
        },
      }),
    ).rejects.toMatchObject({ status: 422 });
    const limits = mark
      .violations()
      .map((v) => v.problem)
      .join('\n');
    expect(limits).toMatch(/start_column\/end_column are only allowed when start_line equals end_line/);
    expect(limits).toMatch(/title has 256 characters \(max 255\)/);
    expect(fake.checkRuns.find((r) => r.id === run.data.id)!.conclusion).toBeNull();
  });

  it('accepts review comments on diff lines and answers 422 for lines outside the diff', async () => {
    const mark = since();
    const ok = await octokit.rest.pulls.createReview({
      owner: 'octo-org',
      repo: 'app-db',
      pull_number: 1,
      commit_id: head(),
      event: 'COMMENT',
      body: 'Drillbot review',
      comments: [
        {
          path: 'db/migrations/000002_idx.up.sql',
          line: 1,
          side: 'RIGHT',
          body: '```suggestion\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n```',
        },
      ],
    });
    expect(ok.status).toBe(200);
    expect(mark.violations()).toEqual([]);
    await expect(
      octokit.rest.pulls.createReview({
        owner: 'octo-org',
        repo: 'app-db',
        pull_number: 1,
        commit_id: head(),
        event: 'COMMENT',
        body: 'b',
        comments: [{ path: 'db/migrations/000001_users.up.sql', line: 1, body: 'not in the diff' }],
      }),
    ).rejects.toMatchObject({ status: 422 });
    await expect(
      octokit.rest.pulls.createReview({
        owner: 'octo-org',
        repo: 'app-db',
        pull_number: 1,
        commit_id: head(),
        event: 'COMMENT',
        body: 'b',
        comments: [{ path: 'db/migrations/000002_idx.up.sql', line: 2, body: 'past the end' }],
      }),
    ).rejects.toMatchObject({ status: 422 });
    expect(
      mark
        .violations()
        .map((v) => v.problem)
        .join('\n'),
    ).toMatch(/line must be part of the diff/);
    const comments = await octokit.rest.pulls.listReviewComments({ owner: 'octo-org', repo: 'app-db', pull_number: 1 });
    expect(comments.data.map((c) => [c.path, c.line, c.side])).toEqual([['db/migrations/000002_idx.up.sql', 1, 'RIGHT']]);
    const reviews = await octokit.rest.pulls.listReviews({ owner: 'octo-org', repo: 'app-db', pull_number: 1 });
    expect(reviews.data).toHaveLength(1);
  });

  it('keeps issue comments and reactions, and flags edits of a person\u2019s comment', async () => {
    const mark = since();
    const human = fake.addUserComment(repo, 1, 'writer', '/drillbot help');
    const reaction = await octokit.rest.reactions.createForIssueComment({ owner: 'octo-org', repo: 'app-db', comment_id: human.id, content: 'eyes' });
    expect(reaction.status).toBe(201);
    const mine = await octokit.rest.issues.createComment({ owner: 'octo-org', repo: 'app-db', issue_number: 1, body: '<!-- drillbot -->\nsummary' });
    expect(mine.data.user?.login).toBe('drillbot[bot]');
    await octokit.rest.issues.updateComment({ owner: 'octo-org', repo: 'app-db', comment_id: mine.data.id, body: '<!-- drillbot -->\nupdated' });
    const list = await octokit.paginate(octokit.rest.issues.listComments, { owner: 'octo-org', repo: 'app-db', issue_number: 1 });
    expect(list.map((c) => c.body)).toEqual(['/drillbot help', '<!-- drillbot -->\nupdated']);
    expect(mark.violations()).toEqual([]);
    await octokit.rest.issues.updateComment({ owner: 'octo-org', repo: 'app-db', comment_id: human.id, body: 'overwritten' });
    expect(mark.violations().map((v) => v.problem)).toEqual(['edits a comment written by writer']);
  });

  it('records routes it does not implement and requests no operation describes', async () => {
    const mark = since();
    await expect(octokit.rest.issues.addLabels({ owner: 'octo-org', repo: 'app-db', issue_number: 1, labels: ['x'] })).rejects.toMatchObject({ status: 404 });
    await expect(octokit.request('GET /repos/{owner}/{repo}/no-such-thing', { owner: 'octo-org', repo: 'app-db' })).rejects.toMatchObject({ status: 404 });
    expect(mark.unhandled()).toEqual(['POST /repos/octo-org/app-db/issues/1/labels', 'GET /repos/octo-org/app-db/no-such-thing']);
    expect(mark.violations().map((v) => v.problem)).toEqual(['no operation in the OpenAPI description matches this method and path']);
  });

  it('injects faults: the next N requests, a duration, and a reply lost after the request took effect', async () => {
    const mark = since();
    const ref = { owner: 'octo-org', repo: 'app-db' };
    fake.fail('GET', '/repos/{owner}/{repo}/pulls/{n}', { status: 503, times: 2, headers: { 'retry-after': '7' } });
    await expect(octokit.rest.pulls.get({ ...ref, pull_number: 1 })).rejects.toMatchObject({ status: 503, response: { headers: { 'retry-after': '7' } } });
    await expect(octokit.rest.pulls.get({ ...ref, pull_number: 1 })).rejects.toMatchObject({ status: 503 });
    await expect(octokit.rest.pulls.get({ ...ref, pull_number: 1 })).resolves.toMatchObject({ status: 200 });

    fake.fail('GET', '/repos/{owner}/{repo}/pulls/{n}/files', { status: 502, forMs: 300 });
    await expect(octokit.rest.pulls.listFiles({ ...ref, pull_number: 1 })).rejects.toMatchObject({ status: 502 });
    await new Promise((r) => setTimeout(r, 350));
    await expect(octokit.rest.pulls.listFiles({ ...ref, pull_number: 1 })).resolves.toMatchObject({ status: 200 });

    const before = fake.checkRuns.length;
    fake.fail('POST', '/repos/{owner}/{repo}/check-runs', { status: 502, afterSuccess: true });
    await expect(octokit.rest.checks.create({ ...ref, name: 'Lost', head_sha: head() })).rejects.toMatchObject({ status: 502 });
    expect(fake.checkRuns.slice(before).map((r) => r.name)).toEqual(['Lost']);

    fake.fail('POST', '/repos/{owner}/{repo}/issues/{n}/comments', secondaryRateLimit(60, { times: 5 }));
    await expect(octokit.rest.issues.createComment({ ...ref, issue_number: 1, body: 'x' })).rejects.toMatchObject({
      status: 403,
      message: expect.stringMatching(/secondary rate limit/),
    });
    fake.clearFaults();
    await expect(octokit.rest.issues.createComment({ ...ref, issue_number: 1, body: 'x' })).resolves.toMatchObject({ status: 201 });
    expect(fake.faulted().map((r) => `${r.method} ${r.status}`)).toEqual(['GET 503', 'GET 503', 'GET 502', 'POST 502', 'POST 403']);
    expect(mark.violations()).toEqual([]);
  });

  it('rejects a JWT signed with another key', async () => {
    const mark = since();
    const other = appKeyPair();
    const stranger = new Octokit({ baseUrl: fake.baseUrl, auth: { appId: APP_ID, privateKey: other.privateKey, installationId: INSTALLATION_ID } });
    await expect(stranger.rest.pulls.get({ owner: 'octo-org', repo: 'app-db', pull_number: 1 })).rejects.toMatchObject({ status: 401 });
    expect(mark.violations().map((v) => v.problem)).toContain('JWT signature does not verify with the app public key');
  });

  it('builds webhook payloads from the real examples, re-pointed at the fake repository', () => {
    const pr = pullRequestEvent(fake, repo, 1);
    expect(pr).toMatchObject({
      action: 'opened',
      number: 1,
      installation: { id: INSTALLATION_ID },
      repository: { full_name: 'octo-org/app-db', owner: { login: 'octo-org' } },
    });
    expect(pr.pull_request).toMatchObject({ number: 1, head: { sha: head() }, base: { sha: repo.pulls.get(1)!.base.sha, ref: 'main' } });
    expect(JSON.stringify(pr)).not.toMatch(/Codertocat\/Hello-World|api\.github\.com/);
    const comment = fake.addUserComment(repo, 1, 'writer', '/drillbot run');
    const ic = issueCommentCreated(fake, repo, comment);
    expect(ic).toMatchObject({
      action: 'created',
      issue: { number: 1, pull_request: {} },
      comment: { id: comment.id, body: '/drillbot run', user: { login: 'writer', type: 'User' } },
      sender: { login: 'writer' },
    });
  });
});
