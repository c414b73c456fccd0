# Sourced by infra/clients.sh and infra/schemathesis.sh: `start_seeded_api PYTHON [VAR=value…]`
# seeds the tables of $TABLE_PREFIX as `make dev` does, starts target/debug/customer-api-dev on a
# free port with those variables, stops it when the script exits, and sets `port` once the
# API listens. Needs DYNAMODB_ENDPOINT (infra/with-moto.sh) and the debug binaries.
start_seeded_api() {
  local python=$1
  shift
  local seed_log
  seed_log=$(mktemp)
  bash infra/seed.sh >"$seed_log" 2>&1 || { cat "$seed_log"; rm -f "$seed_log"; exit 1; }
  rm -f "$seed_log"
  port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  api_log=$(mktemp)
  env BIND_ADDR="127.0.0.1:$port" RUST_LOG=warn "$@" target/debug/customer-api-dev >"$api_log" 2>&1 &
  api=$!
  trap 'kill "$api" 2>/dev/null; wait "$api" 2>/dev/null || true; rm -f "$api_log"' EXIT
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
}
