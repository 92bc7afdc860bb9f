import { defineConfig } from 'vitest/config';

/**
 * Three tiers, one command each (`npm run test:unit`, `test:e2e`, `test:soak`); `npm test` runs them all.
 * - unit: domain, Knox client (against the simulator over loopback), handlers (against dynalite), template, security;
 * - e2e: the local stack end to end (HTTP API, engine, simulator, dynalite, a real browser), hostile input;
 * - soak: the fixed-seed fault soak and the bench's own checks.
 */
const E2E = [
  'test/e2e-*.test.ts',
  'test/local-*.test.ts',
  'test/demo.test.ts',
  'test/hostile-*.test.ts',
  'test/console*.test.ts',
  'test/cli*.test.ts',
  // Stacks with LATENCY=aws (AWS's typical latencies): the scenarios that claim AWS behaviour.
  'test/aws-latency-*.test.ts',
];
const SOAK = ['test/soak*.test.ts', 'test/bench*.test.ts'];

export default defineConfig({
  test: {
    setupFiles: ['test/support/setup.ts'],
    // End-to-end suites start real servers (dynalite, the Knox simulator, the HTTP API): give them room.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [...E2E, ...SOAK] } },
      { extends: true, test: { name: 'e2e', include: E2E } },
      { extends: true, test: { name: 'soak', include: SOAK } },
    ],
  },
});
