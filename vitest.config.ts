import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 30_000,
    // Prints the hardening summaries (fault injection, field stories, ...) together at the end of the run.
    globalSetup: ['test/summaries.global.ts'],
    // Registers binaries/catalog.json for the Node-free modules (the browser page gives its own).
    setupFiles: ['test/catalog.setup.ts'],
    hookTimeout: 30_000,
    // Simulated boards run with a fast clock in tests; benchmarks use the realistic one.
    env: { COPRO_SIM_SPEED: process.env.COPRO_SIM_SPEED ?? '1000' },
  },
});
