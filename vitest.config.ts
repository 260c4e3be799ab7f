import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources through the `gatehouse-source`
// export condition, so tests never need a build first.
const conditions = ['gatehouse-source', 'node', 'import', 'module', 'default'];

export default defineConfig({
  resolve: { conditions },
  // Only our own condition is passed to dependencies loaded outside Vite: `import` there would make some
  // CommonJS packages (pg → pg-pool) load their ESM wrappers the wrong way.
  ssr: { resolve: { conditions, externalConditions: ['gatehouse-source'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.{ts,tsx}',
      'packages/*/test/**/*.test.{ts,tsx}',
      'examples/**/test/**/*.test.{ts,tsx}',
      'e2e/**/*.test.{ts,tsx}',
      'docs/test/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: two test files at a time; service-bound suites use their own ports and key prefixes.
    maxWorkers: 2,
  },
});
