import { Probot, ProbotOctokit } from 'probot';
import { createApp } from '../../src/app/index.js';
import { defaultEngine, queueDeps, ReportCache, type AppDeps, type Engine } from '../../src/app/deps.js';
import { MemoryAckStore } from '../../src/app/acks.js';
import { WRITE_RETRY } from '../../src/app/github/octokit.js';
import { RedisAckStore, RedisConnection, RedisTaskQueue } from '../../src/app/redis-queue.js';
import { InProcessTaskQueue } from '../../src/app/queue.js';
import { LOCAL_URL } from '../support/drill.js';
import { buildReport, type Finding, type Report } from '../../src/core/index.js';
import { FakeGitHub, type FakeRepo } from '../support/fake-github.js';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { issueCommentCreated, pullRequestEvent, exampleOf, type Json } from '../support/webhooks.js';
import { appKeyPair } from '../support/app-keys.js';

/**
 * Handler tests: real payloads from @octokit/webhooks-examples, GitHub faked at the HTTP
 * boundary (the shared fake validates every request against @octokit/openapi), the engine faked.
 */

const APP_ID = 4242;
const INSTALLATION = 77;
const { privateKey, publicKey } = appKeyPair();

const BASE = {
  'db/migrations/001_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text);\n',
  'db/migrations/001_users.down.sql': 'DROP TABLE users;\n',
  'README.md': '# app\n',
};
const UNSAFE = {
  'db/migrations/002_email_idx.up.sql': '-- index for lookups\nCREATE INDEX users_email_idx ON users (email);\n',
  'db/migrations/002_email_idx.down.sql': 'DROP INDEX users_email_idx;\n',
};

const indexFinding: Finding = {
  rule: 'require-concurrent-index',
  hazard: 'blocking-index',
  severity: 'error',
  path: 'db/migrations/002_email_idx.up.sql',
  line: 2,
  message: 'CREATE INDEX on "users" blocks writes to it until the build finishes.',
  fix: 'CREATE INDEX CONCURRENTLY users_email_idx ON users (email);',
  fixReplacesLines: true,
  source: 'rule',
  evidence: 'ShareLock on public.users',
};

function fakeEngine(result: (calls: number) => Report | Promise<Report>) {
  let calls = 0;
  const inputs: Array<Parameters<Engine['review']>[0]> = [];
  const engine: Engine & { calls: () => number; inputs: typeof inputs } = {
    review: async (input) => {
      inputs.push(input);
      return result(++calls);
    },
    calls: () => calls,
    inputs,
  };
  return engine;
}

const unsafeReport = (): Report =>
  buildReport(
    [indexFinding],
    [
      {
        path: 'db/migrations/002_email_idx.up.sql',
        version: '002',
        direction: 'forward',
        status: 'applied',
        durationMs: 12,
        locks: [{ relation: 'public.users', mode: 'ShareLock', existing: true }],
        rewrites: [],
        statements: [],
      },
      {
        path: 'db/migrations/002_email_idx.down.sql',
        version: '002',
        direction: 'reverse',
        status: 'applied',
        durationMs: 3,
        locks: [],
        rewrites: [],
        statements: [],
      },
      {
        path: 'db/migrations/002_email_idx.up.sql',
        version: '002',
        direction: 'redo',
        status: 'applied',
        durationMs: 11,
        locks: [],
        rewrites: [],
        statements: [],
      },
    ],
    {
      provider: 'embedded',
      serverVersion: '18.1',
      layout: 'golang-migrate',
      baseMigrations: 1,
      historyPrivileges: 'owner',
      newMigrations: 1,
      templateCache: 'miss',
      seededRows: 100,
      seededTables: 1,
      seeding: [{ table: 'public.t', rows: 100 }],
      roundTrip: 'restored',
      durationMs: 900,
    },
  );

describe('Drillbot app handlers', () => {
  let fake: FakeGitHub;
  let repo: FakeRepo;
  let probot: Probot;
  let deps: AppDeps;
  let engine: ReturnType<typeof fakeEngine>;

  async function setUp(
    result: (calls: number) => Report | Promise<Report>,
    base: Record<string, string> = BASE,
    before: (f: FakeGitHub, r: FakeRepo) => void = () => undefined,
    overrides: Partial<AppDeps> = {},
  ) {
    fake = new FakeGitHub({ appId: APP_ID, publicKey, installationId: INSTALLATION });
    await fake.start();
    repo = fake.addRepo('acme/shop', base);
    before(fake, repo);
    engine = fakeEngine(result);
    deps = {
      engine,
      queue: new InProcessTaskQueue(2),
      appId: APP_ID,
      now: () => new Date('2026-01-02T03:04:05Z'),
      reports: new ReportCache(),
      docsDir: new URL('../../docs/rules/', import.meta.url),
      pendingAcks: new MemoryAckStore(),
      sweep: null,
      activeChecks: new Set(),
      retry: WRITE_RETRY,
      summaryComment: 'always',
      ...overrides,
    };
    probot = new Probot({
      appId: APP_ID,
      privateKey,
      baseUrl: fake.baseUrl,
      Octokit: ProbotOctokit.defaults((o: object) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })),
      log: (await import('pino')).pino({ level: 'silent' }) as never,
    });
    await probot.load(createApp(deps));
    await deps.queue.idle();
  }

  let redisPrefix: string | undefined;
  let openGates: Array<() => void> = [];

  /** A gate for the fake engine, opened after the test at the latest (a failed test must not leave the queue hanging). */
  function gated() {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    openGates.push(release);
    return { gate, release };
  }

  /** The app on `kind` of queue, its first drill held until the returned release is called; later drills run at once. */
  async function setUpHoldingFirstDrill(kind: 'in-process' | 'redis'): Promise<() => void> {
    const { gate, release } = gated();
    await setUp(
      async (calls) => {
        if (calls === 1) await gate;
        return unsafeReport();
      },
      BASE,
      () => undefined,
      queueOf(kind),
    );
    return release;
  }

  afterEach(async () => {
    for (const open of openGates) open();
    openGates = [];
    await deps?.queue.idle();
    await deps?.queue.close();
    // A real engine keeps ready clones of the templates it drilled: they go with it.
    await deps?.engine.close?.();
    await fake?.stop();
    if (redisPrefix) await dropPrefix(redisPrefix);
    redisPrefix = undefined;
  });

  /** The queue and ack store of a kind; Redis ones get a key prefix of their own. */
  function queueOf(kind: 'in-process' | 'redis'): Partial<AppDeps> {
    if (kind === 'in-process') return queueDeps({});
    redisPrefix = uniquePrefix('handlers');
    return { ...queueDeps({ DRILLBOT_REDIS_URL: TEST_REDIS_URL, DRILLBOT_REDIS_PREFIX: redisPrefix, DRILLBOT_QUEUE_LOCK_MS: '1500' }) };
  }

  const receive = async (name: string, payload: object) => {
    await probot.receive({ id: `${Math.random()}`, name, payload } as never);
    await deps.queue.idle();
  };

  function expectCleanTraffic() {
    expect(fake.violations()).toEqual([]);
    expect(fake.unhandled()).toEqual([]);
  }

  describe('onPullRequest', () => {
    it('fails the check on an unsafe migration, with annotation, summary table, inline suggestion and sticky comment', async () => {
      await setUp(() => unsafeReport());
      const pull = fake.openPull(repo, { number: 7, branch: 'idx', changes: UNSAFE, author: 'alice' });
      await receive('pull_request', pullRequestEvent(fake, repo, 7, 'opened'));

      expect(engine.calls()).toBe(1);
      const [run] = fake.checkRunsFor(pull.head.sha, 'Drillbot');
      expect(run.status).toBe('completed');
      expect(run.conclusion).toBe('failure');
      expect(run.history[0]).toMatchObject({ status: 'in_progress' });
      expect(run.annotations).toEqual([expect.objectContaining({ path: 'db/migrations/002_email_idx.up.sql', start_line: 2, annotation_level: 'failure' })]);
      expect(run.output.summary).toContain('| migration | forward | reverse |');
      expect(run.output.summary).toContain('public.users Share');
      expect(run.actions.map((a) => a.identifier)).toEqual(['rerun']);

      expect(fake.reviews).toHaveLength(1);
      expect(fake.reviews[0]).toMatchObject({ state: 'COMMENTED', commit_id: pull.head.sha });
      expect(fake.reviewComments).toHaveLength(1);
      expect(fake.reviewComments[0]).toMatchObject({ path: 'db/migrations/002_email_idx.up.sql', line: 2 });
      expect(fake.reviewComments[0].body).toContain('```suggestion\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n```');

      const sticky = fake.issueComments.filter((c) => c.body.includes('<!-- drillbot:summary -->'));
      expect(sticky).toHaveLength(1);
      expectCleanTraffic();
    });

    it('updates the same check run, review comments and sticky comment on a duplicate delivery', async () => {
      await setUp(() => unsafeReport());
      const pull = fake.openPull(repo, { number: 7, branch: 'idx', changes: UNSAFE, author: 'alice' });
      const payload = pullRequestEvent(fake, repo, 7, 'opened');
      await receive('pull_request', payload);
      await receive('pull_request', payload);
      expect(fake.checkRunsFor(pull.head.sha, 'Drillbot')).toHaveLength(1);
      expect(fake.checkRunsFor(pull.head.sha, 'Drillbot')[0].annotations).toHaveLength(1);
      expect(fake.reviewComments).toHaveLength(1);
      expect(fake.issueComments.filter((c) => c.body.includes('<!-- drillbot:summary -->'))).toHaveLength(1);
      expectCleanTraffic();
    });

    it('sends more than 50 annotations in batches of 50 and keeps the summary within the limit', async () => {
      const many = Array.from({ length: 120 }, (_, i) => ({
        ...indexFinding,
        line: 1 + (i % 2),
        hazard: (['blocking-index', 'lock-timeout', 'rewrite'] as const)[i % 3],
        path: `db/migrations/002_email_idx.up.sql`,
        message: `finding ${i} ${'x'.repeat(600)}`,
      }));
      await setUp(() => ({ ...unsafeReport(), findings: many }));
      const pull = fake.openPull(repo, { number: 7, branch: 'idx', changes: UNSAFE, author: 'alice' });
      await receive('pull_request', pullRequestEvent(fake, repo, 7, 'opened'));
      const [run] = fake.checkRunsFor(pull.head.sha, 'Drillbot');
      expect(run.annotations).toHaveLength(120);
      const patches = fake.log.filter((r) => r.method === 'PATCH' && r.path.endsWith(`/check-runs/${run.id}`));
      expect(patches.map((r) => ((r.body as { output?: { annotations?: unknown[] } }).output?.annotations ?? []).length)).toEqual([0, 50, 50, 20]);
      expect(fake.reviewComments.length).toBeLessThanOrEqual(50);
      expectCleanTraffic();
    });

    it('supersedes the running review of a pull request on a new push and retires its check run', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      await setUp(async (calls) => {
        if (calls === 1) await gate;
        return unsafeReport();
      });
      const firstSha = fake.openPull(repo, { number: 7, branch: 'idx', changes: UNSAFE, author: 'alice' }).head.sha;
      await probot.receive({ id: '1', name: 'pull_request', payload: pullRequestEvent(fake, repo, 7, 'opened') } as never);
      await fake.waitFor('the first drill to start', () => engine.calls() === 1);
      const pull = repo.pulls.get(7)!;
      const second = repo.commit({ 'db/migrations/002_email_idx.down.sql': 'DROP INDEX IF EXISTS users_email_idx;\n' }, { parent: firstSha, branch: 'idx' });
      pull.head.sha = second;
      await probot.receive({ id: '2', name: 'pull_request', payload: pullRequestEvent(fake, repo, 7, 'synchronize') } as never);
      // The newer review supersedes once the API confirmed that its head is the current one.
      await fake.waitFor('the first drill to be superseded', () => engine.inputs[0].signal?.aborted);
      release();
      await deps.queue.idle();
      expect(fake.checkRunsFor(firstSha, 'Drillbot')[0]).toMatchObject({ status: 'completed', conclusion: 'cancelled' });
      expect(fake.checkRunsFor(second, 'Drillbot')[0]).toMatchObject({ status: 'completed', conclusion: 'failure' });
      expect(fake.reviews.map((r) => r.commit_id)).toEqual([second]);
      expectCleanTraffic();
    });

    it('writes no summary comment in acks-only mode until there is an acknowledgement to store', async () => {
      await setUp(
        () => unsafeReport(),
        BASE,
        () => undefined,
        { summaryComment: 'acks-only' },
      );
      fake.openPull(repo, { number: 7, branch: 'idx', changes: UNSAFE, author: 'alice' });
      repo.permissions.set('maria', 'write');
      await receive('pull_request', pullRequestEvent(fake, repo, 7, 'opened'));
      expect(fake.issueComments).toHaveLength(0);
      const comment = fake.addUserComment(repo, 7, 'maria', '/drillbot ack blocking-index reviewed');
      await receive('issue_comment', issueCommentCreated(fake, repo, comment));
      expect(fake.issueComments.filter((c) => c.body.includes('<!-- drillbot:summary -->'))).toHaveLength(1);
      expectCleanTraffic();
    });

    it('completes the check as neutral without drilling when no migration changed', async () => {
      await setUp(() => unsafeReport());
      const pull = fake.openPull(repo, { number: 8, branch: 'docs', changes: { 'README.md': '# app\n\nMore.\n' }, author: 'alice' });
      await receive('pull_request', pullRequestEvent(fake, repo, 8, 'opened'));
      expect(engine.calls()).toBe(0);
      const [run] = fake.checkRunsFor(pull.head.sha, 'Drillbot');
      expect(run).toMatchObject({ status: 'completed', conclusion: 'neutral' });
      expect(run.output.summary).toBe('No migration changed in this pull request.');
      expect(fake.reviews).toHaveLength(0);
      expectCleanTraffic();
    });

    it('fails the check, naming the file, when the pull request adds SQL that no recognised layout covers', async () => {
      await setUp(() => unsafeReport());
      const path = 'db/migrate/20240101000000_drop_email.sql';
      const pull = fake.openPull(repo, { number: 10, branch: 'supabase', changes: { [path]: 'ALTER TABLE users DROP COLUMN email;\n' }, author: 'alice' });
      await receive('pull_request', pullRequestEvent(fake, repo, 10, 'opened'));
      expect(engine.calls()).toBe(0);
      const [run] = fake.checkRunsFor(pull.head.sha, 'Drillbot');
      expect(run).toMatchObject({ status: 'completed', conclusion: 'failure' });
      expect(run.output.summary).toContain('**Infra:**');
      expect(run.output.summary).toContain(path);
      expect(run.actions).toEqual([expect.objectContaining({ identifier: 'rerun' })]);
      expectCleanTraffic();
    });

    it('fails closed with an infra summary and a Re-run button when the engine throws', async () => {
      await setUp(() => {
        throw new Error('could not start the shadow PostgreSQL');
      });
      const pull = fake.openPull(repo, { number: 9, branch: 'idx', changes: UNSAFE, author: 'alice' });
      await receive('pull_request', pullRequestEvent(fake, repo, 9, 'opened'));
      const [run] = fake.checkRunsFor(pull.head.sha, 'Drillbot');
      expect(run).toMatchObject({ status: 'completed', conclusion: 'failure' });
      expect(run.output.summary).toContain('**Infra:**');
      expect(run.output.summary).toContain('could not start the shadow PostgreSQL');
      expect(run.actions).toEqual([expect.objectContaining({ identifier: 'rerun' })]);
      expectCleanTraffic();
    });

    it('fails the check with the line of an invalid .github/drillbot.yml on the default branch', async () => {
      await setUp(() => unsafeReport(), { ...BASE, '.github/drillbot.yml': 'shadow:\n  seedRows: 10\n  colour: blue\n' });
      const pull = fake.openPull(repo, { number: 10, branch: 'idx', changes: UNSAFE, author: 'alice' });
      await receive('pull_request', pullRequestEvent(fake, repo, 10, 'opened'));
      const [run] = fake.checkRunsFor(pull.head.sha, 'Drillbot');
      expect(run).toMatchObject({ status: 'completed', conclusion: 'failure' });
      expect(run.output.title).toBe('Invalid .github/drillbot.yml');
      expect(run.output.summary).toContain('.github/drillbot.yml:3');
      expect(engine.calls()).toBe(0);
      expectCleanTraffic();
    });
  });

  describe('configuration', () => {
    it('reads the configuration and the production table sizes from the default branch, and the ChangeSet from the API', async () => {
      const sizes = JSON.stringify({ generatedAt: 'x', serverVersion: '16', tables: { 'public.users': { rows: 12, bytes: 8192 } } });
      await setUp(() => unsafeReport(), {
        ...BASE,
        '.github/drillbot.yml': 'shadow:\n  seedRows: 7\ntableSizes: .github/sizes.json\n',
        '.github/sizes.json': sizes,
      });
      fake.openPull(repo, { number: 7, branch: 'idx', changes: { ...UNSAFE, '.github/drillbot.yml': 'shadow:\n  seedRows: 0\n' }, author: 'alice' });
      await receive('pull_request', pullRequestEvent(fake, repo, 7, 'opened'));
      const [input] = engine.inputs;
      expect(input.config.shadow.seedRows).toBe(7);
      expect(input.tableSizes?.get('public.users')).toEqual({ rows: 12, bytes: 8192 });
      expect(input.changeSet.base.files.map((f) => f.path)).toEqual(['db/migrations/001_users.down.sql', 'db/migrations/001_users.up.sql']);
      expect(input.changeSet.head.files.map((f) => f.path)).toEqual([
        'db/migrations/001_users.down.sql',
        'db/migrations/001_users.up.sql',
        'db/migrations/002_email_idx.down.sql',
        'db/migrations/002_email_idx.up.sql',
      ]);
      expect(input.changeSet.head.files[3].content).toBe(UNSAFE['db/migrations/002_email_idx.up.sql']);
      expectCleanTraffic();
    });
  });

  describe('files the drill cannot take as they are (real engine on the local PostgreSQL)', () => {
    const realEngine = () => ({ engine: defaultEngine({ DRILLBOT_DATABASE_URL: LOCAL_URL }) });
    const reviewPull = async (changes: Record<string, string | Uint8Array>, base: Record<string, string> = BASE) => {
      await setUp(
        () => unsafeReport(),
        base,
        () => undefined,
        realEngine(),
      );
      const pull = fake.openPull(repo, { number: 11, branch: 'change', changes, author: 'mallory' });
      await receive('pull_request', pullRequestEvent(fake, repo, 11, 'opened'));
      const [run] = fake.checkRunsFor(pull.head.sha, 'Drillbot');
      return run;
    };

    it('fails the check on a migration over migrations.maxFileSize (a DROP TABLE padded with comments), never fetching its blob', async () => {
      const padded = `DROP TABLE users;\n${'-- padding\n'.repeat(400)}`;
      const run = await reviewPull(
        { 'db/migrations/002_drop.up.sql': padded, 'db/migrations/002_drop.down.sql': 'SELECT 1;\n' },
        { ...BASE, '.github/drillbot.yml': 'migrations:\n  maxFileSize: 4KiB\n' },
      );
      expect(run).toMatchObject({
        status: 'completed',
        conclusion: 'failure',
        output: expect.objectContaining({ title: 'Drillbot could not complete the review (infra)' }),
      });
      expect(run.output.summary).toContain('over the limit of 4 KiB (migrations.maxFileSize)');
      expect(run.output.summary).toContain('The drill did not run on `db/migrations`.');
      expect(run.output.summary).not.toContain('No new migration');
      expect(run.annotations).toEqual([expect.objectContaining({ path: 'db/migrations/002_drop.up.sql', annotation_level: 'failure' })]);
      const blobsRead = fake.log.filter((r) => r.path.includes('/git/blobs/')).length;
      expect(blobsRead).toBe(3); // the base pair and the small down, not the padded up
      expectCleanTraffic();
    });

    it('reports code of the head that still reads a dropped column, and ends the summary with the rollout plan', async () => {
      const run = await reviewPull(
        {
          'db/migrations/002_drop_email.up.sql': "SET lock_timeout = '2s';\nALTER TABLE users DROP COLUMN email;\n",
          'db/migrations/002_drop_email.down.sql': 'ALTER TABLE users ADD COLUMN email text;\n',
        },
        { ...BASE, 'src/queries/users.sql': '-- by id\nSELECT id, email FROM users WHERE id = $1;\n', 'src/notes.ts': "const email = 'email';\n" },
      );
      expect(run).toMatchObject({ status: 'completed', conclusion: 'failure' });
      expect(run.output.summary).toContain(
        "`breaking-change` at `db/migrations/002_drop_email.up.sql:2`: This drops users.email, which the head's code still names: src/queries/users.sql:2 (SQL).",
      );
      expect(run.output.summary).toMatch(
        /### Rollout plan\n\n.*\n\n1\. \*\*deploy before\*\* \(inferred\) `db\/migrations\/002_drop_email\.up\.sql:2`: Deploy code that no longer reads or writes users\.email/,
      );
      expect(run.output.summary).toMatch(/\n2\. \*\*migrate \(inside a transaction\)\*\* \(observed\)/);
      expect(run.output.summary).toContain("The head's code still names users.email (see its breaking-change finding): that code is not ready yet.");
    });

    it('fails the check on invalid UTF-8 with the error PostgreSQL gives, at its line', async () => {
      const run = await reviewPull({
        'db/migrations/002_city.up.sql': Buffer.from("ALTER TABLE users ADD COLUMN city text;\nUPDATE users SET city = 'Zürich';\n", 'latin1'),
        'db/migrations/002_city.down.sql': 'ALTER TABLE users DROP COLUMN city;\n',
      });
      expect(run).toMatchObject({ status: 'completed', conclusion: 'failure' });
      expect(run.annotations).toContainEqual(
        expect.objectContaining({
          path: 'db/migrations/002_city.up.sql',
          start_line: 2,
          message: expect.stringContaining('invalid byte sequence for encoding "UTF8": 0xfc (SQLSTATE 22021)'),
        }),
      );
      expectCleanTraffic();
    });
  });

  describe('migrations.path', () => {
    it('fails the check when the configured migrations directory does not exist', async () => {
      await setUp(() => unsafeReport(), { ...BASE, '.github/drillbot.yml': 'migrations:\n  path: sql/migrations\n' });
      const pull = fake.openPull(repo, { number: 7, branch: 'idx', changes: UNSAFE, author: 'alice' });
      await receive('pull_request', pullRequestEvent(fake, repo, 7, 'opened'));
      const [run] = fake.checkRunsFor(pull.head.sha, 'Drillbot');
      expect(run).toMatchObject({ conclusion: 'failure', output: expect.objectContaining({ title: 'Invalid .github/drillbot.yml' }) });
      expect(run.output.summary).toContain('migrations.path "sql/migrations" has no files');
      expectCleanTraffic();
    });

    it('says that code migrations (migrations.preset) are drilled by the CLI in CI, and drills nothing', async () => {
      await setUp(() => unsafeReport(), { ...BASE, '.github/drillbot.yml': 'migrations:\n  preset: knex\n' });
      const pull = fake.openPull(repo, {
        number: 7,
        branch: 'knex',
        changes: { 'migrations/20240201000000_index.js': 'exports.up = () => {};\n' },
        author: 'alice',
      });
      await receive('pull_request', pullRequestEvent(fake, repo, 7, 'opened'));
      expect(engine.calls()).toBe(0);
      const [run] = fake.checkRunsFor(pull.head.sha, 'Drillbot');
      expect(run).toMatchObject({ conclusion: 'neutral', output: expect.objectContaining({ title: 'Code migrations: drill them with the CLI in CI' }) });
      expect(run.output.summary).toContain('run by knex');
      expect(run.output.summary).toContain('npx drillbot check');
      expectCleanTraffic();
    });

    it('is neutral when the configured directory exists but the pull request does not touch it', async () => {
      await setUp(() => unsafeReport(), { ...BASE, '.github/drillbot.yml': 'migrations:\n  path: db/migrations\n' });
      const pull = fake.openPull(repo, { number: 7, branch: 'docs', changes: { 'other/x.sql': 'SELECT 1;\n' }, author: 'alice' });
      await receive('pull_request', pullRequestEvent(fake, repo, 7, 'opened'));
      expect(fake.checkRunsFor(pull.head.sha, 'Drillbot')[0]).toMatchObject({ conclusion: 'neutral' });
      expect(engine.calls()).toBe(0);
      expectCleanTraffic();
    });
  });

  describe('onIssueComment', () => {
    it('acknowledges a finding for a writer: 👀, ack stored in the sticky comment, check success without a second drill', async () => {
      await setUp(() => unsafeReport());
      const pull = fake.openPull(repo, { number: 7, branch: 'idx', changes: UNSAFE, author: 'alice' });
      repo.permissions.set('maria', 'maintain');
      await receive('pull_request', pullRequestEvent(fake, repo, 7, 'opened'));
      const comment = fake.addUserComment(repo, 7, 'maria', '/drillbot ack blocking-index users has 40 rows; built at night');
      await receive('issue_comment', issueCommentCreated(fake, repo, comment));

      expect(fake.reactions).toEqual([expect.objectContaining({ comment_id: comment.id, content: 'eyes' })]);
      expect(engine.calls()).toBe(1);
      const runs = fake.checkRunsFor(pull.head.sha, 'Drillbot');
      expect(runs).toHaveLength(1);
      expect(runs[0].conclusion).toBe('success');
      expect(runs[0].output.summary).toContain('acknowledged by @maria at 2026-01-02T03:04:05.000Z: users has 40 rows; built at night');
      const sticky = fake.issueComments.filter((c) => c.body.includes('<!-- drillbot:summary -->'));
      expect(sticky).toHaveLength(1);
      expect(sticky[0].body).toContain('"by":"@maria"');
      expect(sticky[0].body).toContain('"statements":[{"path":"db/migrations/002_email_idx.up.sql"');
      expectCleanTraffic();
    });

    it('refuses the ack of a read-only user with a short reply and changes nothing', async () => {
      await setUp(() => unsafeReport());
      const pull = fake.openPull(repo, { number: 7, branch: 'idx', changes: UNSAFE, author: 'alice' });
      repo.permissions.set('rita', 'read');
      await receive('pull_request', pullRequestEvent(fake, repo, 7, 'opened'));
      const before = fake.issueComments.find((c) => c.body.includes('<!-- drillbot:summary -->'))!.body;
      const comment = fake.addUserComment(repo, 7, 'rita', '/drillbot ack blocking-index trust me');
      await receive('issue_comment', issueCommentCreated(fake, repo, comment));

      expect(fake.checkRunsFor(pull.head.sha, 'Drillbot')[0].conclusion).toBe('failure');
      expect(fake.issueComments.find((c) => c.body.includes('<!-- drillbot:summary -->'))!.body).toBe(before);
      const replies = fake.issueComments.filter((c) => c.user === 'drillbot[bot]' && !c.body.includes('<!-- drillbot:summary -->'));
      expect(replies).toHaveLength(1);
      expect(replies[0].body).toContain('needs write access');
      expectCleanTraffic();
    });

    it('keeps an ack across a push while the statement is unchanged, and drops it for a changed statement', async () => {
      let version = 1;
      await setUp(() => {
        const r = unsafeReport();
        return version === 1
          ? r
          : buildReport(
              r.findings.map((f) => ({ ...f })),
              r.migrations,
              r.drill,
            );
      });
      const first = fake.openPull(repo, { number: 7, branch: 'idx', changes: UNSAFE, author: 'alice' });
      repo.permissions.set('maria', 'write');
      await receive('pull_request', pullRequestEvent(fake, repo, 7, 'opened'));
      const comment = fake.addUserComment(repo, 7, 'maria', '/drillbot ack require-concurrent-index small table');
      await receive('issue_comment', issueCommentCreated(fake, repo, comment));
      expect(fake.checkRunsFor(first.head.sha, 'Drillbot')[0].conclusion).toBe('success');

      // A push that edits only the down migration: the acknowledged statement is unchanged.
      version = 2;
      const pull = repo.pulls.get(7)!;
      const second = repo.commit(
        { 'db/migrations/002_email_idx.down.sql': 'DROP INDEX IF EXISTS users_email_idx;\n' },
        { parent: first.head.sha, branch: 'idx' },
      );
      pull.head.sha = second;
      await receive('pull_request', pullRequestEvent(fake, repo, 7, 'synchronize'));
      expect(fake.checkRunsFor(second, 'Drillbot')[0].conclusion).toBe('success');

      // A push that rewrites the statement: the ack no longer applies.
      const third = repo.commit(
        { 'db/migrations/002_email_idx.up.sql': '-- index for lookups\nCREATE INDEX users_email_idx ON users (lower(email));\n' },
        { parent: second, branch: 'idx' },
      );
      pull.head.sha = third;
      await receive('pull_request', pullRequestEvent(fake, repo, 7, 'synchronize'));
      expect(fake.checkRunsFor(third, 'Drillbot')[0].conclusion).toBe('failure');
      expectCleanTraffic();
    });

    it('answers help and explain for anyone, ignores bots and comments without a command', async () => {
      await setUp(() => unsafeReport());
      fake.openPull(repo, { number: 7, branch: 'idx', changes: UNSAFE, author: 'alice' });
      const explainComment = fake.addUserComment(repo, 7, 'rita', '/drillbot explain require-concurrent-index');
      await receive('issue_comment', issueCommentCreated(fake, repo, explainComment));
      const chatter = fake.addUserComment(repo, 7, 'rita', 'looks good to me');
      await receive('issue_comment', issueCommentCreated(fake, repo, chatter));
      const bot = fake.addUserComment(repo, 7, 'other-bot[bot]', '/drillbot run');
      await receive('issue_comment', issueCommentCreated(fake, repo, bot));

      const replies = fake.issueComments.filter((c) => c.user === 'drillbot[bot]');
      expect(replies).toHaveLength(1);
      expect(replies[0].body).toContain('**Rule `require-concurrent-index`** (hazard `blocking-index`)');
      expect(replies[0].body).toContain('SHARE');
      expect(engine.calls()).toBe(0);
      expect(fake.reactions).toHaveLength(1);
      expectCleanTraffic();
    });
  });

  describe('reverse drafts', () => {
    const ADD_NICK = { 'db/migrations/003_add_nick.up.sql': 'ALTER TABLE users ADD COLUMN nick text;\n' };
    const draft = {
      version: '003',
      name: 'add_nick',
      forwardPath: 'db/migrations/003_add_nick.up.sql',
      path: 'db/migrations/003_add_nick.down.sql',
      placement: 'new-file' as const,
      drafter: 'deterministic' as const,
      sql: 'ALTER TABLE users DROP COLUMN nick;\n',
      status: 'proven' as const,
      proof: { serverVersion: '18.1', reverse: 'applied' as const, roundTrip: 'restored' as const, redo: 'applied' as const, problems: [] },
    };
    const draftReport = (): Report =>
      buildReport(
        [
          {
            rule: 'layout/missing-reverse',
            hazard: 'missing-reverse',
            severity: 'error',
            source: 'layout',
            path: draft.forwardPath,
            line: 1,
            message: 'This migration has no reverse: a failed deploy cannot be rolled back.',
            fix: `Add this reverse as ${draft.path}, drafted by Drillbot:\n${draft.sql}`,
          },
        ],
        [],
        null,
        {
          checklist: [
            {
              id: 'reverse-present',
              direction: 'reverse',
              question: 'Does every forward migration have a reverse?',
              status: 'fail',
              evidence: 'missing-reverse at db/migrations/003_add_nick.up.sql:1',
              source: 'rule',
            },
          ],
          reverseDrafts: [draft],
          reverseNotDrafted: [],
          reviewer: {
            status: 'answered',
            model: 'qwen2.5-coder',
            tokens: { prompt: 900, completion: 100, total: 1000 },
            cached: false,
            summarisedStatements: 0,
          },
        },
      );
    const replies = () => fake.issueComments.filter((c) => c.user === 'drillbot[bot]' && !c.body.includes('<!-- drillbot:summary -->'));

    it('shows the checklist and the proven draft in the summary, offers the Draft reverse button, and comments the draft as a file to create', async () => {
      await setUp(() => draftReport());
      const pull = fake.openPull(repo, { number: 11, branch: 'nick', changes: ADD_NICK, author: 'alice' });
      await receive('pull_request', pullRequestEvent(fake, repo, 11, 'opened'));
      const [run] = fake.checkRunsFor(pull.head.sha, 'Drillbot');
      expect(run.output.summary).toContain('### Checklist');
      expect(run.output.summary).toContain('**fail** `reverse-present` (reverse, source: rule)');
      expect(run.output.summary).toContain('### Drafted reverses');
      expect(run.output.summary).toContain('```sql\nALTER TABLE users DROP COLUMN nick;\n```');
      expect(run.output.summary).toContain('Reviewer: model `qwen2.5-coder` answered, 1000 tokens');
      expect(run.actions.map((a) => a.identifier)).toEqual(['rerun', 'reverse']);
      expect(fake.reviewComments).toHaveLength(1);
      expect(fake.reviewComments[0]).toMatchObject({ path: draft.forwardPath, line: 1 });
      expect(fake.reviewComments[0].body).toContain('Create `db/migrations/003_add_nick.down.sql` with:\n\n```sql\nALTER TABLE users DROP COLUMN nick;\n```');
      expect(fake.reviewComments[0].body).not.toContain('```suggestion');
      expectCleanTraffic();
    });

    it('answers /drillbot reverse for a writer from the cached report, without a second drill', async () => {
      await setUp(() => draftReport());
      fake.openPull(repo, { number: 11, branch: 'nick', changes: ADD_NICK, author: 'alice' });
      repo.permissions.set('maria', 'write');
      await receive('pull_request', pullRequestEvent(fake, repo, 11, 'opened'));
      const comment = fake.addUserComment(repo, 11, 'maria', '/drillbot reverse');
      await receive('issue_comment', issueCommentCreated(fake, repo, comment));
      expect(engine.calls()).toBe(1);
      expect(fake.reactions).toEqual([expect.objectContaining({ comment_id: comment.id, content: 'eyes' })]);
      expect(replies()).toHaveLength(1);
      expect(replies()[0].body).toMatch(/^@maria: Drillbot drafted a reverse migration/);
      expect(replies()[0].body).toContain('Create `db/migrations/003_add_nick.down.sql` with:\n\n```sql\nALTER TABLE users DROP COLUMN nick;\n```');
      expect(replies()[0].body).toContain('round trip (schema and seeded data) restored, redo applied');
      expectCleanTraffic();
    });

    it('re-runs the review when no report is cached and replies after it; says why when no draft was proven', async () => {
      await setUp(() => ({
        ...draftReport(),
        reverseDrafts: [
          { ...draft, status: 'failed', proof: { ...draft.proof, roundTrip: 'mismatch' }, reason: 'the round trip left column users.nick behind' },
        ],
      }));
      const pull = fake.openPull(repo, { number: 11, branch: 'nick', changes: ADD_NICK, author: 'alice' });
      repo.permissions.set('maria', 'admin');
      const comment = fake.addUserComment(repo, 11, 'maria', '/drillbot reverse');
      await receive('issue_comment', issueCommentCreated(fake, repo, comment));
      expect(engine.calls()).toBe(1);
      expect(fake.checkRunsFor(pull.head.sha, 'Drillbot')[0]).toMatchObject({ status: 'completed', conclusion: 'failure' });
      expect(replies()).toHaveLength(1);
      expect(replies()[0].body).toContain('no reverse migration could be offered');
      expect(replies()[0].body).toContain('the round trip left column users.nick behind');
      expect(replies()[0].body).not.toContain('DROP COLUMN');
      expectCleanTraffic();
    });

    it('says so when the re-run finds no migration change', async () => {
      await setUp(() => draftReport());
      fake.openPull(repo, { number: 12, branch: 'docs', changes: { 'README.md': '# app\n\nMore.\n' }, author: 'alice' });
      repo.permissions.set('maria', 'write');
      const comment = fake.addUserComment(repo, 12, 'maria', '/drillbot reverse');
      await receive('issue_comment', issueCommentCreated(fake, repo, comment));
      expect(engine.calls()).toBe(0);
      expect(replies()).toEqual([expect.objectContaining({ body: expect.stringContaining('no migration changed') })]);
      expectCleanTraffic();
    });

    it('refuses /drillbot reverse for a read-only user with a short reply, and drills nothing', async () => {
      await setUp(() => draftReport());
      fake.openPull(repo, { number: 11, branch: 'nick', changes: ADD_NICK, author: 'alice' });
      repo.permissions.set('rita', 'read');
      const comment = fake.addUserComment(repo, 11, 'rita', '/drillbot reverse');
      await receive('issue_comment', issueCommentCreated(fake, repo, comment));
      expect(engine.calls()).toBe(0);
      expect(replies()).toHaveLength(1);
      expect(replies()[0].body).toBe('@rita: `/drillbot reverse` needs write access to this repository, so nothing was done.');
      expect(fake.checkRunsFor(repo.pulls.get(11)!.head.sha, 'Drillbot')).toHaveLength(0);
      expectCleanTraffic();
    });

    it('posts the same reply on the Draft reverse button, for writers only', async () => {
      await setUp(() => draftReport());
      const pull = fake.openPull(repo, { number: 11, branch: 'nick', changes: ADD_NICK, author: 'alice' });
      repo.permissions.set('maria', 'write');
      repo.permissions.set('rita', 'read');
      await receive('pull_request', pullRequestEvent(fake, repo, 11, 'opened'));
      const [run] = fake.checkRunsFor(pull.head.sha, 'Drillbot');
      const press = (login: string) => {
        const payload = exampleOf('check_run', 'requested_action');
        payload.repository = pullRequestEvent(fake, repo, 11).repository;
        payload.installation = { id: INSTALLATION };
        Object.assign(payload.check_run, { id: run.id, name: 'Drillbot', head_sha: pull.head.sha, external_id: '11', pull_requests: [] });
        payload.requested_action = { identifier: 'reverse' };
        payload.sender = { ...payload.sender, login };
        return payload;
      };
      await receive('check_run', press('maria'));
      await receive('check_run', press('rita'));
      expect(engine.calls()).toBe(1);
      expect(replies()).toHaveLength(2);
      expect(replies()[0].body).toContain('```sql\nALTER TABLE users DROP COLUMN nick;\n```');
      expect(replies()[1].body).toBe('@rita: Draft reverse needs write access to this repository, so nothing was done.');
      expectCleanTraffic();
    });
  });

  describe.each(['in-process', 'redis'] as const)('%s queue', (kind) => {
    it('starts one drill for a replayed delivery (same delivery id)', async () => {
      await setUp(
        () => unsafeReport(),
        BASE,
        () => undefined,
        queueOf(kind),
      );
      const pull = fake.openPull(repo, { number: 7, branch: 'idx', changes: UNSAFE, author: 'alice' });
      const payload = pullRequestEvent(fake, repo, 7, 'opened');
      await probot.receive({ id: 'delivery-1', name: 'pull_request', payload } as never);
      await deps.queue.idle();
      await probot.receive({ id: 'delivery-1', name: 'pull_request', payload } as never);
      await deps.queue.idle();
      expect(engine.calls()).toBe(1);
      expect(fake.checkRunsFor(pull.head.sha, 'Drillbot')).toEqual([expect.objectContaining({ status: 'completed', conclusion: 'failure' })]);
      // Another delivery of the same event is a new delivery: it reviews again, on the same check run.
      await receive('pull_request', payload);
      expect(engine.calls()).toBe(2);
      expect(fake.checkRunsFor(pull.head.sha, 'Drillbot')).toHaveLength(1);
      expectCleanTraffic();
    });

    it('leaves the current head alone on a late delivery for an older head', async () => {
      const { gate, release } = gated();
      await setUp(
        async () => {
          await gate;
          return unsafeReport();
        },
        BASE,
        () => undefined,
        queueOf(kind),
      );
      const first = fake.openPull(repo, { number: 7, branch: 'idx', changes: UNSAFE, author: 'alice' }).head.sha;
      const lateOpened = pullRequestEvent(fake, repo, 7, 'opened');
      const second = repo.commit({ 'db/migrations/002_email_idx.down.sql': 'DROP INDEX IF EXISTS users_email_idx;\n' }, { parent: first, branch: 'idx' });
      repo.pulls.get(7)!.head.sha = second;
      await probot.receive({ id: 'sync', name: 'pull_request', payload: pullRequestEvent(fake, repo, 7, 'synchronize') } as never);
      await fake.waitFor('the drill of the current head to start', () => engine.calls() === 1);
      const mark = fake.sequence;
      await probot.receive({ id: 'late-opened', name: 'pull_request', payload: lateOpened } as never);
      await fake.waitFor('the late delivery to look at the pull request', () =>
        fake.log.some((r) => r.seq > mark && r.method === 'GET' && r.path.endsWith('/pulls/7')),
      );
      await fake.waitForIdle(500);
      expect(engine.inputs[0].signal?.aborted).toBe(false);
      release();
      await deps.queue.idle();
      expect(engine.calls()).toBe(1);
      expect(fake.checkRunsFor(second, 'Drillbot')).toEqual([expect.objectContaining({ status: 'completed', conclusion: 'failure' })]);
      expect(fake.checkRunsFor(first, 'Drillbot')).toEqual([]);
      expect(fake.reviews.map((r) => r.commit_id)).toEqual([second]);
      expectCleanTraffic();
    });

    it('supersedes the running review on a new push and retires its check run', async () => {
      const release = await setUpHoldingFirstDrill(kind);
      const first = fake.openPull(repo, { number: 7, branch: 'idx', changes: UNSAFE, author: 'alice' }).head.sha;
      await probot.receive({ id: 'opened', name: 'pull_request', payload: pullRequestEvent(fake, repo, 7, 'opened') } as never);
      await fake.waitFor('the first drill to start', () => engine.calls() === 1);
      const second = repo.commit({ 'db/migrations/002_email_idx.down.sql': 'DROP INDEX IF EXISTS users_email_idx;\n' }, { parent: first, branch: 'idx' });
      repo.pulls.get(7)!.head.sha = second;
      await probot.receive({ id: 'sync', name: 'pull_request', payload: pullRequestEvent(fake, repo, 7, 'synchronize') } as never);
      await fake.waitFor('the first drill to be superseded', () => engine.inputs[0].signal?.aborted);
      release();
      await deps.queue.idle();
      expect(fake.checkRunsFor(first, 'Drillbot')[0]).toMatchObject({ status: 'completed', conclusion: 'cancelled' });
      expect(fake.checkRunsFor(second, 'Drillbot')[0]).toMatchObject({ status: 'completed', conclusion: 'failure' });
      expect(fake.reviews.map((r) => r.commit_id)).toEqual([second]);
      expectCleanTraffic();
    });

    it('applies an acknowledgement given while the review runs, after it', async () => {
      const release = await setUpHoldingFirstDrill(kind);
      const pull = fake.openPull(repo, { number: 7, branch: 'idx', changes: UNSAFE, author: 'alice' });
      repo.permissions.set('maria', 'write');
      await probot.receive({ id: 'opened', name: 'pull_request', payload: pullRequestEvent(fake, repo, 7, 'opened') } as never);
      await fake.waitFor('the drill to start', () => engine.calls() === 1);
      const comment = fake.addUserComment(repo, 7, 'maria', '/drillbot ack blocking-index small table');
      await probot.receive({ id: 'ack', name: 'issue_comment', payload: issueCommentCreated(fake, repo, comment) } as never);
      await fake.waitFor('the eyes reaction', () => fake.reactions.length === 1);
      expect(engine.inputs[0].signal?.aborted).toBe(false);
      release();
      await deps.queue.idle();
      const [run] = fake.checkRunsFor(pull.head.sha, 'Drillbot');
      expect(run).toMatchObject({ status: 'completed', conclusion: 'success' });
      expect(run.output.summary).toContain('acknowledged by @maria');
      expect(await deps.pendingAcks.list('acme/shop#7')).toEqual([]);
      expectCleanTraffic();
    });
  });

  describe('redis queue', () => {
    it('retries with backoff a review whose error escaped before its check run existed', async () => {
      redisPrefix = uniquePrefix('retry');
      const connection = new RedisConnection({ url: TEST_REDIS_URL, prefix: redisPrefix, concurrency: 2, lockMs: 1500, attempts: 3, backoffMs: 1000 });
      await setUp(
        () => unsafeReport(),
        BASE,
        () => undefined,
        { queue: new RedisTaskQueue(connection), pendingAcks: new RedisAckStore(connection) },
      );
      // Re-run pressed for pull request #7, which the API does not show yet: the first attempt fails on GET /pulls/7 (404).
      fake.openPull(repo, { number: 1, branch: 'docs', changes: { 'README.md': '# app\n\nMore.\n' }, author: 'alice' });
      const payload = exampleOf('check_run', 'requested_action') as Json;
      payload.repository = pullRequestEvent(fake, repo, 1).repository;
      payload.installation = { id: INSTALLATION };
      Object.assign(payload.check_run, { name: 'Drillbot', external_id: '7', pull_requests: [] });
      payload.requested_action = { identifier: 'rerun' };
      // Re-runs need write access.
      repo.permissions.set('maria', 'write');
      payload.sender = { ...payload.sender, login: 'maria' };
      await probot.receive({ id: 'rerun', name: 'check_run', payload } as never);
      const failed = await fake.waitFor('the first attempt to fail', () => fake.log.find((r) => r.path.endsWith('/pulls/7') && r.status === 404));
      const pull = fake.openPull(repo, { number: 7, branch: 'idx', changes: UNSAFE, author: 'alice' });
      await deps.queue.idle();
      expect(engine.calls()).toBe(1);
      expect(fake.checkRunsFor(pull.head.sha, 'Drillbot')).toEqual([expect.objectContaining({ status: 'completed', conclusion: 'failure' })]);
      expect(fake.log.filter((r) => r.path.endsWith('/pulls/7') && r.status === 404)).toEqual([failed]);
      expectCleanTraffic();
    });
  });

  describe('onCheckSuite', () => {
    it('re-runs the review of each pull request of a re-requested suite', async () => {
      await setUp(() => unsafeReport());
      const pull = fake.openPull(repo, { number: 7, branch: 'idx', changes: UNSAFE, author: 'alice' });
      const payload = exampleOf('check_suite', 'rerequested');
      payload.repository = pullRequestEvent(fake, repo, 7).repository;
      payload.installation = { id: INSTALLATION };
      Object.assign(payload.check_suite, {
        head_sha: pull.head.sha,
        pull_requests: [
          {
            number: 7,
            id: 1,
            url: '',
            head: { ref: 'idx', sha: pull.head.sha, repo: { id: repo.id, url: '', name: repo.name } },
            base: { ref: 'main', sha: pull.base.sha, repo: { id: repo.id, url: '', name: repo.name } },
          },
        ],
      });
      payload.sender = { ...payload.sender, login: 'maria', type: 'User' };
      repo.permissions.set('maria', 'write');
      await receive('check_suite', payload);
      expect(engine.calls()).toBe(1);
      expect(fake.checkRunsFor(pull.head.sha, 'Drillbot')[0].conclusion).toBe('failure');
      expectCleanTraffic();
    });
  });

  describe('onCheckRun', () => {
    it('re-runs the review on the Re-run button and updates the same check run', async () => {
      await setUp(() => unsafeReport());
      const pull = fake.openPull(repo, { number: 7, branch: 'idx', changes: UNSAFE, author: 'alice' });
      await receive('pull_request', pullRequestEvent(fake, repo, 7, 'opened'));
      const [run] = fake.checkRunsFor(pull.head.sha, 'Drillbot');
      const payload = exampleOf('check_run', 'requested_action');
      payload.repository = pullRequestEvent(fake, repo, 7).repository;
      payload.installation = { id: INSTALLATION };
      Object.assign(payload.check_run, { id: run.id, name: 'Drillbot', head_sha: pull.head.sha, external_id: run.external_id, pull_requests: [] });
      payload.requested_action = { identifier: 'rerun' };
      payload.sender = { ...payload.sender, login: 'maria' };
      repo.permissions.set('maria', 'maintain');
      await receive('check_run', payload);
      expect(engine.calls()).toBe(2);
      expect(fake.checkRunsFor(pull.head.sha, 'Drillbot')).toHaveLength(1);
      expectCleanTraffic();
    });
  });
});
