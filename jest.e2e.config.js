/** End-to-end suite: `npm run test:e2e` (needs `npm run e2e:tools` first; see e2e/README.md). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  // Starting a control plane takes ~10-20 s on 2 cores; kube-bench ~10 s.
  testTimeout: 180000,
  maxWorkers: 1,
};
