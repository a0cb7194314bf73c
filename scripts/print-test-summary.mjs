// Prints the closing line of `npm test`, vitest's JSON report and pytest's JUnit XML report added
// up: "tests: N passed, N failed, N skipped". A report that is missing adds nothing.
import { existsSync, readFileSync } from "node:fs";

const [vitestReport, pytestReport] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
if (vitestReport && existsSync(vitestReport)) {
  const report = JSON.parse(readFileSync(vitestReport, "utf8"));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
}
if (pytestReport && existsSync(pytestReport)) {
  // <testsuite name="pytest" errors="0" failures="0" skipped="0" tests="16" …>: errors are failures.
  const suite = /<testsuite\b[^>]*>/.exec(readFileSync(pytestReport, "utf8"))?.[0] ?? "";
  const count = (name) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(suite)?.[1] ?? 0);
  const bad = count("failures") + count("errors");
  passed += count("tests") - bad - count("skipped");
  failed += bad;
  skipped += count("skipped");
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
