#!/usr/bin/env node
// The `copro` command: a thin launcher for the compiled CLI.
import { main, debugRequested } from '../dist/src/cli/main.js';
import { internalErrorText } from '../dist/src/cli/errors.js';

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(internalErrorText(err, debugRequested(process.argv))); process.exitCode = 70; },
);
