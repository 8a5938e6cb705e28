import type { Logger } from 'probot';
import { isDrillbotError, loadBaseline, loadConfig, loadQueries, loadTableSizes, redact, undrilledReport, type Report } from '../core/index.js';
import { apiReader } from './github/change-set.js';
import { applyAcks, statementHash } from './acks.js';
import type { AppDeps } from './deps.js';
import type { ReviewTask } from './queue.js';
import { changeSetFromGitHub } from './github/change-set.js';
import { withHeadCode } from './github/head-code.js';
import type { Octokit, RepoRef, RetryPolicy } from './github/octokit.js';
import { beginCheckRun, completeCheckRun, progressCheckRun, type CheckRunRef } from './github/check-run.js';
import { defaultBranchSource } from './github/default-branch.js';
import { findingKey, postReview } from './github/review-comments.js';
import { findSticky, writeSticky } from './github/sticky.js';
import {
  actionsOf,
  annotationsOf,
  conclusionOf,
  RERUN_ACTION,
  renderStickyMarkdown,
  renderSummary,
  reviewComments,
  titleOf,
  type ReviewContext,
} from './render.js';

/** A pull request to review, as the handlers learn it from an event. */
export interface ReviewTarget {
  readonly owner: string;
  readonly repo: string;
  readonly number: number;
  /** Known from pull_request events; fetched otherwise. */
  readonly headSha?: string;
  readonly baseSha?: string;
}

export interface ReviewJob {
  readonly target: ReviewTarget;
  readonly octokit: Octokit;
  readonly log: Logger;
  /** Re-evaluate the last report of the head SHA (after an ack) instead of drilling again, when it is cached. */
  readonly reuseReport?: boolean;
  /** Called once the job ends, however it ends (`/drillbot reverse` replies from the report). */
  readonly onDone?: (outcome: ReviewOutcome) => Promise<void>;
}

/** How a review job ended. */
export type ReviewOutcome =
  | { readonly kind: 'reviewed'; readonly headSha: string; readonly report: Report }
  | { readonly kind: 'no-migration-change'; readonly headSha: string; readonly reason: string }
  | { readonly kind: 'superseded' }
  | { readonly kind: 'failed'; readonly message: string };

/** The queue key of a pull request: one review at a time per pull request. */
export const jobKey = (t: Pick<ReviewTarget, 'owner' | 'repo' | 'number'>) => `${t.owner}/${t.repo}#${t.number}`;

/**
 * Queues a review; the webhook handler returns once it is stored. `id` (the delivery id, or one
 * derived from the command's comment) makes a replayed delivery or a retried command add nothing.
 */
export async function enqueueReview(deps: AppDeps, request: Omit<ReviewTask, 'kind'>, id?: string): Promise<void> {
  await deps.queue.add({ kind: 'review', ...request }, id);
}

/**
 * Reviews a pull request from the queue and publishes the result: check run (always completed,
 * failing closed on any error), inline review comments, the sticky summary comment. A superseded
 * job (a newer push) stops publishing as soon as it notices. Errors before the check run exists
 * (the pull request is gone, GitHub unreachable) are thrown: the Redis queue retries them.
 */
export async function runReviewJob(job: ReviewJob, deps: AppDeps, signal: AbortSignal): Promise<void> {
  let outcome: ReviewOutcome = { kind: 'failed', message: 'the review could not start' };
  try {
    outcome = await reviewAndPublish(job, deps, signal);
  } catch (error) {
    outcome = { kind: 'failed', message: redact(error instanceof Error ? error.message : String(error)) };
    throw error;
  } finally {
    await job.onDone?.(outcome).catch((error) => job.log.error({ err: error }, 'drillbot: reply after the review failed'));
  }
}

async function reviewAndPublish(job: ReviewJob, deps: AppDeps, signal: AbortSignal): Promise<ReviewOutcome> {
  const { octokit, log } = job;
  const repo = { owner: job.target.owner, repo: job.target.repo };
  const number = job.target.number;
  let { headSha, baseSha } = job.target;
  if (!headSha || !baseSha) {
    const { data } = await octokit.rest.pulls.get({ ...repo, pull_number: number });
    headSha = data.head.sha;
    baseSha = data.base.sha;
  }
  const check = await beginCheckRun(octokit, repo, headSha, number, deps.appId, deps.retry, log);
  // Until the job ends, the sweep leaves this run alone; afterwards it completes it if we could not.
  deps.activeChecks.add(check.id);
  try {
    return await publishReview(job, deps, signal, { repo, number, headSha, baseSha, check });
  } finally {
    deps.activeChecks.delete(check.id);
  }
}

/** The review of a pull request whose check run is in progress: drill (or reuse), then publish. */
async function publishReview(
  job: ReviewJob,
  deps: AppDeps,
  signal: AbortSignal,
  { repo, number, headSha, baseSha, check }: { repo: RepoRef; number: number; headSha: string; baseSha: string; check: CheckRunRef },
): Promise<ReviewOutcome> {
  const { octokit, log } = job;
  const complete = (result: Parameters<typeof completeCheckRun>[3]) => completeCheckRun(octokit, repo, check, result, deps.retry, log);
  const progress = throttledProgress(octokit, repo, check, log);
  // A superseded review publishes nothing more; its check run is retired if nobody takes it over.
  const abandon = async (): Promise<ReviewOutcome> => {
    await progress.stop();
    await retire(octokit, repo, check, headSha, signal, deps.retry).catch((error) => log.warn({ err: error }, 'could not retire a superseded check run'));
    return { kind: 'superseded' };
  };
  try {
    const source = defaultBranchSource(octokit, repo);
    const config = await loadConfig(source);
    if (signal.aborted) return abandon();
    const cacheKey = `${jobKey(job.target)}@${headSha}`;
    let evaluated = job.reuseReport ? deps.reports.get(cacheKey) : undefined;
    if (!evaluated) {
      const result = await changeSetFromGitHub(octokit, { ...repo, number, headSha, baseSha }, config);
      if (signal.aborted) return abandon();
      if (result.kind === 'no-migration-change') {
        await progress.stop();
        await complete({
          conclusion: 'neutral',
          output: { title: result.title ?? 'No migration changed', summary: result.reason },
          annotations: [],
          actions: [],
        });
        // A summary comment from an earlier push must not keep showing findings that are gone.
        const sticky = await findSticky(octokit, repo, number, deps.appId);
        if (sticky.id !== null)
          await writeSticky(octokit, repo, number, sticky, renderStickyMarkdown(null, `➖ ${result.reason}`, sticky.state.acks), sticky.state);
        return { kind: 'no-migration-change', headSha, reason: result.reason };
      }
      if (result.kind === 'undrilled') {
        evaluated = {
          report: undrilledReport(result.paths, result.root),
          root: result.root ?? '',
          baseSha: result.baseSha,
          files: new Map(),
          hunks: result.hunks,
          filesTruncated: result.filesTruncated,
        };
      } else {
        const [tableSizes, baseline, queries] = await Promise.all([
          loadTableSizes(source, config),
          loadBaseline(source, config),
          loadQueries(source, config, { reader: apiReader(octokit, repo), commit: result.baseSha }),
        ]);
        progress.report(`Drilling the change in \`${result.root || '.'}\`…`);
        const report = await deps.engine.review({
          changeSet: await withHeadCode(result.reader, headSha, result.changeSet),
          config,
          tableSizes,
          baseline,
          queries,
          onProgress: (m) => progress.report(redact(m)),
          signal,
        });
        evaluated = { report, root: result.root, baseSha: result.baseSha, files: result.files, hunks: result.hunks, filesTruncated: result.filesTruncated };
      }
      // Even a superseded drill's report is right for its SHA; keep it for a later ack.
      deps.reports.set(cacheKey, evaluated);
    }
    if (signal.aborted) return abandon();
    await progress.stop();
    const sticky = await findSticky(octokit, repo, number, deps.appId);
    const pending = await deps.pendingAcks.list(jobKey(job.target));
    const applied = applyAcks(evaluated.report, [...sticky.state.acks, ...pending.map((p) => p.ack)], evaluated.files);
    const report = applied.report;
    const ctx: ReviewContext = { headSha, baseSha: evaluated.baseSha, migrationsRoot: evaluated.root, filesTruncated: evaluated.filesTruncated };
    const { comments, outside } = reviewComments(report, evaluated.hunks, (f) =>
      findingKey(f, statementHash(evaluated!.files.get(f.path), f.line, f.endLine ?? f.line)),
    );
    const conclusion = conclusionOf(report);
    await complete({
      conclusion,
      output: { title: titleOf(report), summary: renderSummary(report, { ...ctx, outsideDiff: outside }) },
      annotations: annotationsOf(report),
      actions: actionsOf(report),
    });
    const reviewed: ReviewOutcome = { kind: 'reviewed', headSha, report };
    if (signal.aborted) return reviewed;
    await postReview(octokit, repo, number, headSha, comments, reviewBody(report, comments.length, outside), deps.retry, log);
    if (deps.summaryComment === 'always' || sticky.id !== null || applied.acks.length > 0) {
      await writeSticky(octokit, repo, number, sticky, renderStickyMarkdown(report, headline(report), applied.acks), { acks: applied.acks });
    }
    // Now stored in the sticky comment (or answered below as unmatched).
    await deps.pendingAcks.remove(
      jobKey(job.target),
      pending.map((p) => p.id),
    );
    for (const ack of applied.unmatched) {
      await octokit.rest.issues.createComment({
        ...repo,
        issue_number: number,
        body: `${ack.by}: \`/drillbot ack ${ack.target}\` matches no open finding on ${headSha.slice(0, 12)}, so nothing was acknowledged. Use a hazard or rule id from the Drillbot check run.`,
      });
    }
    return reviewed;
  } catch (error) {
    if (signal.aborted) return abandon();
    await progress.stop();
    log.error({ err: error }, 'drillbot review failed');
    await failClosed(octokit, repo, check, error, deps.retry, log);
    return { kind: 'failed', message: redact(error instanceof Error ? error.message : String(error)) };
  }
}

/** Why a running review was aborted: a newer one for the pull request, maybe on another commit. */
export class Superseded extends Error {
  constructor(readonly headSha: string | undefined) {
    super(`superseded by a newer review${headSha ? ` of ${headSha.slice(0, 12)}` : ''}`);
  }
}

/**
 * Completes the check run of a superseded review when the newer review is for another commit:
 * nobody else would, and a run left in progress on an old commit never ends. (On the same commit
 * the newer review takes the same check run over.)
 */
async function retire(octokit: Octokit, repo: RepoRef, check: CheckRunRef, headSha: string, signal: AbortSignal, retry: RetryPolicy): Promise<void> {
  const newer = signal.reason instanceof Superseded ? signal.reason.headSha : undefined;
  if (!newer || newer === headSha) return;
  await completeCheckRun(
    octokit,
    repo,
    check,
    {
      conclusion: 'cancelled',
      output: { title: 'Superseded by a newer push', summary: `A newer commit (\`${newer.slice(0, 12)}\`) was pushed; Drillbot reviews that one instead.` },
      annotations: [],
      actions: [],
    },
    retry,
  );
}

/** Ends the check run as failure with an infra summary and a Re-run button. */
export async function failClosed(octokit: Octokit, repo: RepoRef, check: CheckRunRef, error: unknown, retry: RetryPolicy, log?: Logger): Promise<void> {
  const message = redact(error instanceof Error ? error.message : String(error));
  const config = isDrillbotError(error) && error.code === 'config-invalid';
  const summary = config
    ? `**Configuration error:** ${message}\n\nFix \`.github/drillbot.yml\` on the default branch, then press **Re-run**. Unknown keys and invalid values are errors so that a typo never weakens the review.`
    : `**Infra:** Drillbot could not complete the review, so the check fails closed: ${message}${isDrillbotError(error) ? '' : ' (unexpected error)'}.\n\nPress **Re-run** (or comment \`/drillbot run\`) to try again.`;
  await completeCheckRun(
    octokit,
    repo,
    check,
    {
      conclusion: 'failure',
      output: { title: config ? 'Invalid .github/drillbot.yml' : 'Drillbot could not complete the review (infra)', summary },
      annotations: [],
      actions: [RERUN_ACTION],
    },
    retry,
    log,
  );
}

function headline(report: Report): string {
  return `${conclusionOf(report) === 'failure' ? '❌' : '✅'} ${titleOf(report)}`;
}

function reviewBody(report: Report, inline: number, outside: number): string {
  const open = report.findings.filter((f) => !f.acknowledged).length;
  return `Drillbot: ${open} open finding${open === 1 ? '' : 's'}; ${inline} on lines of this diff are commented inline${outside > 0 ? `, ${outside} outside the diff are annotations of the Drillbot check run` : ''}.`;
}

/** Shows the engine's progress in the check run, at most every few seconds, never after completion. */
function throttledProgress(octokit: Octokit, repo: { owner: string; repo: string }, check: CheckRunRef, log: Logger, everyMs = 5000) {
  let last = 0;
  let inFlight: Promise<void> = Promise.resolve();
  let stopped = false;
  return {
    report(message: string) {
      const now = Date.now();
      if (stopped || now - last < everyMs) return;
      last = now;
      inFlight = inFlight
        .then(() => (stopped ? undefined : progressCheckRun(octokit, repo, check, message)))
        .catch((error) => log.warn({ err: error }, 'progress update failed'));
    },
    async stop() {
      stopped = true;
      await inFlight;
    },
  };
}
