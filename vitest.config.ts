import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // A private TMPDIR for the run; the run fails if a test leaves anything in it.
    globalSetup: ['test/global-temp.ts'],
  },
});
