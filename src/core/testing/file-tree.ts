import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FileTree, SourceFile } from '../layouts/layout.js';

/** The repository's test/fixtures/migrations folder, wherever jest runs from. */
export const MIGRATION_FIXTURES = fileURLToPath(new URL('../../../test/fixtures/migrations/', import.meta.url));

/**
 * Test helper: reads every file under `<repoRoot>/<migrationsDir>` into a FileTree, with paths
 * relative to `repoRoot` in `/` form and sorted. Production code gets its FileTree from git.
 */
export function loadFileTree(repoRoot: string, migrationsDir: string): FileTree {
  const root = posix
    .normalize(migrationsDir.split(sep).join('/'))
    .replace(/^\.\/?$/, '')
    .replace(/\/+$/, '');
  const files: SourceFile[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) files.push({ path: relative(repoRoot, full).split(sep).join('/'), content: readFileSync(full, 'utf8') });
    }
  };
  walk(join(repoRoot, root));
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { root, files };
}

/** Loads `test/fixtures/migrations/<layout>/<name>` with its migrations in `migrationsDir`. */
export function loadFixtureTree(layout: string, name: string, migrationsDir: string): FileTree {
  return loadFileTree(join(MIGRATION_FIXTURES, layout, name), migrationsDir);
}
