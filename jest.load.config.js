/**
 * `npm run test:load`: the heavy reliability runs (10,000 connections, 100,000 messages, emulator process
 * restarts). Kept out of `npm test` (jest.config.js ignores *.load.test.ts); one worker, so the runs do not
 * compete for the two cores or the file-descriptor budget.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/reliability/load'],
  testMatch: ['**/*.load.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  testTimeout: 300000,
  maxWorkers: 1,
  reporters: ['default', ['<rootDir>/test/support/summaryReporter.js', { file: 'jest-load.json' }]],
};
