import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Simulated boards run with a fast clock in tests; benchmarks use the realistic one.
    env: { COPRO_SIM_SPEED: process.env.COPRO_SIM_SPEED ?? '1000' },
  },
});
