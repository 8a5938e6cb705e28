import { spawnSync } from 'node:child_process';
import { AppProcess, appProcessEnv, freePort } from '../support/app-process.js';
import { ROOT } from '../support/build.js';
import { FakeGitHub, type FakeCheckRun, type FakeRepo } from '../support/fake-github.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { deliver, issueCommentCreated, pullRequestEvent } from '../support/webhooks.js';
import { appKeyPair } from '../support/app-keys.js';

// The durable queue across real processes: app replicas (Probot's own server running the built
// app, as `npm start` does, with the fake engine of test/support/fake-engine-app.mjs) share one
// Redis and one fake GitHub. Replicas are killed with SIGKILL, so nothing is cleaned up on the way out.

const APP_ID = 31338;
const INSTALLATION_ID = 4712;
const SECRET = 'replica-webhook-secret';
const WRITER = 'dba-writer';
// A dead replica's locks expire after this; another replica takes its review over within about twice it.
const LOCK_MS = 1500;
const TIMEOUT = 60_000;

const keys = appKeyPair();
const prefix = uniquePrefix('replicas');
const apps: AppProcess[] = [];
let fake: FakeGitHub;
let repo: FakeRepo;
let nextPull = 1;

/** A replica whose fake drill takes `drillMs`. */
async function replica(name: string, drillMs: number): Promise<AppProcess> {
  const port = await freePort();
  const app = new AppProcess(
    name,
    port,
    {
      ...appProcessEnv({ appId: APP_ID, privateKey: keys.privateKey, secret: SECRET, gheHost: fake.host }, port, 'info'),
      LOG_FORMAT: 'json',
      DRILLBOT_REDIS_URL: TEST_REDIS_URL,
      DRILLBOT_REDIS_PREFIX: prefix,
      DRILLBOT_QUEUE_LOCK_MS: String(LOCK_MS),
      DRILLBOT_CONCURRENCY: '2',
      DRILLBOT_FAKE_ENGINE_MS: String(drillMs),
    },
    ['node', 'test/support/fake-engine-app.mjs'],
  );
  apps.push(app);
  await app.start();
  return app;
}

/** Opens a pull request that adds an index migration (the fake engine reports it). */
function openPull(): number {
  const number = nextPull++;
  fake.openPull(repo, {
    number,
    branch: `idx-${number}`,
    author: 'pr-author',
    changes: {
      [`db/migrations/00000${2}_idx_${number}.up.sql`]: 'CREATE INDEX users_email_idx ON users (email);\n',
      [`db/migrations/00000${2}_idx_${number}.down.sql`]: 'DROP INDEX users_email_idx;\n',
    },
  });
  return number;
}

const headOf = (number: number) => repo.pulls.get(number)!.head.sha;
const runsOf = (number: number): FakeCheckRun[] => fake.checkRunsFor(headOf(number), 'Drillbot');
const concluded = (number: number) => runsOf(number).find((r) => r.status === 'completed');
/** Replicas whose log says they started reviewing the pull request. */
const reviewersOf = (number: number) =>
  apps.filter((a) => a.output.split('\n').some((l) => l.includes('review started') && l.includes(`${repo.fullName}#${number}"`)));

async function until<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = TIMEOUT): Promise<T> {
  try {
    return await fake.waitFor(what, probe, timeoutMs);
  } catch (error) {
    const outputs = apps.map((a) => `--- ${a.name} ---\n${a.tail(30)}`).join('\n');
    throw new Error(`${(error as Error).message}\n--- requests ---\n${fake.transcript().split('\n').slice(-40).join('\n')}\n${outputs}`, { cause: error });
  }
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

beforeAll(async () => {
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
  fake = new FakeGitHub({ appId: APP_ID, publicKey: keys.publicKey, installationId: INSTALLATION_ID });
  await fake.start();
  repo = fake.addRepo('octo-org/replicated', {
    'db/migrations/000001_users.up.sql': 'CREATE TABLE users (\n  id bigint PRIMARY KEY,\n  email text NOT NULL\n);\n',
    'db/migrations/000001_users.down.sql': 'DROP TABLE users;\n',
  });
  repo.permissions.set(WRITER, 'write');
}, 120_000);

afterEach(async () => {
  // A replica still publishing would leave its job behind for the next test's replicas.
  await fake.waitForIdle(1_500, 30_000);
  await Promise.all(apps.map((a) => a.kill()));
  apps.length = 0;
});

afterAll(async () => {
  await fake?.stop();
  await dropPrefix(prefix);
});

describe('durable queue across replicas', () => {
  it('finishes on the other replica the review of a replica killed mid-drill', async () => {
    const a = await replica('replica A', 4_000);
    const b = await replica('replica B', 4_000);
    const number = openPull();
    const res = await deliver(a.url, SECRET, 'pull_request', pullRequestEvent(fake, repo, number, 'opened'));
    expect(res.status).toBeLessThan(300);

    const [first] = await until('a replica to start drilling', () =>
      reviewersOf(number).length === 1 && runsOf(number)[0]?.output.summary?.includes('Drilling') ? reviewersOf(number) : undefined,
    );
    await first.kill();
    const survivor = first === a ? b : a;

    const run = await until('the check run to conclude', () => concluded(number));
    expect(run.conclusion).toBe('failure');
    expect(run.annotations).toEqual([expect.objectContaining({ start_line: 1, annotation_level: 'failure' })]);
    expect(runsOf(number)).toHaveLength(1);
    expect(
      reviewersOf(number)
        .map((r) => r.name)
        .sort(),
    ).toEqual([first.name, survivor.name].sort());
    expect(fake.violations()).toEqual([]);
    expect(fake.unhandled()).toEqual([]);
  }, 120_000);

  it('applies after a restart an acknowledgement answered with 👀 before a crash', async () => {
    const before = await replica('replica before the crash', 60_000);
    const number = openPull();
    await deliver(before.url, SECRET, 'pull_request', pullRequestEvent(fake, repo, number, 'opened'));
    await until('the drill to start', () => runsOf(number)[0]?.output.summary?.includes('Drilling'));
    const comment = fake.addUserComment(repo, number, WRITER, '/drillbot ack blocking-index users is small; built off-peak');
    await deliver(before.url, SECRET, 'issue_comment', issueCommentCreated(fake, repo, comment));
    await until('the eyes reaction', () => fake.reactions.find((r) => r.comment_id === comment.id && r.content === 'eyes'));
    await until('the ack to be stored', () => before.output.includes('acknowledgement received'));
    await before.kill();
    expect(runsOf(number)[0].status).not.toBe('completed');

    await replica('replica after the restart', 200);
    const run = await until('a successful check run', () => runsOf(number).find((r) => r.status === 'completed' && r.conclusion === 'success'));
    expect(run.output.summary).toContain(`acknowledged by @${WRITER}`);
    expect(run.output.summary).toContain('users is small; built off-peak');
    await fake.waitForIdle(1_000);
    const sticky = fake.issueComments.filter((c) => c.issue === number && c.body.includes('<!-- drillbot:summary -->'));
    expect(sticky).toHaveLength(1);
    expect(sticky[0].body).toContain(`"by":"@${WRITER}"`);
    expect(runsOf(number)).toHaveLength(1);
    expect(fake.violations()).toEqual([]);
  }, 120_000);

  it('concludes 20 pull requests over two replicas while one is killed mid-way', async () => {
    const replicas = [await replica('load replica A', 1_500), await replica('load replica B', 1_500)];
    const numbers = Array.from({ length: 20 }, () => openPull());
    const sent = new Map<number, number>();
    const concludedAt = new Map<number, number>();
    const watcher = setInterval(() => {
      for (const n of numbers) if (!concludedAt.has(n) && concluded(n)) concludedAt.set(n, performance.now());
    }, 25);
    try {
      const responses = await Promise.all(
        numbers.map(async (n, i) => {
          sent.set(n, performance.now());
          const res = await deliver(replicas[i % 2].url, SECRET, 'pull_request', pullRequestEvent(fake, repo, n, 'opened'));
          expect(res.status).toBeLessThan(300);
          return performance.now() - sent.get(n)!;
        }),
      );
      await until('a quarter of the pull requests to conclude', () => concludedAt.size >= 5);
      const killed = replicas[0];
      // Killed only once its log has shown a review it has not concluded: a replica between two jobs,
      // or one whose last log line is still in its pipe, would leave nothing to take over.
      await until('replica A to hold an unfinished review', () => numbers.some((n) => !concluded(n) && reviewersOf(n).includes(killed)));
      await killed.kill();
      const concludedBeforeKill = concludedAt.size;
      await until('all 20 pull requests to conclude', () => concludedAt.size === numbers.length, 120_000);

      const toConclusion = numbers.map((n) => concludedAt.get(n)! - sent.get(n)!);
      // As the replicas measured them (Probot's request log): the client's figure also holds this
      // process's event-loop lag, since the fake GitHub validating every request runs here too.
      const served = replicas.flatMap((r) => [...r.output.matchAll(/POST \/api\/github\/webhooks 2\d\d - (\d+)ms/g)].map((m) => Number(m[1])));
      expect(served).toHaveLength(numbers.length);
      console.log(
        `durable queue load run: 20 pull requests, 2 replicas (concurrency 2 each, fake drill 1.5 s), replica A killed after ${concludedBeforeKill} concluded; ` +
          `time to conclusion p50 ${Math.round(percentile(toConclusion, 50))} ms, p95 ${Math.round(percentile(toConclusion, 95))} ms, max ${Math.round(Math.max(...toConclusion))} ms; ` +
          `webhook response seen by the sender p50 ${Math.round(percentile(responses, 50))} ms, p99 ${Math.round(percentile(responses, 99))} ms; ` +
          `in the replicas p50 ${percentile(served, 50)} ms, p99 ${percentile(served, 99)} ms`,
      );
      for (const n of numbers) {
        expect(runsOf(n)).toHaveLength(1);
        expect(runsOf(n)[0]).toMatchObject({ status: 'completed', conclusion: 'failure' });
      }
      // The killed replica had reviews in hand; the survivor took them over.
      expect(numbers.filter((n) => reviewersOf(n).includes(killed) && reviewersOf(n).includes(replicas[1])).length).toBeGreaterThan(0);
      expect(fake.violations()).toEqual([]);
    } finally {
      clearInterval(watcher);
    }
  }, 180_000);
});
