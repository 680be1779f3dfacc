import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 30_000,
    // Two test files at a time even on 2 cores (vitest's default is cores - 1 = 1): much of the suite waits on
    // the fake STM32_Programmer_CLI's processes and the simulated clock, so a second file fills that time.
    maxWorkers: 2,
    // Prints the hardening summaries (fault injection, field stories, ...) together at the end of the run.
    globalSetup: ['test/summaries.global.ts'],
    // Registers binaries/catalog.json for the Node-free modules (the browser page gives its own).
    setupFiles: ['test/catalog.setup.ts'],
    hookTimeout: 30_000,
    // Simulated boards run with a fast clock in tests; benchmarks use the realistic one.
    env: { COPRO_SIM_SPEED: process.env.COPRO_SIM_SPEED ?? '1000' },
  },
});
