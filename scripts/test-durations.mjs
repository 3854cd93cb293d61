// Writes test/durations.json, the seconds each test file took in the last full run
// (test-results/vitest.json), for the order vitest.config.ts runs them in. A file missing from
// it (a new one) counts as a minute. Run after `npm test`: node scripts/test-durations.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const report = JSON.parse(readFileSync('test-results/vitest.json', 'utf8'));
const known = JSON.parse(readFileSync('test/durations.json', 'utf8'));
for (const file of report.testResults) {
  const path = file.name.slice(file.name.lastIndexOf('/test/') + 1);
  known[path] = Math.round((file.endTime - file.startTime) / 1000);
}
const sorted = Object.fromEntries(Object.entries(known).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
writeFileSync('test/durations.json', `${JSON.stringify(sorted, null, 1)}\n`);
console.log(`test/durations.json: ${Object.keys(sorted).length} files`);
