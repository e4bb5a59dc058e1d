// ESM jest for an ESM (NodeNext) TypeScript project: ts-jest in ESM mode (npm test runs jest under
// node --experimental-vm-modules), and the `.js` suffixes of relative imports mapped to the .ts files.
export default {
  // src/ too: jest finds the files no test imports only under its roots, and counts them as not run.
  roots: ['<rootDir>/__tests__', '<rootDir>/src'],
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {'^(\\.{1,2}/.*)\\.js$': '$1'},
  transform: {
    '^.+\\.ts$': ['ts-jest', {useESM: true}]
  },
  testMatch: ['**/*.test.ts'],
  // All of src/. The bundles the end-to-end tests run in child processes are measured too: setup
  // builds a source-mapped copy for them, teardown merges their V8 coverage into jest's (json)
  // and prints one figure per folder (scripts/coverage/).
  collectCoverageFrom: ['src/**/*.ts'],
  coverageReporters: ['json'],
  globalSetup: '<rootDir>/scripts/coverage/setup.mjs',
  globalTeardown: '<rootDir>/scripts/coverage/teardown.mjs',
  // Fake timers are never used: sleep and clock are injected instead.
  testTimeout: 20000
}
