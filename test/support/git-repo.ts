import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A throwaway git repository with a `main` branch and a `change` branch checked out. */
export function gitRepo(base: Record<string, string | Uint8Array>, change: Record<string, string | Uint8Array>): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'drillbot-test-'));
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false', ...args], { stdio: 'pipe' });
  const write = (files: Record<string, string | Uint8Array>) => {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
      // A script (bin/rails) is committed executable, as its project has it: the tool's command runs it directly.
      if (typeof content === 'string' && content.startsWith('#!')) chmodSync(join(dir, path), 0o755);
    }
  };
  git('init', '-q', '-b', 'main');
  write(base);
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', 'base');
  git('checkout', '-q', '-b', 'change');
  write(change);
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', 'change');
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
