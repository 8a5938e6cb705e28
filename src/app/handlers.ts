import type { Context } from 'probot';
import type { AckRecord } from './acks.js';
import { parseCommand, HELP, PRIVILEGED, type Command } from './commands.js';
import type { AppDeps } from './deps.js';
import { explain } from './explain.js';
import { pullOfExternalId } from './github/check-run.js';
import { canWrite } from './github/permissions.js';
import type { Octokit } from './github/octokit.js';
import { CHECK_NAME, REVERSE_ACTION, renderReverseReply } from './render.js';
import type { RerunTask } from './queue.js';
import { enqueueReview, jobKey, type ReviewOutcome } from './review-job.js';

/**
 * The installation an event came from: queued tasks authenticate as it again when they run (maybe
 * in another replica, after a restart). Every event of an installed app carries it.
 */
function installationOf(context: Context): number {
  const id = (context.payload as { installation?: { id?: number } }).installation?.id;
  if (id === undefined) throw new Error(`${context.name} event ${context.id} has no installation; Drillbot only handles events of its installations`);
  return id;
}

/** pull_request opened/synchronize/reopened/ready_for_review: review the head SHA (the delivery id makes a replay add nothing). */
export const onPullRequest = (deps: AppDeps) => async (context: Context<'pull_request'>) => {
  const pr = context.payload.pull_request;
  const target = { ...context.repo(), number: pr.number, headSha: pr.head.sha, baseSha: pr.base.sha };
  await enqueueReview(deps, { installationId: installationOf(context), target }, context.id);
};

/**
 * check_run rerequested / requested_action "rerun": review the pull request again;
 * requested_action "reverse": reply with the proven reverse drafts, as `/drillbot reverse` does.
 * Both need write access, like the commands: a re-run spends a drill and can change the check's
 * outcome. The pull request comes from the check run's external_id (fork pull requests have an
 * empty `pull_requests` list), else from that list.
 */
export const onCheckRun = (deps: AppDeps) => async (context: Context<'check_run'>) => {
  const run = context.payload.check_run;
  if (run.name !== CHECK_NAME) return;
  const action = context.payload.action === 'requested_action' ? context.payload.requested_action?.identifier : 'rerun';
  if (action !== 'rerun' && action !== REVERSE_ACTION.identifier) return;
  const number = pullOfExternalId(run.external_id) ?? run.pull_requests?.[0]?.number;
  if (!number) {
    context.log.warn('check run without a pull request; nothing to do');
    return;
  }
  const installationId = installationOf(context);
  const login = context.payload.sender?.login ?? 'unknown';
  // Both buttons check the permission in their task, as the commands do: the webhook is answered before any request.
  const task = { installationId, repo: context.repo(), login, deliveryId: context.id };
  await deps.queue.add(action === 'rerun' ? { kind: 'rerun', ...task, numbers: [number] } : { kind: 'reverse-button', ...task, number }, context.id);
};

/** A re-run from the queue: writers get their reviews queued, anyone else is told why not. */
export async function pressRerun(
  deps: AppDeps,
  c: Pick<CommandContext, 'installationId' | 'octokit' | 'repo' | 'log' | 'login'>,
  task: RerunTask,
): Promise<void> {
  if (await refusedRerun(c, task.numbers)) return;
  for (const number of task.numbers)
    await enqueueReview(deps, { installationId: c.installationId, target: { ...c.repo, number } }, `rerun-${task.deliveryId}-${number}`);
}

/** The Draft reverse button, from the queue: writers get the drafts, anyone else a short reply. */
export async function pressReverse(deps: AppDeps, c: Omit<CommandContext, 'commentId'>, deliveryId: string): Promise<void> {
  if (!(await canWrite(c.octokit, c.repo, c.login))) {
    await c.octokit.rest.issues.createComment({ ...c.repo, issue_number: c.number, body: refusal(c.login, 'Draft reverse') });
    return;
  }
  await replyReverse(deps, c, `reverse-${deliveryId}`);
}

const refusal = (login: string, what: string) => `@${login}: ${what} needs write access to this repository, so nothing was done.`;

/**
 * A re-run spends a drill and can change the check's outcome: it needs write access. Anyone else
 * is told so on the pull requests concerned, and nothing is queued.
 */
async function refusedRerun(c: Pick<CommandContext, 'octokit' | 'repo' | 'log' | 'login'>, pulls: readonly number[]): Promise<boolean> {
  const { octokit, repo, login } = c;
  if (await canWrite(octokit, repo, login)) return false;
  c.log.info(`drillbot: Re-run by ${login} refused (no write access)`);
  for (const number of pulls) await octokit.rest.issues.createComment({ ...repo, issue_number: number, body: refusal(login, 'Re-run') });
  return true;
}

/** check_suite rerequested ("Re-run all checks"): review every pull request of the suite, for writers. */
export const onCheckSuite = (deps: AppDeps) => async (context: Context<'check_suite'>) => {
  const numbers = (context.payload.check_suite.pull_requests ?? []).map((pr) => pr.number);
  if (numbers.length === 0) return;
  const login = context.payload.sender?.login ?? 'unknown';
  await deps.queue.add({ kind: 'rerun', installationId: installationOf(context), repo: context.repo(), numbers, login, deliveryId: context.id }, context.id);
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
  const login = comment.user?.login ?? 'unknown';
  await deps.queue.add(
    { kind: 'command', installationId: installationOf(context), repo: context.repo(), number: issue.number, commentId: comment.id, login, command },
    context.id,
  );
};

/** A command as it runs from the queue, with an installation client. */
export interface CommandContext {
  readonly installationId: number;
  readonly octokit: Octokit;
  readonly log: Context['log'];
  readonly repo: { owner: string; repo: string };
  readonly number: number;
  readonly commentId: number;
  readonly login: string;
}

/**
 * 👀 on receipt; run/ack/reverse need write access, anyone else gets a short reply and nothing runs.
 * Safe to run again (the Redis queue retries it after a crash): the ack is stored under the
 * comment's id and the reviews it queues carry ids derived from it.
 */
export async function runCommand(deps: AppDeps, c: CommandContext, command: Command): Promise<void> {
  const { octokit, repo, number, login, installationId } = c;
  const reply = (body: string) => octokit.rest.issues.createComment({ ...repo, issue_number: number, body });
  await octokit.rest.reactions.createForIssueComment({ ...repo, comment_id: c.commentId, content: 'eyes' });
  if (PRIVILEGED.has(command.kind) && !(await canWrite(octokit, repo, login))) {
    await reply(refusal(login, `\`/drillbot ${command.kind}\``));
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
      await replyReverse(deps, c, `reverse-${c.commentId}`);
      return;
    case 'run':
      await enqueueReview(deps, { installationId, target }, `run-${c.commentId}`);
      return;
    case 'ack': {
      if (command.target === 'infra') {
        await reply(`@${login}: an \`infra\` failure means the review did not complete; it cannot be acknowledged. Re-run it with \`/drillbot run\`.`);
        return;
      }
      // The review job stores it in the sticky comment (binding it to the statements it covers)
      // and re-evaluates the last report of the head commit; it does not interrupt a running review.
      const ack: AckRecord = { target: command.target, reason: command.reason, by: `@${login}`, at: deps.now().toISOString() };
      await deps.pendingAcks.add(jobKey(target), String(c.commentId), ack);
      c.log.info({ ack }, 'acknowledgement received');
      await enqueueReview(deps, { installationId, target, reuseReport: true, supersede: false }, `ack-${c.commentId}`);
      return;
    }
  }
}

/**
 * `/drillbot reverse` and the Draft reverse button: replies with the proven reverse drafts of the
 * latest review of the pull request's head, or says why none could be offered. Without a cached
 * report of the head, the review job runs again (not interrupting one in progress) and the reply
 * follows it.
 */
async function replyReverse(deps: AppDeps, c: Omit<CommandContext, 'commentId'>, id: string): Promise<void> {
  const { octokit, repo, number, login } = c;
  const reply = async (body: string) => void (await octokit.rest.issues.createComment({ ...repo, issue_number: number, body }));
  const { data: pull } = await octokit.rest.pulls.get({ ...repo, pull_number: number });
  const target = { ...repo, number, headSha: pull.head.sha, baseSha: pull.base.sha };
  const cached = deps.reports.get(`${jobKey(target)}@${pull.head.sha}`);
  if (cached) return reply(renderReverseReply(cached.report, pull.head.sha, login));
  await enqueueReview(deps, { installationId: c.installationId, target, reuseReport: true, supersede: false, replyReverseTo: login }, id);
}

/** The reply to `/drillbot reverse` once the review it queued has ended. */
export function reverseReplyAfter(outcome: ReviewOutcome, login: string): string {
  switch (outcome.kind) {
    case 'reviewed':
      return renderReverseReply(outcome.report, outcome.headSha, login);
    case 'no-migration-change':
      return `@${login}: no migration changed on \`${outcome.headSha.slice(0, 12)}\`, so there is no reverse to draft.`;
    case 'superseded':
      return `@${login}: a newer push superseded the review before a reverse could be drafted. Comment \`/drillbot reverse\` again once its check run completes.`;
    case 'failed':
      return `@${login}: the review did not complete (${outcome.message}), so no reverse could be drafted. See the **Drillbot** check run; \`/drillbot run\` tries again.`;
  }
}
