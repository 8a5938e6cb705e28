import type { ProbotOctokit } from 'probot';

/** The installation-authenticated client Probot gives each event (`context.octokit`). */
export type Octokit = InstanceType<typeof ProbotOctokit>;

/** owner/repo of a repository. */
export interface RepoRef {
  readonly owner: string;
  readonly repo: string;
}

/** The status of a failed Octokit request, if it is one. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}
