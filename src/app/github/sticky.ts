import { parseSticky, renderSticky, SUMMARY_MARKER, type StickyState } from '../render.js';
import type { Octokit, RepoRef } from './octokit.js';

/** The sticky summary comment of a pull request, if it exists, with its stored state. */
export interface Sticky {
  readonly id: number | null;
  readonly state: StickyState;
}

/**
 * Finds the sticky comment by its marker. Only comments written by a bot (our app, when GitHub
 * says which app) count: anyone can type the marker, and the state block holds acknowledgements.
 */
export async function findSticky(octokit: Octokit, repo: RepoRef, issueNumber: number, appId: number | undefined): Promise<Sticky> {
  const comments = await octokit.paginate(octokit.rest.issues.listComments, { ...repo, issue_number: issueNumber, per_page: 100 });
  const ours = comments.find((c) => {
    if (!c.body?.includes(SUMMARY_MARKER)) return false;
    if (c.performed_via_github_app && appId !== undefined) return c.performed_via_github_app.id === appId;
    return c.user?.type === 'Bot';
  });
  return ours ? { id: ours.id, state: parseSticky(ours.body) } : { id: null, state: { acks: [] } };
}

/** Creates or updates the sticky comment in place. */
export async function writeSticky(octokit: Octokit, repo: RepoRef, issueNumber: number, sticky: Sticky, markdown: string, state: StickyState): Promise<number> {
  const body = renderSticky(markdown, state);
  if (sticky.id !== null) {
    await octokit.rest.issues.updateComment({ ...repo, comment_id: sticky.id, body });
    return sticky.id;
  }
  const { data } = await octokit.rest.issues.createComment({ ...repo, issue_number: issueNumber, body });
  return data.id;
}
