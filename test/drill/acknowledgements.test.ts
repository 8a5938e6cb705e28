import { conclusionOf } from '../../src/app/render.js';
import { drill, hazards, RULES_OFF } from '../support/drill.js';

const BASE = {
  '1_orders.up.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL, total integer NOT NULL);',
  '1_orders.down.sql': 'DROP TABLE orders;',
};
const DOWN = { '2_change.down.sql': 'DROP INDEX IF EXISTS orders_user_idx;\nALTER TABLE orders DROP COLUMN IF EXISTS token;' };

describe('drillbot:ack directives', () => {
  it('acknowledges the error of the statement below it: the review passes and keeps the finding with its reason', async () => {
    const up = '-- drillbot:ack blocking-index orders has 300 rows in production\nCREATE INDEX orders_user_idx ON orders (user_id);';
    const report = await drill(BASE, { '2_change.up.sql': up, ...DOWN });
    expect(report.verdict).toBe('pass');
    expect(report.findings).toEqual([
      expect.objectContaining({ hazard: 'blocking-index', line: 2, acknowledged: { reason: 'orders has 300 rows in production', by: 'db/2_change.up.sql:1' } }),
    ]);
  });

  it('acknowledges by rule id, and file-wide when written above the first statement', async () => {
    const up = '-- drillbot:ack require-concurrent-index built during the maintenance window\n\nSELECT 1;\nCREATE INDEX orders_user_idx ON orders (user_id);';
    const report = await drill(BASE, { '2_change.up.sql': up, ...DOWN }, {}, { ...RULES_OFF, 'require-concurrent-index': 'error' });
    expect(report.verdict).toBe('pass');
    expect(report.findings.map((f) => [f.rule, f.acknowledged?.reason])).toEqual([['require-concurrent-index', 'built during the maintenance window']]);
  });

  it('does not acknowledge without a reason, and says so', async () => {
    const up = '-- drillbot:ack blocking-index\nCREATE INDEX orders_user_idx ON orders (user_id);';
    const report = await drill(BASE, { '2_change.up.sql': up, ...DOWN });
    expect(report.verdict).toBe('fail');
    expect(hazards(report)).toEqual(['blocking-index@2_change.up.sql:1', 'blocking-index@2_change.up.sql:2']);
    expect(report.findings[0]).toMatchObject({
      rule: 'ack-directive',
      severity: 'warning',
      message: expect.stringMatching(/needs a hazard or rule id and a reason/),
    });
    expect(report.findings[1].acknowledged).toBeUndefined();
  });

  it('never acknowledges infra: a change cannot acknowledge away that it was not drilled', async () => {
    const up = '-- drillbot:ack infra the shadow is flaky, merge anyway\nCREATE INDEX orders_user_idx ON orders (user_id);';
    const report = await drill(BASE, { '2_change.up.sql': up, ...DOWN }, { timeoutMs: 1 });
    expect([report.verdict, report.complete, conclusionOf(report)]).toEqual(['fail', false, 'failure']);
    expect(report.findings.filter((f) => f.acknowledged)).toEqual([]);
    expect(report.findings).toContainEqual(
      expect.objectContaining({ rule: 'ack-directive', line: 1, severity: 'warning', message: expect.stringMatching(/cannot cover infra/) }),
    );
  });

  it('reports a directive that matches nothing, and leaves other statements unacknowledged', async () => {
    const up =
      'SELECT 1;\n-- drillbot:ack rewrite the table is tiny\nCREATE INDEX orders_user_idx ON orders (user_id);\nALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();';
    const report = await drill(BASE, { '2_change.up.sql': up, ...DOWN });
    expect(hazards(report)).toEqual(['rewrite@2_change.up.sql:2', 'blocking-index@2_change.up.sql:3', 'rewrite@2_change.up.sql:4']);
    expect(report.findings[0]).toMatchObject({ rule: 'ack-directive', message: expect.stringMatching(/matches no finding/) });
    expect(report.findings.filter((f) => f.acknowledged)).toEqual([]);
    expect(report.verdict).toBe('fail');
  });
});

describe('size-aware findings', () => {
  const up = { '2_change.up.sql': 'ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();', ...DOWN };

  it('states production size and an estimated lock time, and keeps an error on a big table', async () => {
    const sizes = new Map([['public.orders', { rows: 50_000_000, bytes: 12 * 1024 ** 3 }]]);
    const report = await drill(BASE, up, {}, RULES_OFF, sizes);
    expect(report.findings).toEqual([
      expect.objectContaining({
        hazard: 'rewrite',
        severity: 'error',
        message: expect.stringMatching(/about 50\.0 million rows \(12 GiB\); estimated lock time ≈ \d/),
      }),
    ]);
  });

  it('lowers a rewrite of a small table to a warning', async () => {
    const sizes = new Map([['public.orders', { rows: 200, bytes: 16384 }]]);
    const report = await drill(BASE, up, {}, RULES_OFF, sizes);
    expect(report.findings).toEqual([
      expect.objectContaining({ hazard: 'rewrite', severity: 'warning', message: expect.stringMatching(/200 rows \(16 KiB\).*small/) }),
    ]);
    expect(report.verdict).toBe('pass');
  });
});

describe('configured severities', () => {
  it('turns a hazard off for matching files only', async () => {
    const up = { '2_change.up.sql': 'CREATE INDEX orders_user_idx ON orders (user_id);', ...DOWN };
    const off = await drill(BASE, up, {}, { ...RULES_OFF }, undefined, [{ files: ['db/2_*'], rules: { 'blocking-index': 'off' } }]);
    expect(off.findings).toEqual([]);
    const elsewhere = await drill(BASE, up, {}, { ...RULES_OFF }, undefined, [{ files: ['legacy/**'], rules: { 'blocking-index': 'off' } }]);
    expect(hazards(elsewhere)).toEqual(['blocking-index@2_change.up.sql:1']);
  });
});
