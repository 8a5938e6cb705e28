import type { Probot } from 'probot';
import type { AppDeps } from './deps.js';
import type { Octokit } from './github/octokit.js';
import { pressRerun, pressReverse, reverseReplyAfter, runCommand } from './handlers.js';
import type { ReviewTask, Task, TaskRunner } from './queue.js';
import { jobKey, runReviewJob } from './review-job.js';

/**
 * Runs the queue's tasks in this replica: each authenticates as its installation (the webhook's
 * client is gone when a task runs after a restart or in another replica).
 */
export function taskRunner(app: Probot, deps: AppDeps): TaskRunner {
  const octokitFor = async (installationId: number) => (await app.auth(installationId)) as Octokit;
  return {
    async isStale(task: ReviewTask): Promise<boolean> {
      const { headSha, owner, repo, number } = task.target;
      if (!headSha) return false;
      const octokit = await octokitFor(task.installationId);
      const { data } = await octokit.rest.pulls.get({ owner, repo, pull_number: number });
      if (data.head.sha === headSha) return false;
      app.log.info(`drillbot: ${jobKey(task.target)} is at ${data.head.sha.slice(0, 12)} now; the late delivery for ${headSha.slice(0, 12)} reviews nothing`);
      return true;
    },

    async run(task: Task, signal: AbortSignal): Promise<void> {
      const octokit = await octokitFor(task.installationId);
      switch (task.kind) {
        case 'review': {
          const log = app.log.child({ pull: jobKey(task.target) });
          const login = task.replyReverseTo;
          const reply = async (body: string) =>
            void (await octokit.rest.issues.createComment({ owner: task.target.owner, repo: task.target.repo, issue_number: task.target.number, body }));
          log.info('drillbot: review started');
          return runReviewJob(
            {
              target: task.target,
              octokit,
              log,
              reuseReport: task.reuseReport,
              onDone: login ? (outcome) => reply(reverseReplyAfter(outcome, login)) : undefined,
            },
            deps,
            signal,
          );
        }
        case 'command': {
          const log = app.log.child({ pull: jobKey({ ...task.repo, number: task.number }) });
          return runCommand(deps, { ...task, octokit, log }, task.command);
        }
        case 'reverse-button': {
          const log = app.log.child({ pull: jobKey({ ...task.repo, number: task.number }) });
          return pressReverse(deps, { ...task, octokit, log }, task.deliveryId);
        }
        case 'rerun':
          return pressRerun(deps, { ...task, octokit, log: app.log }, task);
      }
    },
  };
}
