#!/usr/bin/env node
// The `copro` command: a thin launcher for the compiled CLI.

// Loading the compiled CLI takes a moment. A signal in that moment (the terminal closed, Ctrl-C) finds nothing
// started: stop as an interrupted run (exit 130), not as a killed process. main() installs its own guards first.
const FATAL_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const early = (sig) => {
  try {
    process.stderr.write(`\ncopro: ${sig}: stopped while starting; nothing was done\n`);
  } catch {
    /* no terminal */
  }
  process.exit(130);
};
for (const s of FATAL_SIGNALS) process.on(s, early);

const { main, debugRequested } = await import('../dist/src/cli/main.js');
const { internalErrorText } = await import('../dist/src/cli/errors.js');
for (const s of FATAL_SIGNALS) process.off(s, early);

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(internalErrorText(err, debugRequested(process.argv))); process.exitCode = 70; },
);
