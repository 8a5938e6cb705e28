import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Builds dist/ unless it is newer than every source file: tests that run the CLI or the App as a
 * user does spawn the built code (bin/drillbot.js runs the bundle, npm start dist/app), which must
 * be the code under test. The bundle is the build's last step.
 */
export function buildIfStale(): void {
  const built = mtimeOf(join(ROOT, 'dist', 'cli', 'main.bundle.js'));
  if (built !== null && newestSource(join(ROOT, 'src')) < built) return;
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
}

function mtimeOf(path: string): number | null {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return null;
  }
}

function newestSource(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
    const path = join(dir, entry.name);
    return Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }, 0);
}
