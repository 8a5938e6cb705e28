import { createHash } from 'node:crypto';
import type { Logger } from 'probot';
import type { Finding } from '../../core/index.js';
import type { ReviewComment } from '../render.js';
import { withRetries, type Octokit, type RepoRef, type RetryPolicy } from './octokit.js';

/** A stable key of a finding for de-duplicating inline comments across runs. */
export function findingKey(f: Finding, statementHash: string): string {
  return createHash('sha256').update([f.rule, f.hazard, f.path, statementHash].join('\0')).digest('hex').slice(0, 16);
}

/**
 * Posts one review (event COMMENT) with the inline comments not already on the pull request
 * (matched by their hidden finding marker), or nothing when every comment is there already.
 * Retried as a whole, like the check run: a review posted although GitHub answered an error is
 * found by its markers at the next attempt instead of being posted twice.
 */
export async function postReview(
  octokit: Octokit,
  repo: RepoRef,
  pullNumber: number,
  headSha: string,
  comments: ReviewComment[],
  body: string,
  retry: RetryPolicy,
  log?: Logger,
): Promise<number> {
  if (comments.length === 0) return 0;
  return withRetries(
    'posting the review',
    async () => {
      const existing = await octokit.paginate(octokit.rest.pulls.listReviewComments, { ...repo, pull_number: pullNumber, per_page: 100 });
      const posted = new Set(existing.flatMap((c) => [...(c.body ?? '').matchAll(/<!-- drillbot:finding (\w+) -->/g)].map((m) => m[1])));
      const fresh = comments.filter((c) => !posted.has(/<!-- drillbot:finding (\w+) -->/.exec(c.body)?.[1] ?? ''));
      if (fresh.length === 0) return 0;
      await octokit.rest.pulls.createReview({
        ...repo,
        pull_number: pullNumber,
        commit_id: headSha,
        event: 'COMMENT',
        body,
        comments: fresh,
        request: { retries: 0 },
      });
      return fresh.length;
    },
    retry,
    log,
  );
}
