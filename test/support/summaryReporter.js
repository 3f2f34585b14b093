// Writes jest's aggregated results (the same object `jest --json` prints) to test-results/<file> (default
// jest.json), so that .ci/run can print the plain "N passed, N failed" line from them. With
// JEST_RESULTS_TAG set (.ci/run sets it per Node version) the file is <name>-<tag>.json, so runs under
// several Node versions keep their own results. The Node version jest ran on is recorded as `nodeVersion`.
const fs = require('node:fs');
const path = require('node:path');

function taggedName(file, tag) {
  if (!tag) return file;
  const ext = path.extname(file);
  return `${path.basename(file, ext)}-${tag}${ext}`;
}

class SummaryReporter {
  constructor(globalConfig, options = {}) {
    this.rootDir = globalConfig.rootDir;
    this.file = taggedName(options.file || 'jest.json', process.env.JEST_RESULTS_TAG);
  }

  onRunComplete(_contexts, results) {
    const dir = path.join(this.rootDir, 'test-results');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, this.file), JSON.stringify({ ...results, nodeVersion: process.version }));
  }
}

module.exports = SummaryReporter;
