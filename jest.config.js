/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The heavy load suite (10,000 connections, 100,000 messages) runs separately: `npm run test:load`.
  testPathIgnorePatterns: ['/node_modules/', '\\.load\\.test\\.ts$'],
  transform: {
    // Type checking is done once by `tsc` in `npm test`; with tsconfig's isolatedModules ts-jest only
    // transpiles each file, which keeps jest fast.
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  testTimeout: 30000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summaryReporter.js'],
};
