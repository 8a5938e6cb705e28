import pg from 'pg';
import { DEFAULT_CONFIG, type DrillbotConfig } from '../../src/core/config.js';
import { roleOf } from '../../src/core/drill/databases.js';
import { createUrlProvider } from '../../src/core/drill/providers/index.js';
import { review } from '../../src/core/review.js';
import type { Report } from '../../src/core/report/report.js';
import { changeSetOf } from '../support/change-set.js';
import { LOCAL_URL, RULES_OFF } from '../support/drill.js';
import { FreezingProxy } from '../support/freezing-proxy.js';

/**
 * Time limits hold against a shadow PostgreSQL that stops answering: a proxy between the drill and
 * the local server swallows one migration statement and everything after it on that connection.
 * The review ends at its limit with `infra`, having cancelled, terminated and dropped from the
 * admin side, and no database it created is left on the server.
 */

const MARKER = 'drillbot-freeze-here';
const BASE = { '1_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, name text);\n', '1_users.down.sql': 'DROP TABLE users;\n' };
const CHANGE = {
  '2_change.up.sql': `ALTER TABLE users ADD COLUMN city text;\nSELECT '${MARKER}';\n`,
  '2_change.down.sql': 'ALTER TABLE users DROP COLUMN city;\n',
};
/** How far from its limit a review may end, as a share of the limit. */
const TOLERANCE = 0.3;

async function reviewThrough(
  proxy: FreezingProxy,
  shadow: Partial<DrillbotConfig['shadow']>,
  change: Record<string, string> = CHANGE,
): Promise<{ report: Report; ms: number }> {
  const port = await proxy.start();
  const url = new URL(LOCAL_URL);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  const started = performance.now();
  const report = await review({
    changeSet: changeSetOf('db', BASE, change),
    config: { ...DEFAULT_CONFIG, rules: RULES_OFF, shadow: { ...DEFAULT_CONFIG.shadow, seedRows: 10, ...shadow } },
    provider: createUrlProvider(url.toString()),
    llm: null,
  });
  return { report, ms: performance.now() - started };
}

async function existing(names: readonly string[]): Promise<string[]> {
  const admin = new pg.Client(LOCAL_URL);
  await admin.connect();
  try {
    return (await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname = ANY($1)', [names])).rows.map((r) => r.datname);
  } finally {
    await admin.end();
  }
}

describe('a shadow PostgreSQL that stops answering', () => {
  let proxy: FreezingProxy;
  const target = () => ({ host: new URL(LOCAL_URL).hostname, port: Number(new URL(LOCAL_URL).port || 5432) });
  beforeEach(() => {
    proxy = new FreezingProxy(target(), MARKER);
  });
  afterEach(() => proxy.stop());

  it('ends the review at shadow.timeout with infra, and drops every database it created', async () => {
    const limitMs = 12_000;
    const { report, ms } = await reviewThrough(proxy, { timeoutMs: limitMs });
    expect(report.findings).toEqual([
      expect.objectContaining({ hazard: 'infra', message: expect.stringContaining('did not finish within its time limit (12 s; shadow.timeout)') }),
    ]);
    expect(report.verdict).toBe('fail');
    expect(Math.abs(ms / limitMs - 1)).toBeLessThanOrEqual(TOLERANCE);
    expect(proxy.created.length).toBeGreaterThan(0);
    expect(await existing(proxy.created)).toEqual([]);
  });

  it('ends a statement that never returns at the statement timeout, long before shadow.timeout, and drops its database', async () => {
    const limitMs = 60_000;
    const { report, ms } = await reviewThrough(proxy, { timeoutMs: limitMs, statementTimeoutMs: 1_000 });
    expect(report.findings).toEqual([
      expect.objectContaining({
        hazard: 'infra',
        message: expect.stringContaining('did not return within its statement timeout (1 s; shadow.statementTimeout)'),
      }),
    ]);
    expect(ms / limitMs).toBeLessThan(TOLERANCE);
    expect(await existing(proxy.created)).toEqual([]);
  });

  it('cancels from the admin side a statement that lifted its own statement_timeout, at the statement timeout', async () => {
    const limitMs = 60_000;
    const change = { '2_change.up.sql': 'SET statement_timeout = 0;\nSELECT pg_sleep(50);\n', '2_change.down.sql': 'SELECT 1;\n' };
    const { report, ms } = await reviewThrough(proxy, { timeoutMs: limitMs, statementTimeoutMs: 1_000 }, change);
    expect(report.findings).toEqual([
      expect.objectContaining({
        hazard: 'infra',
        path: 'db/2_change.up.sql',
        line: 2,
        message: expect.stringContaining("did not finish within the drill's statement timeout"),
      }),
    ]);
    expect(ms / limitMs).toBeLessThan(TOLERANCE);
    expect(await existing(proxy.created)).toEqual([]);
  });

  it('gives the proof drill of a drafted reverse what is left of shadow.timeout, not a limit of its own', async () => {
    // No reverse: the reviewer step drafts one and proves it with a second drill, which freezes (the main drill passed the marker once).
    proxy = new FreezingProxy(target(), MARKER, 2);
    const limitMs = 10_000;
    const { report, ms } = await reviewThrough(
      proxy,
      { timeoutMs: limitMs },
      { '2_change.up.sql': `ALTER TABLE users ADD COLUMN /* ${MARKER} */ city text;\n` },
    );
    expect(report.findings.map((f) => f.hazard)).toEqual(['missing-reverse']);
    expect(report.reverseDrafts).toEqual([
      expect.objectContaining({ status: 'unproven', reason: expect.stringContaining('did not finish within its time limit (10 s; shadow.timeout)') }),
    ]);
    expect(Math.abs(ms / limitMs - 1)).toBeLessThanOrEqual(TOLERANCE);
    expect(await existing(proxy.created)).toEqual([]);
  });

  it('ends the review at shadow.timeout even when the whole server stops answering, new connections included', async () => {
    proxy = new FreezingProxy(target(), MARKER, 1, true);
    const limitMs = 10_000;
    const { report, ms } = await reviewThrough(proxy, { timeoutMs: limitMs });
    expect(report.findings).toEqual([
      expect.objectContaining({ hazard: 'infra', message: expect.stringContaining('did not finish within its time limit (10 s; shadow.timeout)') }),
    ]);
    expect(Math.abs(ms / limitMs - 1)).toBeLessThanOrEqual(TOLERANCE);
    // Nothing could reach the server to drop its databases and roles; once the path works again, they go.
    await proxy.stop();
    const admin = new pg.Client(LOCAL_URL);
    await admin.connect();
    try {
      for (const name of await existing(proxy.created)) {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await admin.query(`DROP ROLE IF EXISTS "${roleOf(name)}"`);
      }
    } finally {
      await admin.end();
    }
  });
});
