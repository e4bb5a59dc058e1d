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
  collectCoverageFrom: ['src/**/*.ts'],
  coverageReporters: ['text-summary', 'text'],
  // Fake timers are never used: sleep and clock are injected instead.
  testTimeout: 20000
}
