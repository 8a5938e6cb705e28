import type { Context } from 'probot';
import type { AckRecord } from './acks.js';
import { parseCommand, HELP, PRIVILEGED, type Command } from './commands.js';
import type { AppDeps } from './deps.js';
import { explain } from './explain.js';
import { canWrite } from './github/publish.js';
import type { Octokit } from './github/octokit.js';
import { CHECK_NAME } from './render.js';
import { enqueueReview, jobKey } from './review-job.js';

/** pull_request opened/synchronize/reopened/ready_for_review: review the head SHA. */
export const onPullRequest = (deps: AppDeps) => async (context: Context<'pull_request'>) => {
  const pr = context.payload.pull_request;
  enqueueReview(deps, {
    target: { ...context.repo(), number: pr.number, headSha: pr.head.sha, baseSha: pr.base.sha },
    octokit: context.octokit as Octokit,
    log: context.log,
  });
};

/**
 * check_run rerequested / requested_action "rerun": review the pull request again. The pull
 * request comes from the check run's external_id (fork pull requests have an empty
 * `pull_requests` list), else from that list.
 */
export const onCheckRun = (deps: AppDeps) => async (context: Context<'check_run'>) => {
  const run = context.payload.check_run;
  if (run.name !== CHECK_NAME) return;
  if (context.payload.action === 'requested_action' && context.payload.requested_action?.identifier !== 'rerun') return;
  const number = Number(run.external_id) || run.pull_requests?.[0]?.number;
  if (!number) {
    context.log.warn('check run without a pull request; nothing to re-run');
    return;
  }
  enqueueReview(deps, { target: { ...context.repo(), number }, octokit: context.octokit as Octokit, log: context.log });
};

/** check_suite rerequested: review every pull request of the suite. */
export const onCheckSuite = (deps: AppDeps) => async (context: Context<'check_suite'>) => {
  for (const pr of context.payload.check_suite.pull_requests ?? []) {
    enqueueReview(deps, { target: { ...context.repo(), number: pr.number }, octokit: context.octokit as Octokit, log: context.log });
  }
};

/**
 * issue_comment created on a pull request: slash-commands. Bots are ignored, and so are edits
 * (only `created` is handled). The webhook is answered at once: the command runs in the
 * background, since GitHub's secondary rate limits space out comment writes by seconds.
 */
export const onIssueComment = (deps: AppDeps) => async (context: Context<'issue_comment.created'>) => {
  if (context.isBot) return;
  const { issue, comment } = context.payload;
  if (!issue.pull_request) return;
  const command = parseCommand(comment.body);
  if (!command) return;
  const octokit = context.octokit as Octokit;
  const login = comment.user?.login ?? 'unknown';
  deps.queue.run(() =>
    runCommand(deps, { octokit, log: context.log, repo: context.repo(), number: issue.number, commentId: comment.id, login }, command).catch((error) =>
      context.log.error({ err: error }, `drillbot: /drillbot ${command.kind} failed`),
    ),
  );
};

interface CommandContext {
  readonly octokit: Octokit;
  readonly log: Context['log'];
  readonly repo: { owner: string; repo: string };
  readonly number: number;
  readonly commentId: number;
  readonly login: string;
}

/** 👀 on receipt; run/ack/reverse need write access, anyone else gets a short reply and nothing runs. */
async function runCommand(deps: AppDeps, c: CommandContext, command: Command): Promise<void> {
  const { octokit, repo, number, login } = c;
  const reply = (body: string) => octokit.rest.issues.createComment({ ...repo, issue_number: number, body });
  await octokit.rest.reactions.createForIssueComment({ ...repo, comment_id: c.commentId, content: 'eyes' });
  if (PRIVILEGED.has(command.kind) && !(await canWrite(octokit, repo, login))) {
    await reply(`@${login}: \`/drillbot ${command.kind}\` needs write access to this repository, so nothing was done.`);
    return;
  }
  const target = { ...repo, number };
  switch (command.kind) {
    case 'help':
      await reply(HELP);
      return;
    case 'invalid':
      await reply(`${command.problem}\n\n${HELP}`);
      return;
    case 'explain': {
      const text = await explain(command.target, deps.docsDir);
      await reply(text ?? `\`${command.target}\` is neither a Drillbot rule id nor a hazard. Rule ids are the names of the pages in \`docs/rules/\`.`);
      return;
    }
    case 'reverse':
      await reply('Drafting a reverse migration is not available yet (tracked in issue #5). Write the down migration by hand; the drill checks that it restores the schema.');
      return;
    case 'run':
      enqueueReview(deps, { target, octokit, log: c.log });
      return;
    case 'ack': {
      if (command.target === 'infra') {
        await reply(`@${login}: an \`infra\` failure means the review did not complete; it cannot be acknowledged. Re-run it with \`/drillbot run\`.`);
        return;
      }
      // The review job stores it in the sticky comment (binding it to the statements it covers)
      // and re-evaluates the last report of the head commit; it does not interrupt a running review.
      const ack: AckRecord = { target: command.target, reason: command.reason, by: `@${login}`, at: deps.now().toISOString() };
      const key = jobKey(target);
      deps.pendingAcks.set(key, [...(deps.pendingAcks.get(key) ?? []), ack]);
      c.log.info({ ack }, 'acknowledgement received');
      enqueueReview(deps, { target, octokit, log: c.log, reuseReport: true, supersede: false });
      return;
    }
  }
}
