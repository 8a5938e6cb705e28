import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { packageDir } from '../core/index.js';

const exec = promisify(execFile);

/** The bundled example: a base history and a change on top of it, both golang-migrate files. */
const EXAMPLE = fileURLToPath(new URL('examples/demo/', packageDir()));
const MIGRATIONS = 'db/migrations';

export interface DemoRepository {
  readonly repo: string;
  readonly baseRef: string;
  readonly describe: string;
  remove(): Promise<void>;
}

/**
 * Builds a throwaway git repository from the example: `main` holds the base history, HEAD adds
 * the change, so the demo runs exactly the path `drillbot check` takes on a real repository.
 */
export async function prepareDemoRepository(): Promise<DemoRepository> {
  const repo = await mkdtemp(join(tmpdir(), 'drillbot-demo-'));
  const git = (...args: string[]) =>
    exec('git', ['-C', repo, '-c', 'user.name=Drillbot demo', '-c', 'user.email=demo@drillbot.invalid', '-c', 'commit.gpgsign=false', ...args]);
  try {
    await git('init', '-q', '-b', 'main');
    await cp(join(EXAMPLE, 'base'), join(repo, MIGRATIONS), { recursive: true });
    await git('add', '-A');
    await git('commit', '-q', '-m', 'Base history');
    await git('checkout', '-q', '-b', 'change');
    await cp(join(EXAMPLE, 'change'), join(repo, MIGRATIONS), { recursive: true });
    await git('add', '-A');
    await git('commit', '-q', '-m', 'The change under review');
  } catch (error) {
    await rm(repo, { recursive: true, force: true });
    throw error;
  }
  const [base, change] = await Promise.all([readdir(join(EXAMPLE, 'base')), readdir(join(EXAMPLE, 'change'))]);
  return {
    repo,
    baseRef: 'main',
    describe: `${base.length} base files on main, ${change.length} files added on the change branch (${MIGRATIONS})`,
    remove: () => rm(repo, { recursive: true, force: true }),
  };
}
