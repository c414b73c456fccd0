#!/usr/bin/env bash
# Seeds a fresh dev stack so the spec's curl examples run verbatim:
# ISP 1 with reseller 1, user 5 (ISP user of ISP 1) with the spec's api_key, customer 1423
# (the delete example), and the id counter at 1242 (the create example answers 1243).
# Also an admin (user 1), a reseller user (user 7) and a form key (user 10, create-only in
# reseller 1) to try the other scopes.
# DEV ONLY: these keys are public. Uses DYNAMODB_ENDPOINT / TABLE_PREFIX like crm-admin.
set -euo pipefail
cd "$(dirname "$0")/.."
admin=${CRM_ADMIN:-target/debug/crm-admin}

"$admin" tables create
"$admin" isp create --id 1 --name "Demo ISP"
"$admin" reseller create --isp 1 --id 1 --name "Demo Reseller"
"$admin" user create --userid 5 --role isp --isp 1 --api-key 0f9895fb407c83e5ea128082098b47681aa75d6944576423c4 >/dev/null
"$admin" user create --userid 1 --role admin --api-key 1aa1dev0admin0key0000000000000000000000000000000001 >/dev/null
"$admin" user create --userid 7 --role reseller --reseller 1 --api-key 7cc7dev0reseller0key00000000000000000000000000000007 >/dev/null
"$admin" user create --userid 10 --role form --reseller 1 --api-key f00fdev0form0key000000000000000000000000000000000010 >/dev/null
# --keep-counter: ids continue at 1243 (as the spec's create example answers); a create that
# reaches 1423 skips it.
"$admin" customer import --file infra/seed-customers.json --keep-counter --no-journal
"$admin" customer raise-ids --above 1242
