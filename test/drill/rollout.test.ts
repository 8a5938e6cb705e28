import type { Report, RolloutStep } from '../../src/core/report/report.js';
import { renderMarkdown } from '../../src/core/report/render/markdown.js';
import { renderText } from '../../src/core/report/render/text.js';
import { drill } from '../support/drill.js';

/** A small shop: users and orders, both seeded by the drill. */
const SHOP = {
  '1_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, legacy_flag boolean, name text);',
  '1_users.down.sql': 'DROP TABLE users;',
  '2_orders.up.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint NOT NULL, total integer NOT NULL, status text);',
  '2_orders.down.sql': 'DROP TABLE orders;',
};

/** `kind/order@file:line (basis)` per step: the runbook's shape. */
const shape = (report: Report) =>
  (report.rollout ?? []).map((s: RolloutStep) => `${s.kind}${s.order ? `/${s.order}` : ''}@${s.path.replace(/^db\//, '')}:${s.line} (${s.basis})`);

describe('rollout plan, from the drill on PostgreSQL', () => {
  it('puts the deploy that stops using a dropped column before the migration, with the observed lock and the proven reverse', async () => {
    const report = await drill(SHOP, {
      '3_drop_flag.up.sql': "SET lock_timeout = '2s';\nALTER TABLE users DROP COLUMN legacy_flag;",
      '3_drop_flag.down.sql': 'ALTER TABLE users ADD COLUMN legacy_flag boolean;',
    });
    expect(shape(report)).toEqual(['deploy/before@3_drop_flag.up.sql:2 (inferred)', 'migrate@3_drop_flag.up.sql:1 (observed)']);
    const [deploy, migrate] = report.rollout!;
    expect(deploy.title).toMatch(/no longer reads or writes users\.legacy_flag.*before running 3_drop_flag/);
    expect(migrate).toMatchObject({ transaction: 'inside', lock: expect.stringMatching(/^public\.users AccessExclusiveLock, held \d+ ms on the shadow/) });
    // The file sets its own lock_timeout: the runbook says to retry, not to add one.
    expect(migrate.lockTimeout).toMatch(/^The migration sets lock_timeout itself; retry/);
    expect(migrate.rollback).toMatch(/^Run the reverse db\/3_drop_flag\.down\.sql: proven by the drill.*not the data this migration destroys/);
  });

  it('recommends a lock_timeout when the file sets one but lifts it before the statement that queues traffic', async () => {
    const report = await drill(SHOP, {
      '3_drop_flag.up.sql': "SET lock_timeout = '2s';\nRESET lock_timeout;\nALTER TABLE users DROP COLUMN legacy_flag;",
      '3_drop_flag.down.sql': 'ALTER TABLE users ADD COLUMN legacy_flag boolean;',
    });
    const migrate = report.rollout!.find((s) => s.kind === 'migrate')!;
    expect(migrate.lockTimeout).toMatch(/^SET lock_timeout = '5s' for the session that runs it/);
  });

  it('runs a CONCURRENTLY index outside a transaction and recommends lock_timeout only where a lock queues traffic', async () => {
    const report = await drill(SHOP, {
      '3_idx.up.sql': 'CREATE INDEX CONCURRENTLY orders_user_idx ON orders (user_id);',
      '3_idx.down.sql': 'DROP INDEX CONCURRENTLY orders_user_idx;',
      '4_status.up.sql': "ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'new';",
      '4_status.down.sql': 'ALTER TABLE orders ALTER COLUMN status DROP DEFAULT;',
    });
    expect(shape(report)).toEqual(['migrate@3_idx.up.sql:1 (observed)', 'migrate@4_status.up.sql:1 (observed)']);
    const [index, status] = report.rollout!;
    expect(index.transaction).toBe('outside');
    expect(index.lockTimeout).toBeUndefined();
    expect(status).toMatchObject({ transaction: 'inside', lockTimeout: expect.stringMatching(/^SET lock_timeout = '5s'.*55P03/) });
  });

  it('splits a rename (expand/contract), batches a backfill, and says a migration without a reverse has none proven', async () => {
    const report = await drill(SHOP, {
      '3_rename.up.sql': 'ALTER TABLE users RENAME COLUMN name TO full_name;',
      '3_rename.down.sql': 'ALTER TABLE users RENAME COLUMN full_name TO name;',
      '4_backfill.up.sql': "UPDATE orders SET status = 'paid' WHERE status IS NULL;",
    });
    expect(shape(report)).toEqual([
      'deploy/before@3_rename.up.sql:1 (inferred)',
      'migrate@3_rename.up.sql:1 (observed)',
      'migrate@4_backfill.up.sql:1 (observed)',
      'backfill@4_backfill.up.sql:1 (observed)',
    ]);
    expect(report.rollout![0].title).toMatch(/rename of users\.name to full_name: split it \(expand/);
    expect(report.rollout![3].title).toMatch(/^Run the UPDATE on orders in batches.*The drill's run took \d+ ms/);
    expect(report.rollout![2].rollback).toMatch(/^No (proven )?reverse/);
  });

  it('puts the code using a new column after the migration, and the expand/contract split for a NOT NULL column without default', async () => {
    const report = await drill(SHOP, {
      '3_plan.up.sql': "ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';\nALTER TABLE users ADD COLUMN tier text NOT NULL;",
      '3_plan.down.sql': 'ALTER TABLE users DROP COLUMN plan, DROP COLUMN tier;',
    });
    expect(shape(report)).toEqual(['migrate@3_plan.up.sql:1 (observed)', 'deploy/after@3_plan.up.sql:1 (inferred)']);
    expect(report.rollout![0].title).toMatch(/^Do not run 3_plan as it stands: it failed on the drill/);
    expect(report.rollout![1].title).toMatch(/uses users\.plan, users\.tier only after.* users\.tier is NOT NULL without a default/);
  });

  it('ends the text and Markdown reports with the numbered runbook', async () => {
    const report = await drill(SHOP, {
      '3_drop_flag.up.sql': 'ALTER TABLE users DROP COLUMN legacy_flag;',
      '3_drop_flag.down.sql': 'ALTER TABLE users ADD COLUMN legacy_flag boolean;',
    });
    const text = renderText(report);
    expect(text).toMatch(
      /\nRollout plan\n {2}1\. +deploy before \[inferred\] db\/3_drop_flag\.up\.sql:1: .*\n.*\n {2}2\. +migrate \(inside a transaction\) \[observed\]/,
    );
    expect(text).toMatch(/lock_timeout: SET lock_timeout = '5s'/);
    const markdown = renderMarkdown(report);
    expect(markdown).toMatch(/### Rollout plan\n\n.*\n\n1\. \*\*deploy before\*\* \(inferred\) `db\/3_drop_flag\.up\.sql:1`/);
    expect(markdown).toMatch(/\n2\. \*\*migrate \(inside a transaction\)\*\* \(observed\)[^\n]*\n {3}<br>lock: public\.users AccessExclusiveLock/);
  });
});
