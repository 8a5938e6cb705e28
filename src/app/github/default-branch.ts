import { ConfigError, type ConfigSource } from '../../core/index.js';
import { statusOf, type Octokit, type RepoRef } from './octokit.js';

/**
 * The configuration and the files it names come from the default branch (the contents API
 * without `ref`, as Probot's context.config does), so a pull request cannot relax its own review.
 */
export const defaultBranchSource = (octokit: Octokit, repo: RepoRef): ConfigSource => ({
  read: (path) => readDefaultBranchFile(octokit, repo, path),
  where: 'on the default branch',
});

/** A file's text on the default branch (the contents API without `ref`), or null when absent. */
async function readDefaultBranchFile(octokit: Octokit, repo: RepoRef, path: string): Promise<string | null> {
  let data: unknown;
  try {
    ({ data } = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', { ...repo, path, mediaType: { format: 'raw' } }));
  } catch (error) {
    if (statusOf(error) === 404) return null;
    throw error;
  }
  if (typeof data === 'string') return data;
  // Some servers answer raw requests with the JSON form; decode it the same way.
  const json = data as { content?: string; encoding?: string; type?: string } | null;
  if (json?.type && json.type !== 'file') throw new ConfigError(`${path} is not a file`);
  return json?.encoding === 'base64' && json.content ? Buffer.from(json.content, 'base64').toString('utf8') : '';
}
