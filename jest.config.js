// ESM jest for an ESM (NodeNext) TypeScript project; see ../shared/TOOLCHAIN.md for why each line is here.
export default {
  roots: ['<rootDir>/__tests__'],
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true }]
  },
  testMatch: ['**/*.test.ts'],
  // Entry files and the simulator's command line run only as child processes: not measurable here.
  collectCoverageFrom: ['src/**/*.ts', '!src/entries/**', '!src/simulator/cli.ts'],
  coverageReporters: ['text', 'text-summary'],
  // Fake timers are never used: sleep and clock are injected instead.
  testTimeout: 20000
}
