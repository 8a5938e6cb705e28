import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  isCodeMigration,
  readSourceFile,
  reviewCode,
  type DrillbotConfig,
  type Report,
  type ResolvedCommand,
  type ShadowProvider,
  type SourceFile,
} from '../core/index.js';
import { gitReader } from './change-set-from-git.js';
import type { GitObjects } from './git-objects.js';

const exec = promisify(execFile);

/**
 * Reviews code migrations: the tool runs in temporary worktrees of the base (merge-base) and of
 * HEAD, which share the repository's installed node_modules (a checkout has none of its own).
 */
export async function checkCode(opts: {
  repo: string;
  objects: GitObjects;
  base: string;
  command: ResolvedCommand;
  config: DrillbotConfig;
  provider: ShadowProvider;
  onProgress: (message: string) => void;
}): Promise<Report> {
  // Absolute, so that the node_modules link made in each worktree points at the repository's and not at itself (`--repo .`).
  const repo = resolve(opts.repo);
  const reader = gitReader(repo, opts.objects);
  const migrationsAt = async (commit: string) => (await reader.listTree(commit)).filter((e) => isCodeMigration(e.path, opts.command));
  const before = await migrationsAt(opts.base);
  const after = await migrationsAt('HEAD');
  const known = new Set(before.map((e) => e.path));
  const addedEntries = after.filter((e) => !known.has(e.path)).sort((a, b) => a.path.localeCompare(b.path));
  const blobs = await reader.readBlobs(addedEntries);
  const added: SourceFile[] = addedEntries.map((e, i) => readSourceFile(e.path, blobs[i]));
  opts.onProgress(`${opts.command.tool}: ${before.length} base migrations, ${added.length} new`);
  const scratch = await mkdtemp(join(tmpdir(), 'drillbot-code-'));
  try {
    const baseDir = await worktree(repo, join(scratch, 'base'), opts.base);
    const headDir = await worktree(repo, join(scratch, 'head'), 'HEAD');
    return await reviewCode({ ...opts, baseDir, headDir, baseMigrations: before.length, added });
  } finally {
    await exec('git', ['-C', repo, 'worktree', 'remove', '--force', join(scratch, 'base')]).catch(() => undefined);
    await exec('git', ['-C', repo, 'worktree', 'remove', '--force', join(scratch, 'head')]).catch(() => undefined);
    await rm(scratch, { recursive: true, force: true });
  }
}

async function worktree(repo: string, dir: string, commit: string): Promise<string> {
  await exec('git', ['-C', repo, 'worktree', 'add', '--detach', dir, commit]);
  const modules = join(repo, 'node_modules');
  if (existsSync(modules) && !existsSync(join(dir, 'node_modules'))) await symlink(modules, join(dir, 'node_modules'), 'dir');
  return dir;
}
