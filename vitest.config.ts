import { defineConfig } from 'vitest/config';

// One `npm test` runs every tier:
// - unit: tests beside the code, no I/O;
// - integration: kernel and modules against embedded PGlite + PostGIS and the in-process bus, or — when
//   TARTIP_TEST_DATABASE_URL / TARTIP_TEST_NATS_URL are set (CI sets both and fails if they are down) —
//   against PostgreSQL + PostGIS and NATS JetStream;
// - integration-pglite: when those are set, the same files once more on PGlite, so embedded mode is always tested;
// - e2e: browser tests in e2e/ against the real build in Chromium.
const external = Boolean(process.env.TARTIP_TEST_DATABASE_URL || process.env.TARTIP_TEST_NATS_URL);
const integration = {
  include: ['packages/**/*.int.test.ts', 'apps/**/*.int.test.ts', 'modules/**/*.int.test.ts'],
  testTimeout: 120_000,
  hookTimeout: 180_000,
  fileParallelism: false,
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/**/*.test.ts', 'apps/**/*.test.ts', 'modules/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        },
      },
      { test: { name: 'integration', ...integration } },
      ...(external
        ? [{ test: { name: 'integration-pglite', ...integration, env: { TARTIP_TEST_DATABASE_URL: '', TARTIP_TEST_NATS_URL: '' } } }]
        : []),
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
