import {
  candidateDirectories,
  ConfigError,
  locateMigrations,
  NoMigrationsError,
  undrilledSqlFiles,
  oversizedFile,
  readSourceFile,
  readsAsMigration,
  type ChangeSet,
  type DrillbotConfig,
  type SourceFile,
} from '../../core/index.js';
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
  | { kind: 'change'; changeSet: ChangeSet; baseSha: string; root: string; hunks: Map<string, Hunk[]>; files: Map<string, string>; filesTruncated: boolean };

export interface TreeEntry {
  readonly path: string;
  readonly sha: string;
  readonly size?: number;
}

/**
 * Builds the ChangeSet of a pull request from the REST API, as the CLI does from git: the
 * migrations directory at the merge-base and at the head, with contents. The diff's patches are
 * kept to know which lines can carry inline comments.
 */
export async function changeSetFromGitHub(octokit: Octokit, pull: PullRef, config: DrillbotConfig): Promise<ChangeSetResult> {
  const repo = { owner: pull.owner, repo: pull.repo };
  const prFiles = await octokit.paginate(octokit.rest.pulls.listFiles, { ...repo, pull_number: pull.number, per_page: 100 });
  const filesTruncated = prFiles.length >= MAX_PR_FILES;
  const hunks = new Map(prFiles.map((f) => [f.filename, parsePatch(f.patch)]));
  const changedPaths = prFiles.flatMap((f) => [f.filename, ...(f.previous_filename ? [f.previous_filename] : [])]);
  const baseSha = await mergeBase(octokit, repo, pull);
  const addedOrModified = prFiles.filter((f) => f.status !== 'removed').map((f) => f.filename);
  // Before saying "no migration changed": SQL that looks like migrations but is not under the migrations directory.
  const nothingDrilled = (reason: string, root: string | null): ChangeSetResult => {
    const paths = undrilledSqlFiles(addedOrModified, root, new Set());
    return paths.length > 0
      ? { kind: 'undrilled', paths, baseSha, root, hunks, filesTruncated }
      : { kind: 'no-migration-change', reason, baseSha, root, filesTruncated };
  };
  const [headTree, baseTree] = await Promise.all([listTree(octokit, repo, pull.headSha), listTree(octokit, repo, baseSha)]);
  const blobs = new BlobReader(octokit, repo, config.migrations.maxFileSize);

  let root: string;
  if (config.migrations.path !== undefined) {
    root = trimSlashes(config.migrations.path);
  } else {
    const candidates = candidateDirectories(headTree.map((e) => e.path));
    // Nothing changed under any directory that could hold migrations: no need to read a blob.
    if (!filesTruncated && !changedPaths.some((p) => candidates.some((d) => isUnder(p, d)))) {
      return { kind: 'no-migration-change', reason: 'No migration changed in this pull request.', baseSha, root: null, filesTruncated };
    }
    const underCandidates = headTree.filter((e) => candidates.some((d) => isUnder(e.path, d)) && readsAsMigration(e.path));
    const files = await blobs.read(underCandidates);
    try {
      root = locateMigrations(files, config.migrations.layout).root;
    } catch (error) {
      if (error instanceof NoMigrationsError) return nothingDrilled('No migrations directory found in this repository.', null);
      throw error;
    }
  }
  const headFiles = headTree.filter((e) => isUnder(e.path, root));
  const baseFiles = baseTree.filter((e) => isUnder(e.path, root));
  // A configured directory that does not exist is a mistake to report, not a change to wave through.
  if (headFiles.length === 0 && baseFiles.length === 0)
    throw new ConfigError(`.github/drillbot.yml: migrations.path "${root}" has no files at the head commit`);
  // Comparing blob SHAs is exact and does not depend on the (capped) list of changed files.
  const baseShas = new Map(baseFiles.map((e) => [e.path, e.sha]));
  const same = headFiles.length === baseFiles.length && headFiles.every((e) => baseShas.get(e.path) === e.sha);
  if (same) return nothingDrilled(`No migration under \`${root || '.'}\` changed in this pull request.`, root);
  const [head, base] = await Promise.all([blobs.read(headFiles), blobs.read(baseFiles)]);
  return {
    kind: 'change',
    changeSet: { base: { root, files: base }, head: { root, files: head }, changedPaths: addedOrModified },
    baseSha,
    root,
    hunks,
    files: new Map(head.map((f) => [f.path, f.content])),
    filesTruncated,
  };
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

export async function listTree(octokit: Octokit, repo: RepoRef, sha: string): Promise<TreeEntry[]> {
  const { data } = await octokit.rest.git.getTree({ ...repo, tree_sha: sha, recursive: 'true' });
  if (data.truncated) {
    throw new Error(`the repository tree at ${sha.slice(0, 12)} is too large for GitHub to list in one response; set migrations.path in .github/drillbot.yml`);
  }
  return data.tree.flatMap((e) => (e.type === 'blob' && e.path && e.sha ? [{ path: e.path, sha: e.sha, size: e.size }] : []));
}

/**
 * Reads blobs by SHA, each once, a few at a time. A blob over `maxSize` (the tree says its size)
 * is not fetched: it comes back as oversizedFile, which fails the review instead of vanishing.
 */
export class BlobReader {
  private readonly cache = new Map<string, Promise<Buffer>>();
  constructor(
    private readonly octokit: Octokit,
    private readonly repo: RepoRef,
    private readonly maxSize: number,
  ) {}

  async read(entries: readonly TreeEntry[]): Promise<SourceFile[]> {
    const out: SourceFile[] = new Array(entries.length);
    let next = 0;
    const worker = async () => {
      while (next < entries.length) {
        const i = next++;
        const { path, sha, size } = entries[i];
        out[i] = size !== undefined && size > this.maxSize ? oversizedFile(path, size, this.maxSize) : readSourceFile(path, await this.blob(sha));
      }
    };
    await Promise.all(Array.from({ length: Math.min(BLOB_CONCURRENCY, entries.length) }, worker));
    return out.sort((a, b) => a.path.localeCompare(b.path));
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

const isUnder = (path: string, dir: string) => dir === '' || path.startsWith(`${dir}/`);
const trimSlashes = (path: string) => path.replace(/^\.?\/+/, '').replace(/\/+$/, '');
