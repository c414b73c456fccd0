#!/usr/bin/env bash
# `make dev`: on a fresh moto (started by with-moto.sh), create the tables from template.yaml,
# seed, then serve the API on 127.0.0.1:3000 with a log line per request (DEV_VIA_LAMBDA=1, make
# dev-lambda: through the Lambda path). Ctrl-C stops both. tests/browser starts it too, on its
# own TABLE_PREFIX and BIND_ADDR, with the test build's binaries (CRM_ADMIN, CUSTOMER_API).
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/seed.sh
export BIND_ADDR=${BIND_ADDR:-127.0.0.1:3000}
# Seals form keys' signing secrets (dev only; the stack has its own in Secrets Manager).
export FORM_SECRET_KEY=${FORM_SECRET_KEY:-dev-form-secret-key}
# Form keys may name http://localhost origins and redirect URLs (dev only; never in a stack).
export FORM_LOCAL_ORIGINS=${FORM_LOCAL_ORIGINS:-true}
cat >&2 <<MSG

  Customer API on http://$BIND_ADDR  (DynamoDB API: $DYNAMODB_ENDPOINT)
  Seeded users (dev only):
    userid 5  ISP user of ISP 1   api_key 0f9895fb407c83e5ea128082098b47681aa75d6944576423c4
    userid 1  admin               api_key 1aa1dev0admin0key0000000000000000000000000000000001
    userid 7  reseller 1 of ISP 1 api_key 7cc7dev0reseller0key00000000000000000000000000000007
    userid 10 form key, reseller 1 api_key f00fdev0form0key000000000000000000000000000000000010 (create only)
  Try: BASE_URL=http://$BIND_ADDR; curl -X POST \$BASE_URL/api/customer/list -d userid=5 -d api_key="0f9895fb407c83e5ea128082098b47681aa75d6944576423c4"

MSG
if [ "${DEV_VIA_LAMBDA:-}" = 1 ]; then
  # make dev-lambda: through lambda_http, as deployed (examples/lambda_local)
  exec target/debug/examples/lambda_local
fi
exec "${CUSTOMER_API:-target/debug/customer-api-dev}"
