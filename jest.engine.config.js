/**
 * Engine suite: `npm run test:engine` (test/engine/run.sh: needs `npm run e2e:tools` first, which
 * builds the Pulumi CLI and kubernetes provider too). The stack program under the real Pulumi engine.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/engine'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  // Each engine operation starts the CLI and the kubernetes provider: seconds to a minute on 2 cores.
  testTimeout: 600000,
  // Two workers (each test file starts its own control plane, ports from its worker's slice: e2e/harness/proc.ts
  // freePort): 46 tests in 292 s beside 416-456 s in one, cached on 2 cores (existing-cluster.test.ts alone is 289 s).
  maxWorkers: 2,
  setupFiles: ['<rootDir>/test/setup-env.ts'],
};
