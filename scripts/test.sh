#!/usr/bin/env bash
# npm test: set up what is missing, type-check, build the site, then run every test. Integration
# tests boot real nodes under v86, two test files at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The browser tests drive Debian's chromium (playwright-core brings no browser of its own).
if ! command -v chromium >/dev/null; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
# The class server's tests start a private PostgreSQL from Debian's package (scripts/postgres.sh).
bash scripts/postgres.sh install
npx tsc --noEmit -p .
# The static site the browser tests open.
npx vite build --logLevel warn
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json "$@" || status=$?
# One plain summary line that any CI can read.
node -e '
  const r = JSON.parse(require("fs").readFileSync("test-results/vitest.json", "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' || true
exit $status
