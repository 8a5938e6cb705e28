import { pino } from 'pino';
import { Probot, ProbotOctokit } from 'probot';
import { ReportCache, sweepFrom, type AppDeps } from '../../src/app/deps.js';
import { drillbotOctokit, type RetryPolicy } from '../../src/app/github/octokit.js';
import { checkRunExternalId, pullOfExternalId } from '../../src/app/github/check-run.js';
import { createApp } from '../../src/app/index.js';
import { InProcessTaskQueue } from '../../src/app/queue.js';
import { MemoryAckStore } from '../../src/app/acks.js';
import { sweepAbandonedRuns } from '../../src/app/sweep.js';
import { buildReport, type Finding, type Report } from '../../src/core/index.js';
import { FakeGitHub, secondaryRateLimit, type FakeCheckRun, type FakeRepo } from '../support/fake-github.js';
import { exampleOf, pullRequestEvent, type Json } from '../support/webhooks.js';
import { appKeyPair } from '../support/app-keys.js';

/**
 * The app under GitHub faults (outages, rate limits, lost answers), injected into the fake GitHub:
 * whatever happens, no Drillbot check run is left without a conclusion, and none is duplicated.
 * Delays are shrunk (retry policy, the plugins' retry-after unit), never skipped.
 */

const APP_ID = 5151;
const INSTALLATION = 88;
const { privateKey, publicKey } = appKeyPair();

const BASE = {
  'db/migrations/001_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\n',
  'db/migrations/001_users.down.sql': 'DROP TABLE users;\n',
};
const UNSAFE = {
  'db/migrations/002_email_idx.up.sql': 'CREATE INDEX users_email_idx ON users (email);\n',
  'db/migrations/002_email_idx.down.sql': 'DROP INDEX users_email_idx;\n',
};
const finding: Finding = {
  rule: 'require-concurrent-index',
  hazard: 'blocking-index',
  severity: 'error',
  path: 'db/migrations/002_email_idx.up.sql',
  line: 1,
  message: 'CREATE INDEX blocks writes to "users".',
  source: 'rule',
};
const failingReport = (): Report => buildReport([finding], [], null);

/** Retries for up to 20 s (ample on a loaded machine), waiting 20, 40, 80… ms; a `retry-after` second lasts 10 ms. */
const FAST: RetryPolicy = { deadlineMs: 20_000, baseDelayMs: 20, maxDelayMs: 200, retryAfterUnitMs: 10 };
/** The real retry and throttling plugins, configured as in production but with 10 ms seconds. */
const PLUGINS = drillbotOctokit({ retries: 3, rateLimitRetries: 3, maxRetryAfterS: 120, retryAfterBaseMs: 10 });
const NO_PLUGINS = ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } }));

const CHECK_RUNS = '/repos/{owner}/{repo}/check-runs';
const CHECK_RUN = '/repos/{owner}/{repo}/check-runs/{id}';

describe('Drillbot under GitHub faults', () => {
  let fake: FakeGitHub;
  let repo: FakeRepo;
  let probot: Probot;
  let deps: AppDeps;
  let drills: number;
  let logs: string[];
  let stopSweep: AbortController;

  async function setUp(opts: { Octokit?: typeof ProbotOctokit; deps?: Partial<AppDeps>; before?: (f: FakeGitHub, r: FakeRepo) => void } = {}) {
    fake = new FakeGitHub({ appId: APP_ID, publicKey, installationId: INSTALLATION });
    await fake.start();
    repo = fake.addRepo('acme/shop', BASE);
    opts.before?.(fake, repo);
    drills = 0;
    logs = [];
    const engine = { review: async () => (drills++, failingReport()) };
    // The throttling plugin spaces writes that notify by 3 s: with it, no summary comment.
    const summaryComment = opts.Octokit === PLUGINS ? 'acks-only' : 'always';
    deps = {
      engine,
      queue: new InProcessTaskQueue(2),
      appId: APP_ID,
      now: () => new Date(),
      reports: new ReportCache(),
      docsDir: new URL('../../docs/rules/', import.meta.url),
      pendingAcks: new MemoryAckStore(),
      sweep: null,
      activeChecks: new Set(),
      retry: FAST,
      summaryComment,
      ...opts.deps,
    };
    const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(line) });
    probot = new Probot({ appId: APP_ID, privateKey, baseUrl: fake.baseUrl, Octokit: opts.Octokit ?? NO_PLUGINS, log: log as never });
    await probot.load(createApp(deps));
  }

  afterEach(async () => {
    stopSweep?.abort();
    await deps?.queue.idle();
    await fake?.stop();
  });

  /** Stops the periodic sweep of the test after it. */
  const sweepSignal = () => {
    stopSweep = new AbortController();
    return stopSweep.signal;
  };

  const receive = async (name: string, payload: object) => {
    await probot.receive({ id: `${Math.random()}`, name, payload } as never);
    await deps.queue.idle();
  };

  const openAndReview = async () => {
    const pull = fake.openPull(repo, { number: 7, branch: 'idx', changes: UNSAFE, author: 'alice' });
    await receive('pull_request', pullRequestEvent(fake, repo, 7, 'opened'));
    return pull.head.sha;
  };

  /** Every Drillbot run of the head: exactly one, completed with the review's conclusion. */
  function expectOneCompletedRun(headSha: string, conclusion = 'failure'): FakeCheckRun {
    const runs = fake.checkRunsFor(headSha, 'Drillbot');
    expect(runs.map((r) => [r.status, r.conclusion])).toEqual([['completed', conclusion]]);
    return runs[0];
  }

  function expectCleanTraffic() {
    expect(fake.violations()).toEqual([]);
    expect(fake.unhandled()).toEqual([]);
  }

  const calls = (method: string, path: string) => fake.log.filter((r) => r.method === method && r.path === path);

  describe('check-run creation', () => {
    it('survives a 5xx outage on creation: retried with back-off, one run, completed', async () => {
      await setUp();
      fake.fail('POST', CHECK_RUNS, { status: 502, times: 4 });
      const sha = await openAndReview();
      expect(calls('POST', '/repos/acme/shop/check-runs').map((r) => r.status)).toEqual([502, 502, 502, 502, 201]);
      const run = expectOneCompletedRun(sha);
      expect(run.annotations).toHaveLength(1);
      expect(drills).toBe(1);
      expectCleanTraffic();
    });

    it('creates no duplicate when GitHub answers 502 to a creation that succeeded (real retry plugin)', async () => {
      await setUp({ Octokit: PLUGINS });
      fake.fail('POST', CHECK_RUNS, { status: 502, afterSuccess: true });
      const sha = await openAndReview();
      expect(calls('POST', '/repos/acme/shop/check-runs')).toHaveLength(1);
      const run = expectOneCompletedRun(sha);
      expect(run.external_id).toBe(`7@${sha}`);
      expectCleanTraffic();
    });

    it('waits out a secondary rate limit for its retry-after (real throttling plugin)', async () => {
      await setUp({ Octokit: PLUGINS });
      fake.fail('POST', CHECK_RUNS, secondaryRateLimit(20, { times: 2 }));
      const sha = await openAndReview();
      const posts = calls('POST', '/repos/acme/shop/check-runs');
      expect(posts.map((r) => r.status)).toEqual([403, 403, 201]);
      // retry-after 20 s at 10 ms a second: each retry waited at least 200 ms.
      expect(posts[1].at - posts[0].at).toBeGreaterThanOrEqual(200);
      expect(posts[2].at - posts[1].at).toBeGreaterThanOrEqual(200);
      expectOneCompletedRun(sha);
      expectCleanTraffic();
    });

    it('honours retry-after on a bare 429 through its own retry (the plugins leave 429 alone)', async () => {
      await setUp({ Octokit: PLUGINS });
      fake.fail('POST', CHECK_RUNS, { status: 429, headers: { 'retry-after': '30' } });
      const sha = await openAndReview();
      const posts = calls('POST', '/repos/acme/shop/check-runs');
      expect(posts.map((r) => r.status)).toEqual([429, 201]);
      expect(posts[1].at - posts[0].at).toBeGreaterThanOrEqual(300);
      expectOneCompletedRun(sha);
      expectCleanTraffic();
    });

    it('names the pull request in external_id, and still reads the bare number of earlier versions', () => {
      expect(pullOfExternalId(checkRunExternalId(7, 'abc123'))).toBe(7);
      expect(pullOfExternalId('12')).toBe(12);
      expect(pullOfExternalId('other-app-id')).toBeUndefined();
      expect(pullOfExternalId(null)).toBeUndefined();
    });

    it('completes an in-progress duplicate of the same pull request and head as cancelled, and reviews in the newest', async () => {
      let sha = '';
      await setUp({
        before: (f, r) => {
          sha = f.openPull(r, { number: 7, branch: 'idx', changes: UNSAFE, author: 'alice' }).head.sha;
          f.checkRuns.push(seededRun(1, sha, { external_id: `7@${sha}` }), seededRun(2, sha, { external_id: `7@${sha}` }));
        },
      });
      await receive('pull_request', pullRequestEvent(fake, repo, 7, 'opened'));
      const runs = fake.checkRunsFor(sha, 'Drillbot');
      expect(runs.map((r) => [r.id, r.status, r.conclusion])).toEqual([
        [1, 'completed', 'cancelled'],
        [2, 'completed', 'failure'],
      ]);
      expect(runs[0].output.summary).toContain('duplicate of check run 2');
      expectCleanTraffic();
    });
  });

  describe('completion', () => {
    it('survives an outage of the completion PATCH: the conclusion lands once the API is back, annotations once', async () => {
      await setUp();
      fake.fail('PATCH', CHECK_RUN, { status: 503, forMs: 600 });
      const sha = await openAndReview();
      expect(fake.faulted().length).toBeGreaterThanOrEqual(3);
      const run = expectOneCompletedRun(sha);
      expect(run.annotations).toHaveLength(1);
      expectCleanTraffic();
    });

    it('completes the run from the sweep when the outage outlasts the review job retries', async () => {
      await setUp({ deps: { retry: { ...FAST, deadlineMs: 200 } } });
      fake.fail('PATCH', CHECK_RUN, { status: 503, forMs: 60_000 });
      const sha = await openAndReview();
      expect(fake.checkRunsFor(sha, 'Drillbot').map((r) => r.status)).toEqual(['in_progress']);
      // The job has given up and let go of the run: the next sweep after the outage takes it.
      expect(deps.activeChecks.size).toBe(0);
      fake.clearFaults();
      const completed = await sweepAbandonedRuns(probot, probot.log, deps, 0);
      expect(completed).toBe(1);
      const run = expectOneCompletedRun(sha);
      expect(run.output.summary).toContain('**Infra:**');
      expect(run.actions.map((a) => a.identifier)).toEqual(['rerun']);
      expectCleanTraffic();
    });

    it('posts the review once when GitHub answers 502 to a review that was created (real retry plugin)', async () => {
      await setUp({ Octokit: PLUGINS });
      fake.fail('POST', '/repos/{owner}/{repo}/pulls/{n}/reviews', { status: 502, afterSuccess: true });
      const sha = await openAndReview();
      expect(fake.faulted()).toHaveLength(1);
      expect(fake.reviews).toHaveLength(1);
      expect(fake.reviewComments).toHaveLength(1);
      expectOneCompletedRun(sha);
      expectCleanTraffic();
    });

    it('retries a 5xx on a read through the real retry plugin, without failing the review', async () => {
      await setUp({ Octokit: PLUGINS });
      fake.fail('GET', '/repos/{owner}/{repo}/pulls/{n}/files', { status: 502, times: 2 });
      const sha = await openAndReview();
      expect(fake.faulted()).toHaveLength(2);
      const run = expectOneCompletedRun(sha);
      expect(run.output.summary).not.toContain('**Infra:**');
      expect(drills).toBe(1);
      expectCleanTraffic();
    });
  });

  describe('sweep', () => {
    const HOUR = 3_600_000;

    it('reads its interval and staleness threshold from the environment, as durations', () => {
      expect(sweepFrom({})).toEqual({ intervalMs: 5 * 60_000, staleAfterMs: HOUR });
      expect(sweepFrom({ DRILLBOT_SWEEP_INTERVAL: '30s', DRILLBOT_SWEEP_STALE_AFTER: '2h' })).toEqual({ intervalMs: 30_000, staleAfterMs: 2 * HOUR });
      expect(() => sweepFrom({ DRILLBOT_SWEEP_INTERVAL: 'often' })).toThrow('DRILLBOT_SWEEP_INTERVAL must be a duration');
    });

    it('keeps sweeping after listing installations fails, completes abandoned runs only, and leaves live and young ones alone', async () => {
      let sha = '';
      const live = new Set([3]);
      await setUp({
        deps: { sweep: { intervalMs: 150, staleAfterMs: HOUR, signal: sweepSignal() }, activeChecks: live },
        before: (f, r) => {
          sha = f.openPull(r, { number: 7, branch: 'idx', changes: UNSAFE, author: 'alice' }).head.sha;
          const old = new Date(Date.now() - 2 * HOUR).toISOString();
          f.checkRuns.push(
            seededRun(1, sha, { started_at: old }),
            seededRun(2, sha, { started_at: new Date().toISOString() }),
            seededRun(3, sha, { started_at: old }),
          );
          f.fail('GET', '/app/installations', { status: 502 });
        },
      });
      const abandoned = await fake.waitFor(
        'the sweep to complete the abandoned run',
        () => fake.checkRuns.find((r) => r.id === 1 && r.status === 'completed'),
        10_000,
      );
      expect(abandoned).toMatchObject({ conclusion: 'failure', actions: [expect.objectContaining({ identifier: 'rerun' })] });
      expect(abandoned.output.summary).toContain('interrupted');
      expect(
        calls('GET', '/app/installations')
          .map((r) => r.status)
          .slice(0, 2),
      ).toEqual([502, 200]);
      expect(logs.some((l) => l.includes('the sweep for abandoned check runs failed'))).toBe(true);
      // Another tick: still nothing for the young run (another replica may own it) or the live one.
      const seen = calls('GET', '/app/installations').length;
      await fake.waitFor('another sweep', () => calls('GET', '/app/installations').length > seen + 1, 10_000);
      expect(fake.checkRuns.filter((r) => r.id !== 1).map((r) => [r.id, r.status])).toEqual([
        [2, 'in_progress'],
        [3, 'in_progress'],
      ]);
      expectCleanTraffic();
    });
  });

  describe('permissions', () => {
    const replies = () => fake.issueComments.filter((c) => c.user === 'drillbot[bot]' && !c.body.includes('<!-- drillbot:summary -->'));

    async function reviewed(): Promise<FakeCheckRun> {
      const sha = await openAndReview();
      repo.permissions.set('rita', 'read');
      repo.permissions.set('maria', 'write');
      return expectOneCompletedRun(sha);
    }

    function checkRunEvent(action: 'rerequested' | 'requested_action', run: FakeCheckRun, login: string): Json {
      const payload = exampleOf('check_run', action) as Json;
      payload.repository = pullRequestEvent(fake, repo, 7).repository;
      payload.installation = { id: INSTALLATION };
      Object.assign(payload.check_run, { id: run.id, name: 'Drillbot', head_sha: run.head_sha, external_id: run.external_id, pull_requests: [] });
      if (action === 'requested_action') payload.requested_action = { identifier: 'rerun' };
      payload.sender = { ...payload.sender, login };
      return payload;
    }

    function checkSuiteEvent(run: FakeCheckRun, login: string): Json {
      const payload = exampleOf('check_suite', 'rerequested') as Json;
      payload.repository = pullRequestEvent(fake, repo, 7).repository;
      payload.installation = { id: INSTALLATION };
      Object.assign(payload.check_suite, {
        head_sha: run.head_sha,
        pull_requests: [
          {
            number: 7,
            id: 1,
            url: '',
            head: { ref: 'idx', sha: run.head_sha, repo: { id: repo.id, url: '', name: repo.name } },
            base: { ref: 'main', sha: run.head_sha, repo: { id: repo.id, url: '', name: repo.name } },
          },
        ],
      });
      payload.sender = { ...payload.sender, login, type: 'User' };
      return payload;
    }

    it('starts nothing for a read-only user: check run rerequested, Re-run button, check suite rerequested; each says why', async () => {
      await setUp();
      const run = await reviewed();
      const before = fake.sequence;
      await receive('check_run', checkRunEvent('rerequested', run, 'rita'));
      await receive('check_run', checkRunEvent('requested_action', run, 'rita'));
      await receive('check_suite', checkSuiteEvent(run, 'rita'));
      expect(drills).toBe(1);
      expect(fake.checkRuns.filter((r) => r.updated_seq > before)).toEqual([]);
      expect(replies().map((c) => c.body)).toEqual(Array(3).fill('@rita: Re-run needs write access to this repository, so nothing was done.'));
      expectCleanTraffic();
    });

    it('re-runs for a writer on check run rerequested, updating the same run', async () => {
      await setUp();
      const run = await reviewed();
      await receive('check_run', checkRunEvent('rerequested', run, 'maria'));
      expect(drills).toBe(2);
      expectOneCompletedRun(run.head_sha);
      expect(replies()).toEqual([]);
      expectCleanTraffic();
    });
  });
});

/** A Drillbot run already on the fake, as an earlier process left it (in progress unless told otherwise). */
function seededRun(id: number, headSha: string, over: Partial<FakeCheckRun> = {}): FakeCheckRun {
  return {
    id,
    name: 'Drillbot',
    head_sha: headSha,
    status: 'in_progress',
    conclusion: null,
    started_at: null,
    completed_at: null,
    external_id: '7',
    details_url: null,
    output: { title: null, summary: null, text: null },
    annotations: [],
    actions: [],
    history: [],
    created_seq: 0,
    updated_seq: 0,
    ...over,
  };
}
