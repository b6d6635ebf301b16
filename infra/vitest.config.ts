import { defineConfig } from 'vitest/config';

// Synthesis with cdk-nag takes a few seconds per stack on 2 cores.
export default defineConfig({
  test: { testTimeout: 120_000, hookTimeout: 120_000, include: ['test/**/*.test.ts'] },
});
