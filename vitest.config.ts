import { defineConfig } from 'vitest/config';

// Unit and integration tests: every *.test.ts beside the code it tests. Relay tests start a real
// relay on a free port; nothing below the socket layer is mocked.
export default defineConfig({
  test: {
    include: ['protocol/**/*.test.ts', 'relay/**/*.test.ts', 'agent/**/*.test.ts', 'web/**/*.test.ts', 'web/**/*.test.tsx', 'bench/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
