#!/usr/bin/env node
import { nodeEnvironment } from '../node-environment.js';
import { runCLI } from '../program.js';

// Ctrl-C stops long waits cleanly (login polling, `audit tail --follow`); a second one, or a
// command that does not wait, ends the process as usual.
const interrupt = new AbortController();
process.once('SIGINT', () => {
  interrupt.abort();
  process.once('SIGINT', () => process.exit(130));
  setTimeout(() => process.exit(130), 2000).unref();
});

// `pylon … | head` closes the pipe early: that is the reader being done, not an error to crash on.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await runCLI(process.argv.slice(2), nodeEnvironment(interrupt.signal));
