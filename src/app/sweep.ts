import type { Logger, Probot } from 'probot';
import type { AppDeps, SweepOptions } from './deps.js';
import type { Octokit, RepoRef } from './github/octokit.js';
import { isOurRun } from './github/check-run.js';
import { CHECK_NAME } from './render.js';
import { failClosed } from './review-job.js';

type SweepDeps = Pick<AppDeps, 'appId' | 'activeChecks' | 'retry'>;

/**
 * Runs the sweep at start and then every `intervalMs` (in the background, so the server listens
 * at once). A sweep still running when the next is due is not doubled; a failed sweep
 * (GitHub unreachable, listing installations failed) is logged and tried again at the next tick.
 */
export function startSweep(app: Probot, deps: SweepDeps, options: SweepOptions): void {
  let running = false;
  const tick = () => {
    if (running || options.signal?.aborted) return;
    running = true;
    void sweepAbandonedRuns(app, app.log, deps, options.staleAfterMs)
      .then(
        (n) => void (n > 0 && app.log.info(`drillbot: completed ${n} abandoned check run(s)`)),
        (error) => app.log.warn({ err: error }, 'drillbot: the sweep for abandoned check runs failed; trying again at the next one'),
      )
      .finally(() => (running = false));
  };
  tick();
  const timer = setInterval(tick, options.intervalMs);
  // The sweep alone never keeps the process alive.
  timer.unref();
  options.signal?.addEventListener('abort', () => clearInterval(timer), { once: true });
}

/**
 * Completes Drillbot check runs left queued or in progress with no review behind them: the
 * process crashed or restarted, or GitHub could not be reached long enough to complete them. A
 * required check that stays pending blocks the merge with no explanation, so each becomes
 * `failure` with an infra summary and the Re-run button. A run is left alone while a review of
 * this process owns it (`activeChecks`) or while it is younger than `staleAfterMs` (a review of
 * another process may own it). GitHub has no endpoint listing an app's check runs across a
 * repository, so this walks the open pull requests of every installation, most recently updated
 * first, bounded by `maxPulls`. One failing installation or repository does not stop the others.
 */
export async function sweepAbandonedRuns(app: Probot, log: Logger, deps: SweepDeps, staleAfterMs: number, maxPulls = 500): Promise<number> {
  const appOctokit = (await app.auth()) as Octokit;
  const installations = await appOctokit.paginate(appOctokit.rest.apps.listInstallations, { per_page: 100 });
  const budget = { pulls: maxPulls };
  let completed = 0;
  for (const installation of installations) {
    if (budget.pulls < 0) break;
    try {
      const octokit = (await app.auth(installation.id)) as Octokit;
      const repos = await octokit.paginate(octokit.rest.apps.listReposAccessibleToInstallation, { per_page: 100 });
      for (const r of repos) {
        if (budget.pulls < 0) break;
        const repo = { owner: r.owner.login, repo: r.name };
        completed += await sweepRepo(octokit, repo, deps, staleAfterMs, budget).catch((error) => {
          log.warn({ err: error }, `drillbot: could not sweep ${repo.owner}/${repo.repo}`);
          return 0;
        });
      }
    } catch (error) {
      log.warn({ err: error }, `drillbot: could not sweep installation ${installation.id}`);
    }
  }
  if (budget.pulls < 0) log.warn(`drillbot: the sweep stopped after ${maxPulls} pull requests`);
  return completed;
}

async function sweepRepo(octokit: Octokit, repo: RepoRef, deps: SweepDeps, staleAfterMs: number, budget: { pulls: number }): Promise<number> {
  const pulls = await octokit.paginate(octokit.rest.pulls.list, { ...repo, state: 'open', sort: 'updated', direction: 'desc', per_page: 100 });
  let completed = 0;
  for (const pull of pulls) {
    if (--budget.pulls < 0) break;
    // filter=all: a duplicate left in progress hides behind a newer run under `latest`.
    const runs = await octokit.paginate(octokit.rest.checks.listForRef, { ...repo, ref: pull.head.sha, check_name: CHECK_NAME, filter: 'all', per_page: 100 });
    for (const run of runs.filter((c) => c.status !== 'completed' && isOurRun(c, deps.appId))) {
      if (!isAbandoned(run, deps.activeChecks, staleAfterMs)) continue;
      await failClosed(
        octokit,
        repo,
        { id: run.id },
        new Error(
          'the review was interrupted: its check run stayed in progress with no review running (Drillbot restarted, or could not reach GitHub to complete it)',
        ),
        deps.retry,
      );
      completed += 1;
    }
  }
  return completed;
}

/** No review of this process owns the run, and it started longer ago than any review may take. */
function isAbandoned(run: { id: number; started_at: string | null }, active: ReadonlySet<number>, staleAfterMs: number): boolean {
  if (active.has(run.id)) return false;
  const started = run.started_at ? Date.parse(run.started_at) : Number.NaN;
  return Number.isNaN(started) || Date.now() - started >= staleAfterMs;
}
