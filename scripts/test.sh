#!/usr/bin/env bash
# npm test: set up what is missing, type-check, then run every test. Integration
# tests boot real nodes under v86, two test files at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc --noEmit -p .
npx vitest run "$@"
