import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GitError, readSourceFile, type RepositoryReader, type TreeEntry } from '../core/index.js';
import type { GitObjects } from './git-objects.js';

const exec = promisify(execFile);

/** Reads trees and blobs with git, from committed files only: the blobs through the review's cat-file process. */
export function gitReader(repo: string, objects: GitObjects): RepositoryReader {
  return {
    listTree: (commit) => listTree(repo, commit),
    readBlobs: (entries) =>
      readBlobs(
        objects,
        entries.map((e) => e.id),
      ),
  };
}

/** The paths the change added or modified anywhere in the repository (renamed files under their new path). */
export async function changedFiles(repo: string, baseCommit: string, headCommit = 'HEAD'): Promise<string[]> {
  const out = await git(repo, ['diff', '--name-only', '-z', '--diff-filter=d', baseCommit, headCommit], `cannot diff ${baseCommit} with ${headCommit}`, false);
  return out.split('\0').filter(Boolean);
}

/** `git ls-tree -r -l`: `<mode> blob <id> <size>\t<path>` per file (submodules, type commit, are no files). */
async function listTree(repo: string, commit: string): Promise<TreeEntry[]> {
  const out = await git(repo, ['ls-tree', '-r', '-l', '-z', commit], `cannot list the files of ${commit}`, false);
  return out
    .split('\0')
    .filter(Boolean)
    .flatMap((line) => {
      const tab = line.indexOf('\t');
      const [, type, id, size] = line.slice(0, tab).split(/ +/);
      return type === 'blob' ? [{ path: line.slice(tab + 1), id, size: Number(size) }] : [];
    });
}

async function readBlobs(objects: GitObjects, ids: readonly string[]): Promise<Buffer[]> {
  return Promise.all(
    ids.map(async (id) => {
      const blob = await objects.read(id);
      if (!blob) throw new GitError(`git cat-file could not read ${id}`);
      return blob.content;
    }),
  );
}

async function git(repo: string, args: string[], explain: string, trim = true): Promise<string> {
  try {
    const { stdout } = await exec('git', ['-C', repo, ...args], { maxBuffer: 256 * 1024 * 1024 });
    return trim ? stdout.trim() : stdout;
  } catch (error) {
    // execFile's rejection carries git's stderr, which says what went wrong.
    const failed = error as { stderr?: string; message?: string } | undefined;
    const detail = String(failed?.stderr ?? failed?.message ?? error)
      .trim()
      .split('\n')[0];
    throw new GitError(`${explain} (${detail})`, { cause: error });
  }
}

/** The merge-base of HEAD and `baseRef`: the commit whose history production has run. */
export async function mergeBase(repo: string, objects: GitObjects, baseRef: string): Promise<string> {
  const head = await commitOf(objects, 'HEAD', 'the repository has no commit at HEAD');
  const base = await commitOf(objects, baseRef, `unknown base ref "${baseRef}"`);
  return git(repo, ['merge-base', head, base], `HEAD and ${baseRef} have no common ancestor`);
}

/** A file's content at a commit, or null when the commit has no such file. */
export async function readFileAt(objects: GitObjects, commit: string, path: string): Promise<string | null> {
  const file = await objects.read(`${commit}:${path}`).catch(() => null);
  return file === null ? null : readSourceFile(path, file.content).content;
}

/** The commit HEAD names. */
export function headOf(objects: GitObjects): Promise<string> {
  return commitOf(objects, 'HEAD', 'cannot resolve HEAD');
}

/** Whether `ref` names a commit in the repository. */
export async function refExists(objects: GitObjects, ref: string): Promise<boolean> {
  return (await objects.commitId(ref).catch(() => null)) !== null;
}

/** The commit `ref` names; a GitError saying `explain`, and why, when it names none. */
async function commitOf(objects: GitObjects, ref: string, explain: string): Promise<string> {
  const id = await objects.commitId(ref).catch((error: Error) => {
    throw new GitError(`${explain} (${error.message})`, { cause: error });
  });
  if (id === null) throw new GitError(`${explain} (no commit named ${ref})`);
  return id;
}
