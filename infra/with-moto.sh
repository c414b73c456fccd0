#!/usr/bin/env bash
# Usage: infra/with-moto.sh PORT COMMAND [ARGS...]
# Starts moto (the DynamoDB API emulator; one request at a time, see infra/moto_server.py) on
# 127.0.0.1:PORT (PORT=0: a free port), runs COMMAND with DYNAMODB_ENDPOINT pointing at it,
# and stops moto when COMMAND ends.
set -euo pipefail
cd "$(dirname "$0")/.."
port=$1; shift
venv=${VENV:-.venv}
if [ "$port" = 0 ]; then
  port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "with-moto: 127.0.0.1:$port is already in use (another make dev?); stop it or pick another port" >&2
  exit 1
fi
log=${MOTO_LOG:-/tmp/moto-$port.log}
"$venv/bin/python" infra/moto_server.py 127.0.0.1 "$port" >"$log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null; wait "$moto_pid" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  if ! kill -0 "$moto_pid" 2>/dev/null; then echo "with-moto: moto failed to start, see $log" >&2; exit 1; fi
  sleep 0.1
done
export DYNAMODB_ENDPOINT="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-test} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-test}
export AWS_REGION=${AWS_REGION:-us-east-1} AWS_EC2_METADATA_DISABLED=true
# moto serves one request at a time and walks whole tables for index queries: give the
# binaries run against it (make dev, the binary tests) time that DynamoDB would not need.
export DYNAMODB_ATTEMPT_TIMEOUT_MS=${DYNAMODB_ATTEMPT_TIMEOUT_MS:-30000}
export DYNAMODB_OPERATION_TIMEOUT_MS=${DYNAMODB_OPERATION_TIMEOUT_MS:-60000}
export REQUEST_DEADLINE_MS=${REQUEST_DEADLINE_MS:-120000}
echo "with-moto: DynamoDB API (moto) on $DYNAMODB_ENDPOINT" >&2
"$@"
