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
. infra/seeded-api.sh
# No per-user bucket: schemathesis sends thousands of requests a second as one user. A long
# auth cache: user/rotate_key without a target rotates user 5's own key, and the key in the
# headers must keep working for the rest of the run (a warm instance's cached key does).
start_seeded_api "$venv/bin/python" USER_REQUESTS_PER_SECOND=0 AUTH_CACHE_SECONDS=86400
"$venv/bin/schemathesis" run docs/openapi.yaml \
  --url "http://127.0.0.1:$port" \
  -H "X-Userid: 5" -H "X-Api-Key: 0f9895fb407c83e5ea128082098b47681aa75d6944576423c4" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
  --seed 20261127 --max-examples "${SCHEMATHESIS_EXAMPLES:-50}" --workers 1 \
  --phases examples,coverage,fuzzing --generation-deterministic \
  --suppress-health-check all --warnings off
