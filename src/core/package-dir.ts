import { readFileSync } from 'node:fs';

let found: URL | undefined;

/**
 * Drillbot's own package directory (docs/, examples/, package.json), found upwards from this file:
 * the same from src/ (tests), dist/ and the bundled CLI (dist/cli/main.bundle.js), where a path
 * relative to import.meta.url would depend on which file the code was compiled into.
 */
export function packageDir(): URL {
  if (found) return found;
  for (let dir = new URL('./', import.meta.url); ; dir = new URL('../', dir)) {
    if (packageName(new URL('package.json', dir)) === 'drillbot') return (found = dir);
    if (new URL('../', dir).href === dir.href) throw new Error(`Drillbot's package.json was not found above ${import.meta.url}`);
  }
}

/** The package's version, as package.json says. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('package.json', packageDir()), 'utf8')) as { version: string }).version;
}

function packageName(file: URL): string | null {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name ?? null;
  } catch {
    return null; // no package.json here
  }
}
