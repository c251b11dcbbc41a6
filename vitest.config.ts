import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // Two files at a time (vitest's default is one fewer than the cores: one, on two cores). Most of
    // the slow files wait on programs they start, signals and timers, so two share two cores well.
    maxWorkers: 2,
    // A private TMPDIR for the run; the run fails if a test leaves anything in it.
    globalSetup: ['test/global-temp.ts'],
  },
});
