import type { Logger, Probot } from 'probot';
import { failClosed } from './review-job.js';
import type { Octokit } from './github/octokit.js';
import { CHECK_NAME } from './render.js';

/**
 * Completes Drillbot check runs that a crash or restart left queued or in progress: their review
 * is gone with the old process, and a required check that stays pending blocks the merge with no
 * explanation. Each becomes `failure` with an infra summary and the Re-run button. GitHub has no
 * endpoint listing an app's check runs across a repository, so this walks the open pull requests
 * of every installation: bounded by `maxPulls` so a large installation does not delay anything.
 */
export async function completeInterruptedRuns(app: Probot, log: Logger, appId: number | undefined, active: ReadonlySet<number>, maxPulls = 500): Promise<number> {
  const appOctokit = (await app.auth()) as Octokit;
  const installations = await appOctokit.paginate(appOctokit.rest.apps.listInstallations, { per_page: 100 });
  let completed = 0;
  let seen = 0;
  for (const installation of installations) {
    const octokit = (await app.auth(installation.id)) as Octokit;
    const repos = await octokit.paginate(octokit.rest.apps.listReposAccessibleToInstallation, { per_page: 100 });
    for (const r of repos) {
      const repo = { owner: r.owner.login, repo: r.name };
      const pulls = await octokit.paginate(octokit.rest.pulls.list, { ...repo, state: 'open', per_page: 100 });
      for (const pull of pulls) {
        if (++seen > maxPulls) {
          log.warn(`drillbot: stopped looking for interrupted check runs after ${maxPulls} pull requests`);
          return completed;
        }
        for (const status of ['in_progress', 'queued'] as const) {
          const { data } = await octokit.rest.checks.listForRef({ ...repo, ref: pull.head.sha, check_name: CHECK_NAME, status, per_page: 100 });
          for (const run of data.check_runs.filter((c) => appId === undefined || !c.app || c.app.id === appId)) {
            // A run this process has picked up again (a new delivery since the start) is not stale.
            if (active.has(run.id)) continue;
            await failClosed(octokit, repo, { id: run.id }, new Error('the review was interrupted (Drillbot restarted while it ran)'));
            completed += 1;
          }
        }
      }
    }
  }
  return completed;
}
