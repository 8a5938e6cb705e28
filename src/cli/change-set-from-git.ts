import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import {
  candidateDirectories,
  GitError,
  locateMigrations,
  oversizedFile,
  readSourceFile,
  readsAsMigration,
  type ChangeSet,
  type LayoutId,
  type SourceFile,
} from '../core/index.js';

const exec = promisify(execFile);

export interface GitChangeSetOptions {
  readonly repo: string;
  /** The branch the change targets; the base side is its merge-base with HEAD. */
  readonly baseRef: string;
  /** Migrations directory relative to the repository root; detected when absent. */
  readonly path?: string;
  readonly layout?: LayoutId;
  /** Files larger than this (bytes) are not read: they come back as oversizedFile, which fails the review. */
  readonly maxFileSize: number;
}

export interface GitChangeSet {
  readonly changeSet: ChangeSet;
  readonly baseCommit: string;
  readonly headCommit: string;
}

/** Builds the ChangeSet of HEAD against the merge-base of `baseRef`, from committed files only. */
export async function changeSetFromGit(opts: GitChangeSetOptions): Promise<GitChangeSet> {
  const baseCommit = await mergeBase(opts.repo, opts.baseRef);
  const headCommit = await git(opts.repo, ['rev-parse', 'HEAD'], 'cannot resolve HEAD');
  const headPaths = await listFiles(opts.repo, headCommit);
  const root = opts.path !== undefined ? trimSlashes(opts.path) : await detectRoot(opts.repo, headCommit, headPaths, opts.maxFileSize, opts.layout);
  const under = (paths: string[]) => paths.filter((p) => root === '' || p.startsWith(`${root}/`));
  const [head, base] = await Promise.all([
    readFiles(opts.repo, headCommit, under(headPaths), opts.maxFileSize),
    listFiles(opts.repo, baseCommit).then((paths) => readFiles(opts.repo, baseCommit, under(paths), opts.maxFileSize)),
  ]);
  if (head.length === 0) throw new GitError(`no files under "${root}" at HEAD`);
  const changedPaths = await changedFiles(opts.repo, baseCommit, headCommit);
  return { changeSet: { base: { root, files: base }, head: { root, files: head }, changedPaths }, baseCommit, headCommit };
}

/** The paths the change added or modified anywhere in the repository (renamed files under their new path). */
export async function changedFiles(repo: string, baseCommit: string, headCommit = 'HEAD'): Promise<string[]> {
  const out = await git(repo, ['diff', '--name-only', '-z', '--diff-filter=d', baseCommit, headCommit], `cannot diff ${baseCommit} with ${headCommit}`, false);
  return out.split('\0').filter(Boolean);
}

async function detectRoot(repo: string, commit: string, paths: string[], maxFileSize: number, layout?: LayoutId): Promise<string> {
  const dirs = new Set(candidateDirectories(paths));
  const sqlUnder = paths.filter((p) => [...dirs].some((d) => p.startsWith(d === '' ? '' : `${d}/`)) && readsAsMigration(p));
  const files = await readFiles(repo, commit, sqlUnder, maxFileSize);
  return locateMigrations(files, layout).root;
}

async function listFiles(repo: string, commit: string): Promise<string[]> {
  const out = await git(repo, ['ls-tree', '-r', '-z', '--name-only', commit], `cannot list the files of ${commit}`, false);
  return out.split('\0').filter(Boolean);
}

/**
 * Reads many blobs: their sizes first (`git cat-file --batch-check`), then, in one `--batch`
 * process, the contents of those within `maxSize`; larger files are kept as unread (oversizedFile).
 */
async function readFiles(repo: string, commit: string, paths: string[], maxSize = Infinity): Promise<SourceFile[]> {
  if (paths.length === 0) return [];
  const sizes = parseSizes(
    await catFile(
      repo,
      '--batch-check',
      paths.map((p) => `${commit}:${p}`),
    ),
    paths,
  );
  const small = paths.filter((_, i) => sizes[i] <= maxSize);
  const contents =
    small.length > 0
      ? parseBatch(
          await catFile(
            repo,
            '--batch',
            small.map((p) => `${commit}:${p}`),
          ),
          small,
        )
      : [];
  const byPath = new Map(contents.map((f) => [f.path, f]));
  return paths.map((path, i) => byPath.get(path) ?? oversizedFile(path, sizes[i], maxSize));
}

function catFile(repo: string, mode: '--batch' | '--batch-check', objects: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['-C', repo, 'cat-file', mode], { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', (e) => reject(new GitError(`git cat-file failed: ${e.message}`, { cause: e })));
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(chunks)) : reject(new GitError(`git cat-file exited with ${code}`))));
    child.stdin.end(objects.map((o) => `${o}\n`).join(''));
  });
}

/** `<sha> <type> <size>` per object, in order. */
function parseSizes(out: Buffer, paths: string[]): number[] {
  const lines = out.toString().split('\n');
  return paths.map((path, i) => {
    const size = Number(lines[i]?.split(' ')[2]);
    if (!Number.isFinite(size)) throw new GitError(`git cat-file could not read ${path}: ${lines[i]}`);
    return size;
  });
}

/** The bytes of each file go through readSourceFile, as the app's do: never a silently repaired text. */
function parseBatch(out: Buffer, paths: string[]): SourceFile[] {
  const files: SourceFile[] = [];
  let at = 0;
  for (const path of paths) {
    const eol = out.indexOf(0x0a, at);
    const header = out.subarray(at, eol).toString();
    const size = Number(header.split(' ')[2]);
    if (!Number.isFinite(size)) throw new GitError(`git cat-file could not read ${path}: ${header}`);
    files.push(readSourceFile(path, out.subarray(eol + 1, eol + 1 + size)));
    at = eol + 1 + size + 1;
  }
  return files;
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

function trimSlashes(path: string): string {
  return path.replace(/^\.?\/+/, '').replace(/\/+$/, '');
}

/** The merge-base of HEAD and `baseRef`: the commit whose history production has run. */
export async function mergeBase(repo: string, baseRef: string): Promise<string> {
  await git(repo, ['rev-parse', '--verify', 'HEAD^{commit}'], 'the repository has no commit at HEAD');
  await git(repo, ['rev-parse', '--verify', `${baseRef}^{commit}`], `unknown base ref "${baseRef}"`);
  return git(repo, ['merge-base', 'HEAD', baseRef], `HEAD and ${baseRef} have no common ancestor`);
}

/** A file's content at a commit, or null when the commit has no such file. */
export async function readFileAt(repo: string, commit: string, path: string): Promise<string | null> {
  const [file] = await readFiles(repo, commit, [path]).catch(() => [undefined]);
  return file?.content ?? null;
}

/** Whether `ref` names a commit in the repository. */
export async function refExists(repo: string, ref: string): Promise<boolean> {
  return git(repo, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], '').then(
    () => true,
    () => false,
  );
}
