import type { Logger } from 'probot';
import { CHECK_NAME, LIMITS, batches, type Annotation, type CheckAction, type CheckOutput, type Conclusion } from '../render.js';
import { isTransient, withRetries, type Octokit, type RepoRef, type RetryPolicy } from './octokit.js';

/** A check run we own on a head SHA. */
export interface CheckRunRef {
  readonly id: number;
}

/**
 * The check run's `external_id`: the pull request and the head SHA of the review job. It finds the
 * run again after a creation whose answer was lost, and names the pull request in check_run events
 * (fork pull requests come with an empty `pull_requests` list).
 */
export const checkRunExternalId = (pullNumber: number, headSha: string) => `${pullNumber}@${headSha}`;

/** The pull request named by a check run's `external_id` (also the bare number earlier versions wrote). */
export function pullOfExternalId(externalId: string | null | undefined): number | undefined {
  const match = /^(\d+)(?:@[0-9a-f]+)?$/.exec(externalId ?? '');
  return match ? Number(match[1]) : undefined;
}

type ListedRun = { id: number; name: string; status: string; external_id: string | null; app?: { id: number } | null };

/** Ours: Drillbot's name, our app (when GitHub says which), and not another app's check of the same name. */
export const isOurRun = (run: Pick<ListedRun, 'name' | 'app'>, appId: number | undefined) =>
  run.name === CHECK_NAME && (appId === undefined || !run.app || run.app.id === appId);

/**
 * Finds the Drillbot check run of this pull request's head SHA (duplicate deliveries and re-runs
 * update it) or creates one. Idempotent, so it is retried as a whole: each attempt looks the run
 * up by `external_id` first, and the creation itself is never retried blindly by plugin-retry, so
 * a creation that succeeded although GitHub answered an error is found, not repeated. Duplicates
 * found all the same (two creations racing) are completed as `cancelled`, and the newest is used.
 */
export async function beginCheckRun(
  octokit: Octokit,
  repo: RepoRef,
  headSha: string,
  pullNumber: number,
  appId: number | undefined,
  retry: RetryPolicy,
  log?: Logger,
): Promise<CheckRunRef> {
  const externalId = checkRunExternalId(pullNumber, headSha);
  const output = { title: 'Drilling…', summary: 'Reading the change and the configuration.' };
  return withRetries(
    'starting the check run',
    async () => {
      // filter=all: `latest` would hide an older duplicate.
      const runs = await octokit.paginate(octokit.rest.checks.listForRef, { ...repo, ref: headSha, check_name: CHECK_NAME, filter: 'all', per_page: 100 });
      const mine = runs.filter((r) => isOurRun(r, appId) && pullOfExternalId(r.external_id) === pullNumber).sort((a, b) => b.id - a.id);
      const now = new Date().toISOString();
      if (mine.length === 0) {
        const { data } = await octokit.rest.checks.create({
          ...repo,
          name: CHECK_NAME,
          head_sha: headSha,
          status: 'in_progress',
          started_at: now,
          external_id: externalId,
          output,
          request: { retries: 0 },
        });
        return { id: data.id };
      }
      const [keep, ...duplicates] = mine;
      // started_at is renewed: the sweep tells a live review from an abandoned one by its age.
      await octokit.rest.checks.update({ ...repo, check_run_id: keep.id, status: 'in_progress', started_at: now, output, external_id: externalId });
      for (const dup of duplicates.filter((d) => d.status !== 'completed')) {
        const summary = `A duplicate of check run ${keep.id}, which carries this review (created twice when GitHub answered an error to a creation that had succeeded).`;
        await octokit.rest.checks.update({
          ...repo,
          check_run_id: dup.id,
          conclusion: 'cancelled',
          completed_at: now,
          output: { title: 'Duplicate check run', summary },
        });
      }
      return { id: keep.id };
    },
    retry,
    log,
  );
}

/** Shows progress in the running check run's output. */
export async function progressCheckRun(octokit: Octokit, repo: RepoRef, check: CheckRunRef, summary: string): Promise<void> {
  await octokit.rest.checks.update({
    ...repo,
    check_run_id: check.id,
    status: 'in_progress',
    output: { title: 'Drilling…', summary: summary.slice(0, LIMITS.summary) },
  });
}

/**
 * Completes the check run: conclusion, output and actions in one PATCH with the first 50
 * annotations, then one PATCH per further 50 (GitHub appends them). Annotations the run already
 * has (from an earlier run on the same SHA, or an earlier attempt) are not sent again: the whole
 * step is retried under `retry` (a lost completion leaves a required check pending), and
 * plugin-retry must not repeat an appending PATCH on its own.
 */
export async function completeCheckRun(
  octokit: Octokit,
  repo: RepoRef,
  check: CheckRunRef,
  result: { conclusion: Conclusion; output: CheckOutput; annotations: Annotation[]; actions: CheckAction[] },
  retry: RetryPolicy,
  log?: Logger,
): Promise<void> {
  const output = { title: result.output.title.slice(0, LIMITS.title), summary: result.output.summary.slice(0, LIMITS.summary) };
  await withRetries(
    'completing the check run',
    async () => {
      const existing = await existingAnnotations(octokit, repo, check);
      const fresh = result.annotations.filter((a) => !existing.has(annotationKey(a)));
      const [first = [], ...rest] = batches(fresh);
      await octokit.rest.checks.update({
        ...repo,
        check_run_id: check.id,
        status: 'completed',
        conclusion: result.conclusion,
        completed_at: new Date().toISOString(),
        output: { ...output, ...(first.length > 0 ? { annotations: first } : {}) },
        actions: result.actions.slice(0, LIMITS.actions),
        request: { retries: 0 },
      });
      for (const batch of rest)
        await octokit.rest.checks.update({ ...repo, check_run_id: check.id, output: { ...output, annotations: batch }, request: { retries: 0 } });
    },
    retry,
    log,
  );
}

async function existingAnnotations(octokit: Octokit, repo: RepoRef, check: CheckRunRef): Promise<Set<string>> {
  try {
    const list = await octokit.paginate(octokit.rest.checks.listAnnotations, { ...repo, check_run_id: check.id, per_page: 100 });
    return new Set(
      list.map((a) =>
        annotationKey({
          path: a.path,
          start_line: a.start_line,
          end_line: a.end_line,
          annotation_level: (a.annotation_level ?? 'notice') as Annotation['annotation_level'],
          message: a.message ?? '',
          title: a.title ?? '',
        }),
      ),
    );
  } catch (error) {
    // During an outage, wait with the completion: an earlier attempt may have appended some already.
    if (isTransient(error)) throw error;
    // Otherwise the worst case is a repeated annotation, not a wrong conclusion.
    return new Set();
  }
}

const annotationKey = (a: Annotation) => [a.path, a.start_line, a.end_line, a.annotation_level, a.title, a.message].join('\0');
