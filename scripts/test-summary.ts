/**
 * Prints one plain closing line for a vitest JSON report (`vitest: N passed, N failed, N skipped`), so CI
 * logs end with a count any reader understands. Expected failures (`it.fails`) count as passed, as vitest
 * counts them.
 */
import { readFileSync } from 'node:fs';

interface Report {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numTotalTestSuites: number;
  numFailedTestSuites: number;
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node scripts/test-summary.ts <vitest json report>\n');
  process.exit(2);
}
let report: Report;
try {
  report = JSON.parse(readFileSync(file, 'utf8')) as Report;
} catch (err) {
  process.stderr.write(`no test report at ${file}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
// A file that fails to load counts as a failure even though none of its tests ran.
const failed = report.numFailedTests + (report.numFailedTests === 0 ? report.numFailedTestSuites : 0);
const skipped = report.numPendingTests + report.numTodoTests;
process.stdout.write(`vitest: ${report.numPassedTests} passed, ${failed} failed, ${skipped} skipped\n`);
