#!/usr/bin/env bash
# `make test`'s test run: every target against a fresh moto, then the contract check
# (schemathesis against the real binary, infra/schemathesis.sh) and the check of moto's patched
# transactions (infra/moto_server_test.py) and the generated clients (infra/clients.sh, each
# step counted), then one closing line with
# the totals of all test binaries ("N passed, N failed"; each check counts as one),
# since cargo's own last line is that of whichever target ran last (often an example).
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
infra/with-moto.sh 0 cargo test --all-targets --no-fail-fast 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(awk '/^test result:/ {s += $4} END {print s + 0}' "$log")
failed=$(awk '/^test result:/ {s += $6} END {print s + 0}' "$log")
rm -f "$log"
echo
echo "local stack: infra/moto_server.py's transactions answer as moto's own"
if "${VENV:-.venv}/bin/python" infra/moto_server_test.py; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  status=1
fi
echo
echo "contract check: schemathesis against docs/openapi.yaml"
if infra/with-moto.sh 0 infra/schemathesis.sh; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  status=1
fi
echo
echo "generated clients: docs/openapi.yaml through openapi-python-client and @hey-api/openapi-ts"
clients_log=$(mktemp)
infra/with-moto.sh 0 infra/clients.sh 2>&1 | tee "$clients_log"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$clients_log" | tail -1)
rm -f "$clients_log"
if [ -n "$line" ]; then
  passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
  failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
else
  failed=$((failed + 1))
  status=1
fi
echo
# tests/browser passes without running where Chromium or Playwright is missing: say so.
venv=${VENV:-.venv}
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ] || ! "${BROWSER_PYTHON:-$venv/bin/python}" -c 'import playwright.sync_api' 2>/dev/null; then
  echo "browser tests (tests/browser): SKIPPED on this machine (no ${CHROMIUM:-/usr/bin/chromium} or no playwright in $venv); CI runs them (.ci/run installs chromium)"
fi
echo "$passed passed, $failed failed"
exit "$status"
