#!/usr/bin/env bash
# `make import-report`: crm-admin's CSV import and export at size, against moto (run by
# with-moto.sh). Checks a file of CHECK_ROWS customers (default 100,000) with --check, then
# imports WRITE_ROWS (default 2,000; moto walks whole tables for index queries, so a much
# bigger write is slow here, not on DynamoDB) and exports them; prints each run's peak
# memory (max RSS) and time. Figures in docs/data-model.md.
set -euo pipefail
cd "$(dirname "$0")/.."
check_rows=${CHECK_ROWS:-100000}
write_rows=${WRITE_ROWS:-2000}
admin=${CRM_ADMIN:-target/debug/crm-admin}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export TABLE_PREFIX="import-report-$$-"
# moto serves one request at a time and walks whole tables for index queries: on a busy
# machine a call can take seconds. Generous timeouts, or the report measures moto's queue.
export DYNAMODB_ATTEMPT_TIMEOUT_MS=${DYNAMODB_ATTEMPT_TIMEOUT_MS:-120000}
export DYNAMODB_OPERATION_TIMEOUT_MS=${DYNAMODB_OPERATION_TIMEOUT_MS:-600000}

rows() {
  python3 - "$1" <<'PY'
import sys
n = int(sys.argv[1])
print("name,type,mobile,email,zipcode,state,city,street,notes")
for i in range(n):
    print(f'Customer {i:06},Individual,+9198{i:08},c{i}@example.com,{i % 1000:06},Goa,Panaji,"{i} Road, Block {i % 7}","note {i}"')
PY
}
rows "$check_rows" > "$dir/check.csv"
rows "$write_rows" > "$dir/write.csv"

measure() {
  /usr/bin/time -f "  peak memory %M KB, %e s" "$@"
}
"$admin" tables create >/dev/null 2>&1
"$admin" isp create --id 1 --name "Report ISP"
"$admin" reseller create --isp 1 --id 1 --name "Report reseller"
echo "check $check_rows rows ($(du -h "$dir/check.csv" | cut -f1)):"
measure "$admin" customer import --file "$dir/check.csv" --isp 1 --reseller 1 --check
echo "import $write_rows rows:"
measure "$admin" customer import --file "$dir/write.csv" --isp 1 --reseller 1
echo "export $write_rows rows:"
measure "$admin" customer export --isp 1 --out "$dir/out.csv"
"$admin" counters verify --isp 1
