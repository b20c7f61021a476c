// Lint rules and the layout's import boundaries (README, "Layout and boundaries"). Prettier owns
// formatting; eslint-config-prettier turns off every rule that would fight it.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// What each top-level folder may import of the others; any folder not named is forbidden to it.
const MAY_IMPORT = {
  // The wire contract: isomorphic and self-contained, so it depends on nothing it describes.
  protocol: [],
  // The three products build on the protocol alone, so each can change without the others.
  relay: ['protocol'],
  web: ['protocol'],
  agent: ['protocol'],
  // startRelay() runs the real relay in-process for tests; it knows nothing of web or agent.
  'test-support': ['protocol', 'relay'],
  // Browser tests drive the whole system: the built app, SDK agents, relay config, test-support.
  e2e: ['protocol', 'relay', 'web', 'agent', 'test-support'],
  // Benchmarks measure relay internals, the SDK and the web app's markdown against a live relay.
  bench: ['protocol', 'relay', 'web', 'agent', 'test-support'],
  // Image and build tooling reaches the code it builds through files, never through imports.
  deploy: [],
  // The package scripts copy and pack dist/; they import none of the sources.
  packages: [],
};
// The *.config.ts files at the top wire the tools together and are in no zone.
// Tests of relay/ and agent/ (test/ folders, *.test.ts) start a real relay through test-support.
const TEST_ONLY = { relay: ['test-support'], agent: ['test-support'] };
const TESTS = ['**/test/**', '**/*.test.ts', '**/*.test.tsx'];
const FOLDERS = Object.keys(MAY_IMPORT);

function boundaries(forTests) {
  const zones = FOLDERS.map((target) => {
    const allowed = [...MAY_IMPORT[target], ...(forTests ? (TEST_ONLY[target] ?? []) : [])];
    const may = allowed.length ? `may import only ${allowed.join(', ')}` : 'may import none of the others';
    return {
      target: `./${target}`,
      from: FOLDERS.filter((f) => f !== target && !allowed.includes(f)).map((f) => `./${f}`),
      message: `${target}/ ${may}${forTests ? '' : ' outside its tests'} (eslint.config.js).`,
    };
  });
  return ['error', { zones }];
}

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      'node_modules/**',
      'test-results/**',
      'playwright-report/**',
      'bench/results/**',
      'public/**',
    ],
  },
  js.configs.recommended,
  // Without type information: the type-aware set doubles the lint time on this tree and fires
  // mostly on the tests' deliberately loose `json: any` answers.
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.tsx', '.js', '.mjs'],
      'import-x/resolver-next': [
        // Resolves the NodeNext `.js` specifiers of the Node code and the web app's @protocol alias.
        createTypeScriptImportResolver({
          project: ['tsconfig.check.json', 'tsconfig.web.json', 'tsconfig.sw.json'],
          noWarnOnMultipleProjects: true,
        }),
        // Package subpaths whose `types` export points nowhere (@modelcontextprotocol/sdk/*.js).
        importX.createNodeResolver(),
      ],
    },
    rules: {
      // The boundaries only hold for imports that resolve, so every import must.
      'import-x/no-unresolved': 'error',
      'import-x/no-restricted-paths': boundaries(true),
      // Cycles among our own modules; walking into node_modules finds none of ours and costs most of the time.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // Stripping control characters, and asserting they are gone, is what those regexes are for.
      'no-control-regex': 'off',
      // A handler keeps the arguments of its signature; `_x` marks anything else unused on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { args: 'none', caughtErrors: 'none', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['relay/**', 'agent/**'],
    ignores: TESTS,
    rules: { 'import-x/no-restricted-paths': boundaries(false) },
  },
  {
    files: ['web/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.flat.recommended.rules,
      // The app is not built with React Compiler; these of its rules flag deliberate patterns here:
      // resetting state when the room or query changes, clocks read for relative times, callbacks
      // handed to children, and a render-local accumulator.
      'react-hooks/set-state-in-effect': 'off',
      'react-hooks/purity': 'off',
      'react-hooks/refs': 'off',
      'react-hooks/immutability': 'off',
      // The web app reaches the protocol through its alias, as the bundler does, not by climbing out.
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(\\.\\./)+protocol(/|$)', message: 'Import the protocol as @protocol/….' }] },
      ],
    },
  },
  {
    files: ['web/sw/**/*.ts'],
    languageOptions: { globals: { ...globals.serviceworker } },
  },
  {
    files: ['e2e/**'],
    // A Playwright fixture that needs no other fixture still destructures its first argument.
    rules: { 'no-empty-pattern': 'off' },
  },
  prettier,
);
