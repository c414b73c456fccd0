#!/usr/bin/env bash
# `make test`'s test run: every target against a fresh moto, then one closing line with the
# totals of all test binaries ("N passed, N failed"), since cargo's own last line is that of
# whichever target ran last (often an example, with 0 tests).
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
infra/with-moto.sh 0 cargo test --all-targets 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(awk '/^test result:/ {s += $4} END {print s + 0}' "$log")
failed=$(awk '/^test result:/ {s += $6} END {print s + 0}' "$log")
rm -f "$log"
echo
echo "$passed passed, $failed failed"
exit "$status"
