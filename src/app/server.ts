import { run } from 'probot';
import app from './index.js';
import { drillbotOctokit } from './github/octokit.js';

// `npm start`: Probot's server (as `probot run` starts it) with Drillbot's retry and throttling
// settings, which only Probot's `Octokit` option can carry (the `probot run` command has none).
await run(app, { Octokit: drillbotOctokit() });
