import type { Context } from 'probot';
import type { AckRecord } from './acks.js';
import { parseCommand, HELP, PRIVILEGED, type Command } from './commands.js';
import type { AppDeps } from './deps.js';
import { explain } from './explain.js';
import { canWrite, pullOfExternalId } from './github/publish.js';
import type { Octokit } from './github/octokit.js';
import { CHECK_NAME, REVERSE_ACTION, renderReverseReply } from './render.js';
import { enqueueReview, jobKey, type ReviewOutcome } from './review-job.js';

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
  const c = { octokit: context.octokit as Octokit, log: context.log, repo: context.repo(), number, login: context.payload.sender?.login ?? 'unknown' };
  const what = action === 'rerun' ? 'Re-run' : 'Draft reverse';
  deps.queue.run(() =>
    ifWriter(c, [number], what, () => (action === 'rerun' ? enqueueReview(deps, { target: { ...c.repo, number }, octokit: c.octokit, log: c.log }) : replyReverse(deps, c))),
  );
};

const refusal = (login: string, what: string) => `@${login}: ${what} needs write access to this repository, so nothing was done.`;

/**
 * Runs `action` when the user who pressed a button has write access; otherwise it says so on
 * the pull requests concerned and does nothing. Errors are logged: there is nobody else to tell.
 */
async function ifWriter(c: Omit<CommandContext, 'commentId' | 'number'>, pulls: readonly number[], what: string, action: () => void | Promise<void>): Promise<void> {
  const { octokit, repo, login } = c;
  try {
    if (await canWrite(octokit, repo, login)) return await action();
    c.log.info(`drillbot: ${what} by ${login} refused (no write access)`);
    for (const number of pulls) await octokit.rest.issues.createComment({ ...repo, issue_number: number, body: refusal(login, what) });
  } catch (error) {
    c.log.error({ err: error }, `drillbot: ${what} failed`);
  }
}

/** check_suite rerequested ("Re-run all checks"): review every pull request of the suite, for writers. */
export const onCheckSuite = (deps: AppDeps) => async (context: Context<'check_suite'>) => {
  const pulls = (context.payload.check_suite.pull_requests ?? []).map((pr) => pr.number);
  if (pulls.length === 0) return;
  const c = { octokit: context.octokit as Octokit, log: context.log, repo: context.repo(), login: context.payload.sender?.login ?? 'unknown' };
  deps.queue.run(() =>
    ifWriter(c, pulls, 'Re-run', () => {
      for (const number of pulls) enqueueReview(deps, { target: { ...c.repo, number }, octokit: c.octokit, log: c.log });
    }),
  );
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
      await replyReverse(deps, c);
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

/**
 * `/drillbot reverse` and the Draft reverse button: replies with the proven reverse drafts of the
 * latest review of the pull request's head, or says why none could be offered. Without a cached
 * report of the head, the review job runs again (not interrupting one in progress) and the reply
 * follows it.
 */
async function replyReverse(deps: AppDeps, c: Omit<CommandContext, 'commentId'>): Promise<void> {
  const { octokit, repo, number, login } = c;
  const reply = async (body: string) => void (await octokit.rest.issues.createComment({ ...repo, issue_number: number, body }));
  const { data: pull } = await octokit.rest.pulls.get({ ...repo, pull_number: number });
  const target = { ...repo, number, headSha: pull.head.sha, baseSha: pull.base.sha };
  const cached = deps.reports.get(`${jobKey(target)}@${pull.head.sha}`);
  if (cached) return reply(renderReverseReply(cached.report, pull.head.sha, login));
  enqueueReview(deps, { target, octokit, log: c.log, reuseReport: true, supersede: false, onDone: (outcome) => reply(reverseReplyAfter(outcome, login)) });
}

function reverseReplyAfter(outcome: ReviewOutcome, login: string): string {
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
