#!/usr/bin/env bash
# Memory of the Worker under `wrangler dev` over many new users (tests/bench/memory.sh,
# `make bench-memory`). After a warm-up, rounds of new-user /assign requests alternate with
# rounds of GET /ping (no I/O, nothing per user) as a yardstick, and after each round it
# records the resident memory of the workerd process running the Worker, of wrangler's own
# proxy workerd, and the isolate's wasm linear memory (/metrics).
#   BENCH_WARMUP   seconds of new users before measuring (default 240: ~100,000 at ~450/s)
#   BENCH_ROUND    seconds per round (default 45: ~20,000 requests)
#   BENCH_ROUNDS   rounds of each kind (default 5: ~100,000 new users)
set -euo pipefail
cd "$(dirname "$0")/../.."
export WRANGLER_SEND_METRICS=false
PORT=${BENCH_PORT:-8798}
WARMUP=${BENCH_WARMUP:-240}
ROUND=${BENCH_ROUND:-45}
ROUNDS=${BENCH_ROUNDS:-5}
STATE=$(mktemp -d /tmp/cleave-bench-memory.XXXXXX)
TOKEN=bench-token
BASE=http://127.0.0.1:$PORT

setsid node_modules/.bin/wrangler dev --local --ip 127.0.0.1 --port "$PORT" --persist-to "$STATE" \
  --show-interactive-dev-session=false --var "ADMIN_TOKEN:$TOKEN" </dev/null >"$STATE/wrangler.log" 2>&1 &
WRANGLER_PID=$!
stop() { kill -TERM -- "-$WRANGLER_PID" 2>/dev/null || true; sleep 1; kill -KILL -- "-$WRANGLER_PID" 2>/dev/null || true; }
trap stop EXIT
node_modules/.bin/wrangler d1 migrations apply DB --local --persist-to "$STATE" >/dev/null
for _ in $(seq 1 300); do curl -sf "$BASE/ping" >/dev/null && break; sleep 0.2; done
api() { curl -sf -X "$1" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' "$BASE$2" ${3:+-d "$3"}; }
EXP=$(api POST /api/v1/experiments '{"name":"Memory","variants":[{"name":"control"},{"name":"treatment"}]}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
api POST "/api/v1/experiments/$EXP/start" >/dev/null

# wrangler's proxy workerd listens on the port; the other workerd runs the Worker.
PROXY=$(ss -ltnpH "sport = :$PORT" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
WORKER=$(pgrep -g "$WRANGLER_PID" -f "workerd serve" | grep -vx "$PROXY" | head -1)
rss() { echo $(( $(awk '/VmRSS/{print $2}' "/proc/$1/status") / 1024 )); }
wasm() { api GET /metrics | awk '/^cleave_worker_wasm_memory_bytes/{print int($2 / 1048576 * 10) / 10}'; }

# One round of load: new users (assign.lua, a fresh prefix per round) or /ping, for a fixed
# time; prints "requests req/s".
run() { # run KIND SECONDS PREFIX
  local kind=$1 seconds=$2 prefix=$3 out
  if [ "$kind" = assign ]; then
    out=$(EXPERIMENT=$EXP TOKEN=$TOKEN USER_PREFIX=$prefix wrk -t1 -c16 -d"${seconds}s" -s tests/bench/assign.lua "$BASE")
  else
    out=$(wrk -t1 -c16 -d"${seconds}s" "$BASE/ping")
  fi
  echo "$(echo "$out" | awk '/requests in/{print $1}') $(echo "$out" | awk '/Requests\/sec/{print $2}')"
}

echo "### warm-up: new users for ${WARMUP}s"
run assign "$WARMUP" warm- >/dev/null
printf '%-14s %9s %8s %14s %13s %8s\n' round requests req/s worker_rss_MB proxy_rss_MB wasm_MB
printf '%-14s %9s %8s %14s %13s %8s\n' after-warm-up - - "$(rss "$WORKER")" "$(rss "$PROXY")" "$(wasm)"
for r in $(seq 1 "$ROUNDS"); do
  read -r n rate < <(run assign "$ROUND" "round$r-")
  printf '%-14s %9s %8s %14s %13s %8s\n' "new-users-$r" "$n" "$rate" "$(rss "$WORKER")" "$(rss "$PROXY")" "$(wasm)"
  read -r n rate < <(run ping "$ROUND" -)
  printf '%-14s %9s %8s %14s %13s %8s\n' "ping-$r" "$n" "$rate" "$(rss "$WORKER")" "$(rss "$PROXY")" "$(wasm)"
done
USERS=$(api GET /api/v1/progress | python3 -c 'import json,sys; print(sum(p["users"] for p in json.load(sys.stdin)))')
echo "RESULT exposed_users=$USERS"
