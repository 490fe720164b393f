/** Unit tests: `npm test`. The end-to-end suite (test/e2e) runs with `npm run test:e2e`, the engine suite (test/engine) with `npm run test:engine`. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/e2e/', '<rootDir>/test/engine/'],
  // Type checking is `tsc --noEmit` in `npm test`; jest only transpiles, which keeps it fast.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 60000,
  // Every core: jest's default (cores - 1) is one worker on a 2-core CI machine. Measured there, cached:
  // 905 tests in 593 s with one worker, 328 s with two (181 % CPU, peak RSS 2.3 GB).
  maxWorkers: '100%',
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  // says at the end of the run when the Talos judges were absent and their tests skipped
  globalTeardown: '<rootDir>/test/judges-summary.ts',
};
