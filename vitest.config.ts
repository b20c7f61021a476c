import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Where tests live: the Node packages (protocol/, relay/, agent/) keep theirs in the package's
// test/ folder, which their build (tsconfig.node.json) excludes; web/ and bench/ keep each unit
// test beside the module it tests (foo.ts, foo.test.ts), which the bundler never reaches. Relay
// and agent tests start a real relay on a free port; nothing below the socket layer is mocked.
export default defineConfig({
  // The web app's `@protocol/…` imports (as in vite.config.ts).
  resolve: { alias: { '@protocol': fileURLToPath(new URL('./protocol', import.meta.url)) } },
  test: {
    include: [
      'protocol/**/*.test.ts',
      'relay/**/*.test.ts',
      'agent/**/*.test.ts',
      'web/**/*.test.ts',
      'web/**/*.test.tsx',
      'bench/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
