#!/usr/bin/env bash
# `make test`'s contract check: schemathesis (fixed seed, bounded examples) generates requests
# from docs/openapi.yaml and sends them to the real binary, seeded as `make dev` is, with the
# credentials of a seeded ISP user in the headers so requests reach past authentication.
# Checks that every answer is documented: no server error, status code, content type, body
# schema and headers as the document says. Not "valid input is accepted": unknown parameters
# are ignored and some refusals are semantic (a future dob, a tampered cursor).
# Needs DYNAMODB_ENDPOINT (infra/with-moto.sh) and the debug binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${VENV:-.venv}
export TABLE_PREFIX="st$$-"
seed_log=$(mktemp)
bash infra/seed.sh >"$seed_log" 2>&1 || { cat "$seed_log"; rm -f "$seed_log"; exit 1; }
rm -f "$seed_log"
port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
# No per-user bucket: schemathesis sends thousands of requests a second as one user. A long
# auth cache: user/rotate_key without a target rotates user 5's own key, and the key in the
# headers must keep working for the rest of the run (a warm instance's cached key does).
BIND_ADDR="127.0.0.1:$port" RUST_LOG=warn USER_REQUESTS_PER_SECOND=0 AUTH_CACHE_SECONDS=86400 \
  target/debug/customer-api >"$log" 2>&1 &
api=$!
trap 'kill "$api" 2>/dev/null; wait "$api" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
"$venv/bin/schemathesis" run docs/openapi.yaml \
  --url "http://127.0.0.1:$port" \
  -H "X-Userid: 5" -H "X-Api-Key: 0f9895fb407c83e5ea128082098b47681aa75d6944576423c4" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
  --seed 20261127 --max-examples "${SCHEMATHESIS_EXAMPLES:-50}" --workers 1 \
  --phases examples,coverage,fuzzing --generation-deterministic \
  --suppress-health-check all --warnings off
