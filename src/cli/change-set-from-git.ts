import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { GitError, readSourceFile, type RepositoryReader, type TreeEntry } from '../core/index.js';

const exec = promisify(execFile);

/** Reads trees and blobs with git, from committed files only. */
export function gitReader(repo: string): RepositoryReader {
  return {
    listTree: (commit) => listTree(repo, commit),
    readBlobs: (entries) =>
      readBlobs(
        repo,
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

/** Reads many blobs in one `git cat-file --batch` process. */
async function readBlobs(repo: string, ids: readonly string[]): Promise<Buffer[]> {
  const out = await catFile(repo, ids);
  const blobs: Buffer[] = [];
  let at = 0;
  for (const id of ids) {
    const eol = out.indexOf(0x0a, at);
    const header = out.subarray(at, eol).toString();
    const size = Number(header.split(' ')[2]);
    if (!Number.isFinite(size)) throw new GitError(`git cat-file could not read ${id}: ${header}`);
    blobs.push(out.subarray(eol + 1, eol + 1 + size));
    at = eol + 1 + size + 1;
  }
  return blobs;
}

function catFile(repo: string, objects: readonly string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-C', repo, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', (e) => reject(new GitError(`git cat-file failed: ${e.message}`, { cause: e })));
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new GitError(`git cat-file exited with ${code}`))));
    child.stdin.end(objects.map((o) => `${o}\n`).join(''));
  });
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
export async function mergeBase(repo: string, baseRef: string): Promise<string> {
  await git(repo, ['rev-parse', '--verify', 'HEAD^{commit}'], 'the repository has no commit at HEAD');
  await git(repo, ['rev-parse', '--verify', `${baseRef}^{commit}`], `unknown base ref "${baseRef}"`);
  return git(repo, ['merge-base', 'HEAD', baseRef], `HEAD and ${baseRef} have no common ancestor`);
}

/** A file's content at a commit, or null when the commit has no such file. */
export async function readFileAt(repo: string, commit: string, path: string): Promise<string | null> {
  const [bytes] = await readBlobs(repo, [`${commit}:${path}`]).catch(() => [undefined]);
  return bytes === undefined ? null : readSourceFile(path, bytes).content;
}

/** The commit HEAD names. */
export function headOf(repo: string): Promise<string> {
  return git(repo, ['rev-parse', 'HEAD'], 'cannot resolve HEAD');
}

/** Whether `ref` names a commit in the repository. */
export async function refExists(repo: string, ref: string): Promise<boolean> {
  return git(repo, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], '').then(
    () => true,
    () => false,
  );
}
