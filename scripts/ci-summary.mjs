// Prints the one line CI reads, "N passed, N failed[, N skipped]", from vitest's JSON report,
// and exits non-zero when the report is missing, no test ran, or anything failed.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.vitest-report.json';
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.error(`ci-summary: cannot read the vitest report ${file}: ${err.message}`);
  process.exit(2);
}
const passed = report.numPassedTests ?? 0;
const failed = report.numFailedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);

// A test file that fails to load (import or syntax error) fails no test, but fails the run.
const brokenFiles = (report.testResults ?? []).filter(
  (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
);
for (const f of brokenFiles) console.error(`ci-summary: ${f.name} failed outside any test: ${(f.message ?? '').split('\n')[0]}`);

if (passed + failed === 0) {
  console.error('ci-summary: no test ran');
  process.exit(3);
}
process.exit(failed > 0 || brokenFiles.length > 0 || report.success === false ? 1 : 0);
