import { readFileSync } from 'node:fs';

interface PackageJson {
  readonly name?: string;
  readonly version: string;
}

let found: { readonly dir: URL; readonly json: PackageJson } | undefined;

/**
 * Drillbot's own package directory (docs/, examples/, package.json), found upwards from this file:
 * the same from src/ (tests), dist/ and the bundled CLI (dist/cli/main.bundle.js), where a path
 * relative to import.meta.url would depend on which file the code was compiled into.
 */
export function packageDir(): URL {
  return ownPackage().dir;
}

/** The package's version, as package.json says. */
export function packageVersion(): string {
  return ownPackage().json.version;
}

function ownPackage(): { readonly dir: URL; readonly json: PackageJson } {
  if (found) return found;
  for (let dir = new URL('./', import.meta.url); ; dir = new URL('../', dir)) {
    const json = packageJson(new URL('package.json', dir));
    if (json?.name === 'drillbot') return (found = { dir, json });
    if (new URL('../', dir).href === dir.href) throw new Error(`Drillbot's package.json was not found above ${import.meta.url}`);
  }
}

function packageJson(file: URL): PackageJson | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
  } catch {
    return null; // no package.json here
  }
}
