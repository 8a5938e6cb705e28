import { run } from 'probot';
import app from './index.js';
import { drillbotOctokit } from './github/octokit.js';

/** How long the shutdown may take to drop the ready clones and stop the shadow servers. */
const CLOSE_MS = 15_000;

// `npm start`: Probot's server (as `probot run` starts it) with Drillbot's retry and throttling
// settings, which only Probot's `Octokit` option can carry (the `probot run` command has none).
const server = await run(app, { Octokit: drillbotOctokit() });

// The engine keeps shadow servers and ready clones between reviews: on SIGTERM (a deploy, `docker
// stop`) they are dropped and stopped before the process ends. What a SIGKILL leaves, the next
// start finds (a postmaster of the cache dir is stopped) or the leak sweeper drops.
process.once('SIGTERM', () => {
  const close = Promise.allSettled([server.stop(), app.deps.engine.close?.()]);
  void Promise.race([close, new Promise((resolve) => setTimeout(resolve, CLOSE_MS).unref())]).then(() => process.exit(0));
});
