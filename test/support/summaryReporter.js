// Writes jest's aggregated results (the same object `jest --json` prints) to test-results/jest.json,
// so that .ci/run can print the plain "N passed, N failed" line from them.
const fs = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const dir = path.join(this.rootDir, 'test-results');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'jest.json'), JSON.stringify(results));
  }
}

module.exports = SummaryReporter;
