// Prints one line per jest run for humans, then the combined plain line CI reads: "N passed, N failed"
// (", N skipped" when any), summed over every run. Each argument is "<results file>=<expected node version>".
// A run that wrote no results (it crashed before jest finished) or ran on another Node version than the one
// it was meant for counts as one failure. Exits 1 when anything failed.
const fs = require('node:fs');

let passed = 0;
let failed = 0;
let skipped = 0;
for (const arg of process.argv.slice(2)) {
  const [file, expectedVersion] = arg.split('=');
  if (!fs.existsSync(file)) {
    console.log(`${file} (Node ${expectedVersion}) wrote no results: counted as 1 failure`);
    failed += 1;
    continue;
  }
  const r = JSON.parse(fs.readFileSync(file, 'utf8'));
  const run = {
    passed: r.numPassedTests,
    failed: r.numFailedTests + (r.numRuntimeErrorTestSuites || 0),
    skipped: r.numPendingTests + (r.numTodoTests || 0),
  };
  if (r.nodeVersion !== expectedVersion) {
    console.log(`${file} ran on Node ${r.nodeVersion}, not ${expectedVersion}: counted as 1 failure`);
    run.failed += 1;
  }
  console.log(`${file} on Node ${r.nodeVersion} - ${run.passed} passed, ${run.failed} failed, ${run.skipped} skipped`);
  passed += run.passed;
  failed += run.failed;
  skipped += run.skipped;
}
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
process.exitCode = failed > 0 ? 1 : 0;
