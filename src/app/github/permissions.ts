import { statusOf, type Octokit, type RepoRef } from './octokit.js';

/** Whether the user may run privileged commands: write, maintain or admin on the repository. */
export async function canWrite(octokit: Octokit, repo: RepoRef, username: string): Promise<boolean> {
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...repo, username });
    const role = (data as { role_name?: string }).role_name;
    return (
      ['admin', 'maintain', 'write'].includes(data.permission) || ['admin', 'maintain', 'write'].includes(role ?? '') || data.user?.permissions?.push === true
    );
  } catch (error) {
    // Not a collaborator (404) or no answer: no permission. Failing closed here costs a retry, not safety.
    if (statusOf(error) === 404) return false;
    throw error;
  }
}
