// The built app under Probot's own server (as `npm start` runs it), with the engine replaced by a
// fake that "drills" for DRILLBOT_FAKE_ENGINE_MS and reports CREATE INDEX without CONCURRENTLY on
// line 1 of each new forward migration: queue tests in real processes without PostgreSQL's cost.
// Octokit's retry and throttling are off, as in the handler tests (the fake GitHub has no limits).
import { setTimeout as sleep } from 'node:timers/promises';
import { ProbotOctokit, run } from 'probot';
import { createApp } from '../../dist/app/index.js';
import { buildReport } from '../../dist/core/index.js';

const drillMs = Number(process.env.DRILLBOT_FAKE_ENGINE_MS ?? '0');

const engine = {
  async review({ changeSet, onProgress, signal }) {
    onProgress('fake drill started');
    await sleep(drillMs, undefined, { signal });
    const base = new Set(changeSet.base.files.map((f) => f.path));
    const added = changeSet.head.files.filter((f) => !base.has(f.path) && f.path.endsWith('.up.sql'));
    const findings = added.map((f) => ({
      rule: 'require-concurrent-index',
      hazard: 'blocking-index',
      severity: 'error',
      path: f.path,
      line: 1,
      message: 'CREATE INDEX on an existing table blocks writes to it until the build finishes.',
      fix: 'Use CREATE INDEX CONCURRENTLY.',
      source: 'rule',
    }));
    return buildReport(findings, [], null);
  },
};

await run(createApp({ engine }), { Octokit: ProbotOctokit.defaults((o) => ({ ...o, retry: { enabled: false }, throttle: { enabled: false } })) });
