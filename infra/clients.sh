#!/usr/bin/env bash
# `make clients` (run by make test, under infra/with-moto.sh): generates a Python client
# (openapi-python-client, .venv-clients) and a TypeScript client (@hey-api/openapi-ts,
# clients/node_modules) from docs/openapi.yaml into clients/.generated (not committed),
# checks that each has every operation of the document, then drives neuCRM's reference flow
# through each against the real binary, seeded as `make dev` is. Prints one line per step and
# closes with "N passed, N failed" over both clients.
set -uo pipefail
cd "$(dirname "$0")/.."
venv=${CLIENTS_VENV:-.venv-clients}
gen=clients/.generated
rm -rf "$gen" && mkdir -p "$gen"
export TABLE_PREFIX="cl$$-"
. infra/seeded-api.sh
start_seeded_api "$venv/bin/python"
export BASE_URL="http://127.0.0.1:$port"

operations=$(grep -cE '^    (get|put|post|delete|options|head|patch|trace):' docs/openapi.yaml)
passed=0 failed=0
count() {  # NAME GOT: every operation of the document generated?
  if [ "$2" = "$operations" ]; then
    echo "ok   $1: $2 of $operations operations generated"; passed=$((passed + 1))
  else
    echo "FAIL $1: $2 of $operations operations generated"; failed=$((failed + 1))
  fi
}
tally() {  # the closing "N passed, N failed" line of a flow's output
  local line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -1)
  if [ -z "$line" ]; then failed=$((failed + 1)); return; fi
  passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
  failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
}

# Python
"$venv/bin/openapi-python-client" generate --path docs/openapi.yaml --config clients/openapi-python-client.yaml \
  --output-path "$gen/py/customer_api_client" --meta none >"$gen/py.log" 2>&1 || cat "$gen/py.log"
count "openapi-python-client" "$(find "$gen/py/customer_api_client/api" -name '*.py' ! -name '__init__.py' 2>/dev/null | wc -l)"
"$venv/bin/python" clients/test_python_client.py >"$gen/py-flow.log" 2>&1
grep -v -E '^[0-9]+ passed' "$gen/py-flow.log"
tally "$gen/py-flow.log"

# TypeScript: generate, compile the client with the flow, run it with node's test runner
(cd clients && npx --no-install openapi-ts >"../$gen/ts.log" 2>&1) || cat "$gen/ts.log"
count "@hey-api/openapi-ts" "$(grep -c '^export const [A-Za-z]* = <ThrowOnError' "$gen/ts/client/sdk.gen.ts" 2>/dev/null)"
if (cd clients && npx --no-install tsc -p tsconfig.json) >"$gen/tsc.log" 2>&1; then
  node clients/.generated/ts-out/flow.test.js >"$gen/ts-flow.log" 2>&1
  grep -v -E '^[0-9]+ passed' "$gen/ts-flow.log"
  tally "$gen/ts-flow.log"
else
  echo "FAIL typescript client: tsc"; cat "$gen/tsc.log"; failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
