import { listingTreesOnce, loadChangeSet, type ChangeSet, type DrillbotConfig, type RepositoryReader, type TreeEntry } from '../../core/index.js';
import { parsePatch, type Hunk } from '../diff.js';
import { statusOf, type Octokit, type RepoRef } from './octokit.js';

/** GitHub lists at most this many files of a pull request (GET /pulls/{n}/files). */
export const MAX_PR_FILES = 3000;
const BLOB_CONCURRENCY = 8;

export interface PullRef extends RepoRef {
  readonly number: number;
  readonly headSha: string;
  readonly baseSha: string;
}

/** What the app learns from the API before (and instead of) a drill. */
export type ChangeSetResult =
  | { kind: 'no-migration-change'; reason: string; baseSha: string; root: string | null; filesTruncated: boolean }
  /** SQL that looks like migrations changed, but none under a directory a layout recognises: never a pass. */
  | { kind: 'undrilled'; paths: string[]; baseSha: string; root: string | null; hunks: Map<string, Hunk[]>; filesTruncated: boolean }
  | {
      kind: 'change';
      changeSet: ChangeSet;
      baseSha: string;
      root: string;
      hunks: Map<string, Hunk[]>;
      files: Map<string, string>;
      filesTruncated: boolean;
      /** The reader that listed the trees: the head's code is read through it, its tree not listed again. */
      reader: RepositoryReader;
    };

/**
 * Builds the ChangeSet of a pull request from the REST API, through the engine's pipeline as the
 * CLI does from git. The diff's patches are kept to know which lines can carry inline comments.
 */
export async function changeSetFromGitHub(octokit: Octokit, pull: PullRef, config: DrillbotConfig): Promise<ChangeSetResult> {
  const repo = { owner: pull.owner, repo: pull.repo };
  const prFiles = await octokit.paginate(octokit.rest.pulls.listFiles, { ...repo, pull_number: pull.number, per_page: 100 });
  const filesTruncated = prFiles.length >= MAX_PR_FILES;
  const hunks = new Map(prFiles.map((f) => [f.filename, parsePatch(f.patch)]));
  const baseSha = await mergeBase(octokit, repo, pull);
  const reader = listingTreesOnce(apiReader(octokit, repo));
  const result = await loadChangeSet(reader, {
    baseCommit: baseSha,
    headCommit: pull.headSha,
    changedPaths: prFiles.filter((f) => f.status !== 'removed').map((f) => f.filename),
    touchedPaths: prFiles.flatMap((f) => [f.filename, ...(f.previous_filename ? [f.previous_filename] : [])]),
    changedListComplete: !filesTruncated,
    skipUntouched: true,
    migrations: config.migrations,
  });
  switch (result.kind) {
    case 'no-migrations':
      return { kind: 'no-migration-change', reason: 'No migrations directory found in this repository.', baseSha, root: null, filesTruncated };
    case 'unchanged': {
      const reason =
        result.root === null ? 'No migration changed in this pull request.' : `No migration under \`${result.root || '.'}\` changed in this pull request.`;
      return { kind: 'no-migration-change', reason, baseSha, root: result.root, filesTruncated };
    }
    case 'undrilled':
      return { kind: 'undrilled', paths: result.paths, baseSha, root: result.root, hunks, filesTruncated };
    case 'change': {
      const files = new Map(result.changeSet.head.files.map((f) => [f.path, f.content]));
      return { kind: 'change', changeSet: result.changeSet, baseSha, root: result.root, hunks, files, filesTruncated, reader };
    }
  }
}

/** Trees and blobs from the REST API: the only part of the pipeline that is the App's own. */
export function apiReader(octokit: Octokit, repo: RepoRef): RepositoryReader {
  const blobs = new BlobReader(octokit, repo);
  return { listTree: (sha) => listTree(octokit, repo, sha), readBlobs: (entries) => blobs.read(entries) };
}

/** The merge-base of the pull request (what production has run); the PR's base SHA when compare is unavailable. */
async function mergeBase(octokit: Octokit, repo: RepoRef, pull: PullRef): Promise<string> {
  try {
    const { data } = await octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: `${pull.baseSha}...${pull.headSha}`, per_page: 1 });
    return data.merge_base_commit?.sha ?? pull.baseSha;
  } catch (error) {
    if (statusOf(error) === 404) return pull.baseSha;
    throw error;
  }
}

async function listTree(octokit: Octokit, repo: RepoRef, sha: string): Promise<TreeEntry[]> {
  const { data } = await octokit.rest.git.getTree({ ...repo, tree_sha: sha, recursive: 'true' });
  if (data.truncated) {
    throw new Error(`the repository tree at ${sha.slice(0, 12)} is too large for GitHub to list in one response; set migrations.path in .github/drillbot.yml`);
  }
  return data.tree.flatMap((e) => (e.type === 'blob' && e.path && e.sha ? [{ path: e.path, id: e.sha, size: e.size }] : []));
}

/** Reads blobs by SHA, each once, a few at a time. */
class BlobReader {
  private readonly cache = new Map<string, Promise<Buffer>>();
  constructor(
    private readonly octokit: Octokit,
    private readonly repo: RepoRef,
  ) {}

  async read(entries: readonly TreeEntry[]): Promise<Buffer[]> {
    const out: Buffer[] = new Array(entries.length);
    let next = 0;
    const worker = async () => {
      while (next < entries.length) {
        const i = next++;
        out[i] = await this.blob(entries[i].id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(BLOB_CONCURRENCY, entries.length) }, worker));
    return out;
  }

  private blob(sha: string): Promise<Buffer> {
    let bytes = this.cache.get(sha);
    if (!bytes) {
      bytes = this.octokit.rest.git.getBlob({ ...this.repo, file_sha: sha }).then(({ data }) => {
        const decoded = data.encoding === 'base64' ? Buffer.from(data.content, 'base64') : Buffer.from(data.content, 'utf8');
        // Anything but the whole blob (a truncated or re-encoded answer) must not be reviewed as if it were.
        if (data.size !== undefined && data.size !== null && decoded.length !== data.size) {
          throw new Error(`GitHub returned ${decoded.length} of the ${data.size} bytes of blob ${sha.slice(0, 12)} (encoding ${data.encoding})`);
        }
        return decoded;
      });
      this.cache.set(sha, bytes);
    }
    return bytes;
  }
}
