import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { DEFAULT_CONFIG } from '../../src/core/config.js';
import { createEmbeddedProvider, type EmbeddedShadowServer } from '../../src/core/drill/providers/embedded.js';
import { fromExport } from '../../src/core/queries/representative.js';
import type { Report } from '../../src/core/report/report.js';
import { review } from '../../src/core/review.js';
import { parseScript } from '../../src/core/sql/parse.js';
import { parseSizesFile } from '../../src/core/sizes-file.js';
import { runCli } from '../support/cli.js';
import { corpusChangeSet, corpusSuite, loadCorpus, OPENFGA } from '../support/corpus.js';

/**
 * Old code against the new schema, on OpenFGA's real history (its six goose migrations) and the
 * embedded PostgreSQL 18. "Production" is a server with pg_stat_statements loaded: the history
 * applied, a few stores and tuples written, and the application's read paths run (the shapes of
 * OpenFGA's datastore queries: GetStore, Read, ReadUserTuple, ReadChanges, on this schema). `drillbot
 * stats` exports them; the drill plans them before and after each change.
 */
const { describeCorpus } = corpusSuite('OpenFGA');
const CACHE = process.env.DRILLBOT_TEST_CACHE_DIR ?? path.join(os.tmpdir(), 'drillbot-test-cache');
const SLOW_MS = 600_000;
const DIR = OPENFGA.dir;

/** The application's queries, with the constants a running OpenFGA would send, and how often each runs. */
const WORKLOAD: ReadonlyArray<{ sql: (n: number) => string; times: number }> = [
  { sql: (n) => `SELECT id, name, created_at, updated_at FROM store WHERE id = 'store-${n % 3}' AND deleted_at IS NULL`, times: 40 },
  {
    sql: (n) =>
      `SELECT store, object_type, object_id, relation, _user, condition_name, condition_context, ulid, inserted_at FROM tuple WHERE store = 'store-${n % 3}' AND object_type = 'document' AND object_id = 'doc-${n}' AND relation = 'viewer' ORDER BY ulid`,
    times: 25,
  },
  {
    sql: (n) =>
      `SELECT object_type, object_id, relation, _user, condition_name, condition_context FROM tuple WHERE store = 'store-1' AND object_type = 'document' AND object_id = 'doc-${n}' AND relation = 'editor' AND _user = 'user:anne' AND user_type = 'user'`,
    times: 10,
  },
  {
    sql: (n) =>
      `SELECT ulid, object_type, object_id, relation, _user, operation, condition_name, condition_context, inserted_at FROM changelog WHERE store = 'store-${n % 3}' ORDER BY ulid ASC LIMIT 100`,
    times: 5,
  },
];

/** Replaces the primary key of store by a unique index, and drops a column the read paths select: both break the running code. */
const DROPS_COLUMN = `-- +goose Up
ALTER TABLE store ADD COLUMN description TEXT;
ALTER TABLE tuple DROP COLUMN condition_context;

-- +goose Down
ALTER TABLE tuple ADD COLUMN condition_context BYTEA;
ALTER TABLE store DROP COLUMN description;
`;
const DROPS_INDEX = `-- +goose Up
ALTER TABLE store DROP CONSTRAINT store_pkey;

-- +goose Down
ALTER TABLE store ADD PRIMARY KEY (id);
`;
/** The same two changes split expand/contract: the replacement index first, the new column beside the old one (dropped in a later release). */
const SPLIT = `-- +goose NO TRANSACTION
-- +goose Up
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS store_id_key ON store (id);
ALTER TABLE store DROP CONSTRAINT store_pkey;
ALTER TABLE tuple ADD COLUMN condition_context_json JSONB;

-- +goose Down
ALTER TABLE tuple DROP COLUMN condition_context_json;
ALTER TABLE store ADD PRIMARY KEY (id);
DROP INDEX CONCURRENTLY IF EXISTS store_id_key;
`;

describeCorpus("representative queries: OpenFGA's history on PostgreSQL 18, queries exported by drillbot stats", () => {
  let production: EmbeddedShadowServer;
  let scratch: string;
  let sizesPath: string;
  let exported: ReturnType<typeof parseSizesFile>;

  beforeAll(async () => {
    scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'drillbot-queries-'));
    await fs.chmod(scratch, 0o755);
    production = await createEmbeddedProvider({ cacheDir: path.join(scratch, 'cache'), settings: ['shared_preload_libraries=pg_stat_statements'] }).start({
      signal: AbortSignal.timeout(SLOW_MS),
    });
    await withClient(production, 'postgres', (c) => c.query('CREATE DATABASE app'));
    await withClient(production, 'app', async (c) => {
      for (const m of loadCorpus(OPENFGA).migrations) {
        const parsed = await parseScript(m.forward);
        if (!parsed.ok) throw new Error(`${m.forward.path}: ${parsed.error.message}`);
        for (const st of parsed.statements) await c.query(st.text);
      }
      await c.query('CREATE EXTENSION pg_stat_statements');
      await c.query(`INSERT INTO store SELECT 'store-' || i, 'store ' || i, now() FROM generate_series(0, 2) i`);
      await c.query(`INSERT INTO tuple (store, object_type, object_id, relation, _user, user_type, ulid, inserted_at)
        SELECT 'store-' || (i % 3), 'document', 'doc-' || i, 'viewer', 'user:u' || i, 'user', lpad(i::text, 26, '0'), now() FROM generate_series(1, 200) i`);
      await c.query('SELECT pg_stat_statements_reset()');
      for (const { sql, times } of WORKLOAD) for (let n = 0; n < times; n++) await c.query(sql(n));
    });
    sizesPath = path.join(scratch, 'sizes.json');
    const admin = production.adminConfig('app');
    // The administrator connects over the server's socket dir (trust); the URL names it encoded as its host.
    const url = `postgres://${admin.user}@${encodeURIComponent(String(admin.host))}:${admin.port}/app`;
    const stats = await runCli('stats', '--database-url', url, '--output', sizesPath);
    expect(stats).toMatchObject({ status: 0, stdout: expect.stringMatching(/^wrote 5 tables and \d+ queries to /) });
    exported = parseSizesFile(await fs.readFile(sizesPath, 'utf8'), sizesPath);
  }, SLOW_MS);

  afterAll(async () => {
    await production?.close();
    if (scratch) await fs.rm(scratch, { recursive: true, force: true });
  });

  it('exports the normalised queries with their calls, most called first, and never the constants', async () => {
    const text = await fs.readFile(sizesPath, 'utf8');
    expect(exported.tables.get('public.tuple')).toMatchObject({ rows: expect.any(Number) });
    expect(exported.queries.map((q) => [q.query.slice(0, 40), q.calls])).toEqual([
      ['SELECT id, name, created_at, updated_at ', 40],
      ['SELECT store, object_type, object_id, re', 25],
      ['SELECT object_type, object_id, relation,', 10],
      ['SELECT ulid, object_type, object_id, rel', 5],
    ]);
    expect(exported.queries[0].query).toBe('SELECT id, name, created_at, updated_at FROM store WHERE id = $1 AND deleted_at IS NULL');
    expect(text).not.toMatch(/store-\d|doc-\d|user:anne|viewer|'document'/);
    expect(exported.queries.every((q) => q.meanMs >= 0)).toBe(true);
  });

  const drill = (name: string, sql: string): Promise<Report> => {
    const corpus = loadCorpus(OPENFGA);
    const change = corpusChangeSet(corpus, corpus.migrations.length, corpus.migrations.length);
    const file = { path: `${DIR}/${name}`, content: sql };
    return review({
      changeSet: { ...change, head: { ...change.head, files: [...change.head.files, file] } },
      config: {
        ...DEFAULT_CONFIG,
        migrations: { ...DEFAULT_CONFIG.migrations, layout: 'goose' },
        shadow: { ...DEFAULT_CONFIG.shadow, seedRows: 20, pgMajor: 18 },
      },
      provider: createEmbeddedProvider({ cacheDir: CACHE }),
      queries: fromExport(exported.queries),
      llm: null,
    });
  };
  const planFindings = (report: Report) =>
    report.findings.filter((f) => f.source === 'drill' && ['breaking-change', 'query-regression', 'unused-index'].includes(f.hazard));
  const checklist = (report: Report, id: string) => report.checklist?.find((a) => a.id === id);

  it(
    'a change that drops a column the read paths select is a breaking-change at the DROP, naming each query',
    async () => {
      const report = await drill('007_drop_condition_context.sql', DROPS_COLUMN);
      const [breaking, ...others] = planFindings(report);
      expect(others).toEqual([]);
      expect(breaking).toMatchObject({ hazard: 'breaking-change', severity: 'error', line: 3 });
      // Read and ReadUserTuple select the column; ReadChanges reads changelog's own condition_context and still plans.
      expect(breaking.message).toMatch(/^After this statement 2 of the application's queries no longer plan, so code deployed before the migration fails: /);
      expect(breaking.message).toContain(
        '`SELECT store, object_type, object_id, relation, _user, condition_name, condition_context, ulid, inserted_at FROM tuple WHERE store = $1 AND object_type = $2 AND object_id = $3 AND relation = $4 ORDER BY ulid` (pg_stat_statements, 25 calls',
      );
      expect(breaking.message).toContain('AND _user = $5 AND user_type = $6` (pg_stat_statements, 10 calls');
      expect(breaking.message.match(/\(column "condition_context" does not exist\)/g)).toHaveLength(2);
      expect(report.drill?.queryPlans).toEqual({ queries: 4, plannedAtBase: 4, checked: true });
      expect(checklist(report, 'forward-compatible')).toMatchObject({ status: 'fail', source: 'drill' });
    },
    SLOW_MS,
  );

  it(
    'a change that drops the index the most frequent query uses is a query-regression with both plans',
    async () => {
      const report = await drill('007_drop_store_pkey.sql', DROPS_INDEX);
      const [regression, ...others] = planFindings(report);
      expect(others).toEqual([]);
      expect(regression).toMatchObject({ hazard: 'query-regression', severity: 'warning', line: 2 });
      expect(regression.message).toMatch(
        /^After this statement the plan of the application's query gets much worse: `SELECT id, name, created_at, updated_at FROM store WHERE id = \$1 AND deleted_at IS NULL` \(pg_stat_statements, 40 calls/,
      );
      expect(regression.message).toMatch(/store is now read with a sequential scan where an index was used \(it used store_pkey\)/);
      expect(regression.evidence).toMatch(
        /^plan before:\nIndex Scan using store_pkey on store \(cost=[\d.]+\)\nplan after:\nSeq Scan on store \(cost=[\d.]+\)$/,
      );
      expect(checklist(report, 'forward-index-serves-queries')).toMatchObject({ status: 'fail', source: 'drill' });
    },
    SLOW_MS,
  );

  it(
    'the same changes split expand/contract pass: every query still plans, through the replacement index',
    async () => {
      const report = await drill('007_store_id_key.sql', SPLIT);
      expect(planFindings(report)).toEqual([]);
      expect(report.drill?.roundTrip).toBe('restored');
      expect(checklist(report, 'forward-compatible')).toMatchObject({ status: 'pass', source: 'drill' });
      expect(checklist(report, 'forward-index-serves-queries')).toMatchObject({ status: 'pass', source: 'drill' });
    },
    SLOW_MS,
  );

  it(
    'a new index that none of the queries uses is a notice',
    async () => {
      const report = await drill(
        '007_inserted_at_index.sql',
        `-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY idx_tuple_inserted_at ON tuple (inserted_at);\n\n-- +goose Down\nDROP INDEX CONCURRENTLY idx_tuple_inserted_at;\n`,
      );
      expect(planFindings(report).map((f) => `${f.hazard}:${f.severity}:${f.line}`)).toEqual(['unused-index:notice:3']);
      expect(planFindings(report)[0].message).toMatch(/None of the 4 representative queries uses the new index idx_tuple_inserted_at/);
    },
    SLOW_MS,
  );
});

async function withClient<T>(server: EmbeddedShadowServer, database: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(server.adminConfig(database));
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
