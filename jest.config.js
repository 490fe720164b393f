/** Unit tests: `npm test`. The end-to-end suite (test/e2e) runs with `npm run test:e2e`, the engine suite (test/engine) with `npm run test:engine`. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/', '<rootDir>/test/engine/'],
  // Type checking is `tsc --noEmit` in `npm test`; jest only transpiles, which keeps it fast.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 60000,
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  // says at the end of the run when the Talos judges were absent and their tests skipped
  globalTeardown: '<rootDir>/test/judges-summary.ts',
};
