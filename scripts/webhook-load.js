#!/usr/bin/env node
// `npm run bench:webhook`: how fast the App answers webhooks under load. A fake GitHub (the tests',
// in its own process) and the built app (Probot's server, as `npm start` runs it, with the fake
// engine of the queue tests so that reviews cost no PostgreSQL) run on loopback; this process sends
// rounds of concurrent `pull_request.opened` deliveries (real @octokit/webhooks-examples payloads,
// signed with the webhook secret) while the reviews queued by earlier rounds run, and prints the
// p50 and p99 of the time from sending a delivery to its complete answer.
//
// Options: --concurrency N (20), --rounds R (10), --gap MS between rounds (2000: bursts of 20, not a sustained 80 a second),
// --drill-ms MS of each fake drill (1000), --profile DIR (the app runs with --cpu-prof there),
// --nice N (the app and this process run at that niceness, e.g. -10 as root on a machine shared
// with other jobs, so that the run queue's wait does not hide the app's own time), --server-times
// (also the p50/p99 of the answer times Probot's request log measures inside the app, from the
// request's arrival in JavaScript to its answer: without the sockets' and the run queue's time).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

const ROOT = new URL('../', import.meta.url);
const { values: opts } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '10' },
    gap: { type: 'string', default: '2000' },
    'drill-ms': { type: 'string', default: '1000' },
    profile: { type: 'string' },
    nice: { type: 'string' },
    'server-times': { type: 'boolean', default: false },
  },
});
const concurrency = Number(opts.concurrency);
const rounds = Number(opts.rounds);

const children = [];
const stopAll = () => children.forEach((c) => c.exitCode === null && c.kill('SIGTERM'));
process.on('exit', stopAll);

/** The fake GitHub's process, and what it printed: credentials and signed deliveries. */
async function startGitHub() {
  const child = spawn(process.execPath, ['--import', './scripts/ts-register.mjs', 'test/support/webhook-load-github.ts', String(concurrency)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  for await (const line of createInterface({ input: child.stdout })) return JSON.parse(line);
  throw new Error('the fake GitHub exited before printing its setup');
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startApp(github) {
  const port = await freePort();
  const args = [...(opts.profile ? ['--cpu-prof', '--cpu-prof-dir', opts.profile] : []), 'test/support/fake-engine-app.mjs'];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', opts['server-times'] ? 'pipe' : 'ignore', 'inherit'],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      APP_ID: String(github.appId),
      PRIVATE_KEY: github.privateKey,
      WEBHOOK_SECRET: github.secret,
      PORT: String(port),
      HOST: '127.0.0.1',
      GHE_HOST: github.gheHost,
      GHE_PROTOCOL: 'http',
      LOG_LEVEL: opts['server-times'] ? 'info' : 'warn',
      LOG_FORMAT: 'json',
      NODE_ENV: 'production',
      DRILLBOT_FAKE_ENGINE_MS: opts['drill-ms'],
      DRILLBOT_CONCURRENCY: '2',
    },
  });
  children.push(child);
  if (opts.nice) os.setPriority(child.pid, Number(opts.nice));
  if (opts['server-times']) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const entry = JSON.parse(line);
      if (entry.req?.method === 'POST' && typeof entry.responseTime === 'number') serverTimes.push(entry.responseTime);
    });
  }
  const url = `http://127.0.0.1:${port}/api/github/webhooks`;
  for (const until = Date.now() + 60_000; Date.now() < until; await sleep(200)) {
    if (child.exitCode !== null) throw new Error(`the app exited with ${child.exitCode}`);
    if (
      await fetch(url).then(
        () => true,
        () => false,
      )
    )
      return { url, child };
  }
  throw new Error('the app did not listen within 60 s');
}

// node:http with kept-alive sockets: fetch (undici) costs this process several times more per
// request, which on a busy machine showed up as tens of milliseconds of the measured latency.
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

/** One delivery as GitHub sends it; resolves with the milliseconds until the whole answer arrived. */
function deliver(url, { event, body, signature }) {
  const payload = Buffer.from(body);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': payload.length,
          'user-agent': 'GitHub-Hookshot/webhook-load',
          'x-github-event': event,
          'x-github-delivery': randomUUID(),
          'x-github-hook-id': '1',
          'x-github-hook-installation-target-type': 'integration',
          'x-hub-signature-256': signature,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode >= 300 ? reject(new Error(`delivery answered ${res.statusCode}`)) : resolve(performance.now() - started)));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Answer times Probot logged, in milliseconds (--server-times). */
const serverTimes = [];
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

if (opts.nice) os.setPriority(Number(opts.nice));
const github = await startGitHub();
const app = await startApp(github);
// One round to warm up (connections, JIT), not counted.
await Promise.all(github.deliveries.map((d) => deliver(app.url, d)));
const times = [];
for (let round = 0; round < rounds; round++) {
  await sleep(Number(opts.gap));
  times.push(...(await Promise.all(github.deliveries.map((d) => deliver(app.url, d)))));
}
const summary = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms`;
};
console.log(`${times.length} deliveries in ${rounds} rounds of ${concurrency} concurrent: ${summary(times)}`);
// The warm-up round's are the first logged.
if (opts['server-times']) console.log(`inside the app (Probot's responseTime): ${summary(serverTimes.slice(concurrency))}`);
if (opts.profile) {
  // SIGINT lets Probot stop its server and the process exit, which writes the CPU profile.
  app.child.kill('SIGINT');
  await new Promise((resolve) => app.child.once('exit', resolve));
}
agent.destroy();
stopAll();
process.exit(0);
