// Writes jest's aggregated results (the same object `jest --json` prints) to test-results/<file>
// (default jest.json), so that .ci/run can print the plain "N passed, N failed" line from them.
const fs = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  constructor(globalConfig, options = {}) {
    this.rootDir = globalConfig.rootDir;
    this.file = options.file || 'jest.json';
  }

  onRunComplete(_contexts, results) {
    const dir = path.join(this.rootDir, 'test-results');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, this.file), JSON.stringify(results));
  }
}

module.exports = SummaryReporter;
