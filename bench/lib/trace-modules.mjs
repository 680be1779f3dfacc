// Loaded with `node --import` by the start-up benchmark: records every ES module URL the process resolves
// (one line each, in $BENCH_TRACE_FILE), to show which packages a command loads. CommonJS require() calls
// inside CommonJS packages are not seen; the package's entry point is.
import { register } from 'node:module';

if (process.env.BENCH_TRACE_FILE) register('./trace-modules-hooks.mjs', import.meta.url, { data: { file: process.env.BENCH_TRACE_FILE } });
