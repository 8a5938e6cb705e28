import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMENT_MARKER } from '../../src/action/main.js';
import { appKeyPair } from '../support/app-keys.js';
import { buildIfStale, ROOT } from '../support/build.js';
import { LOCAL_URL } from '../support/drill.js';
import { FakeGitHub, type FakeRepo } from '../support/fake-github.js';
import { gitRepo } from '../support/git-repo.js';
import { sarifValidator } from '../support/sarif-schema.js';
import { pullRequestEvent } from '../support/webhooks.js';

// The Action's entry script (bin/drillbot-action.js, what action.yml runs) in its own process, in a
// fake GitHub Actions environment: GITHUB_* variables, a pull_request event payload from
// @octokit/webhooks-examples, and the fake GitHub API (requests checked against GitHub's OpenAPI
// description) for the pull-request comment.

const BASE = {
  'db/migrations/000001_users.up.sql': 'CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);\n',
  'db/migrations/000001_users.down.sql': 'DROP TABLE users;\n',
};
const FAILING = {
  'db/migrations/000002_email.up.sql': 'CREATE INDEX users_email_idx ON users (email);\n',
  'db/migrations/000002_email.down.sql': 'DROP INDEX users_email_idx;\n',
};
const PULL = 7;

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describe('the GitHub Action on a failing pull request', () => {
  const fake = new FakeGitHub({ appId: 1, appSlug: 'github-actions', publicKey: appKeyPair().publicKey, installationId: 2 });
  let repo: FakeRepo;
  let local: { dir: string; remove: () => void };
  let tmp: string;
  let token: string;

  beforeAll(async () => {
    buildIfStale();
    await fake.start();
    repo = fake.addRepo('octo-org/shop', BASE);
    fake.openPull(repo, { number: PULL, branch: 'email-index', changes: FAILING, author: 'maria' });
    // More comments than one page holds: the Action must page through them to find its own.
    for (let i = 0; i < 120; i++) fake.addUserComment(repo, PULL, 'maria', `comment ${i}`);
    local = gitRepo(BASE, FAILING);
    tmp = mkdtempSync(join(tmpdir(), 'drillbot-action-test-'));
    token = fake.issueToken();
  });
  afterAll(async () => {
    await fake.stop();
    local.remove();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** The event payload, pointed at the fake repository and at the local checkout's commits. */
  function eventFile(name: string): string {
    const payload = pullRequestEvent(fake, repo, PULL);
    const sha = (ref: string) => execFileSync('git', ['-C', local.dir, 'rev-parse', ref], { encoding: 'utf8' }).trim();
    payload.pull_request.base.sha = sha('main');
    payload.pull_request.head.sha = sha('HEAD');
    const path = join(tmp, name);
    writeFileSync(path, JSON.stringify(payload));
    return path;
  }

  function runAction(name: string, inputs: Record<string, string>): Promise<Run & { summary: string }> {
    const summary = join(tmp, `${name}.summary.md`);
    writeFileSync(summary, '');
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GITHUB_') && !key.startsWith('DRILLBOT_')));
    const env = {
      ...inherited,
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: eventFile(`${name}.event.json`),
      GITHUB_REPOSITORY: repo.fullName,
      GITHUB_API_URL: fake.baseUrl,
      GITHUB_WORKSPACE: local.dir,
      GITHUB_STEP_SUMMARY: summary,
      INPUT_TOKEN: token,
      INPUT_COMMENT: 'true',
      ...inputs,
    };
    return new Promise((resolve) => {
      execFile(process.execPath, [join(ROOT, 'bin', 'drillbot-action.js')], { env, cwd: local.dir, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
        resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr, summary: readFileSync(summary, 'utf8') }),
      );
    });
  }

  const actionComments = () => fake.issueComments.filter((c) => c.issue === PULL && c.body.includes(COMMENT_MARKER));

  it('exits 1, annotates the diff, writes the summary and SARIF, and posts one comment; a second run updates that comment', async () => {
    const sarif = join(tmp, 'drillbot.sarif');
    const timeline = join(tmp, 'drill.svg');
    const first = await runAction('first', { INPUT_SARIF_FILE: sarif, INPUT_TIMELINE_FILE: timeline });
    expect(first.stderr).not.toMatch(/drillbot: /);
    expect(first.status).toBe(1);
    const annotations = first.stdout.split('\n').filter((line) => line.startsWith('::'));
    expect(annotations).toContainEqual(
      expect.stringMatching(/^::error title=blocking-index \(require-concurrent-index\),file=db\/migrations\/000002_email\.up\.sql,line=1::CREATE INDEX/),
    );
    expect(first.summary).toMatch(/^## Drillbot: FAIL, 1 error/);
    expect(first.summary).toContain('### Timeline');
    expect(sarifValidator()(JSON.parse(readFileSync(sarif, 'utf8')))).toEqual([]);
    expect(readFileSync(timeline, 'utf8')).toContain('forward db/migrations/000002_email.up.sql:1: ');
    expect(actionComments()).toHaveLength(1);
    const [comment] = actionComments();
    expect(comment.user).toBe('github-actions[bot]');
    expect(comment.body).toBe(`${COMMENT_MARKER}\n${first.summary}`);

    const seq = fake.sequence;
    const second = await runAction('second', { INPUT_DATABASE_URL: LOCAL_URL });
    expect(second.status).toBe(1);
    expect(actionComments()).toHaveLength(1);
    expect(actionComments()[0].history).toHaveLength(2);
    expect(actionComments()[0].body).toBe(`${COMMENT_MARKER}\n${second.summary}`);
    expect(second.summary).toContain('via `url`');
    const calls = fake.log.filter((r) => r.seq > seq).map((r) => `${r.method} ${r.path}${r.query.page ? ` page ${r.query.page}` : ''}`);
    expect(calls).toEqual([
      `GET /repos/${repo.fullName}/issues/${PULL}/comments`,
      `GET /repos/${repo.fullName}/issues/${PULL}/comments page 2`,
      `PATCH /repos/${repo.fullName}/issues/comments/${comment.id}`,
    ]);
    expect(fake.violations()).toEqual([]);
    expect(fake.unhandled()).toEqual([]);
  });

  it('exits 2 on a review that could not complete, and says so in the summary and the comment', async () => {
    const run = await runAction('incomplete', { INPUT_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres' });
    expect(run.status).toBe(2);
    expect(run.summary).toMatch(/^## Drillbot: INCOMPLETE/);
    expect(run.stdout).toMatch(/^::error title=infra/m);
    expect(actionComments()).toHaveLength(1);
    expect(actionComments()[0].body).toContain('## Drillbot: INCOMPLETE');
  });

  it('exits 2 with the CLI error and posts nothing on bad input', async () => {
    const before = actionComments()[0].history.length;
    const run = await runAction('bad', { INPUT_LAYOUT: 'rails' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--layout: unknown value "rails"');
    expect(actionComments()[0].history).toHaveLength(before);
  });
});
