#!/usr/bin/env bash
# Memory of the Worker under `wrangler dev` over many new users (tests/bench/memory.sh,
# `make bench-memory`). After a warm-up, rounds of new-user /assign requests alternate with
# rounds of GET /ping (no I/O, nothing per user) as a yardstick, and after each round it
# records the resident memory of the workerd process running the Worker, of wrangler's own
# proxy workerd, and the isolate's wasm linear memory (/metrics).
#   BENCH_WARMUP   requests before measuring (default 100000)
#   BENCH_ROUND    requests per round (default 20000)
#   BENCH_ROUNDS   rounds of each kind (default 5: 100,000 new users)
set -euo pipefail
cd "$(dirname "$0")/../.."
export WRANGLER_SEND_METRICS=false
PORT=${BENCH_PORT:-8798}
WARMUP=${BENCH_WARMUP:-100000}
ROUND=${BENCH_ROUND:-20000}
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

# A fixed number of requests: new users (assign.lua, a fresh prefix each round) or /ping.
stop_after() { # stop_after COUNT: a wrk response hook that ends the run after COUNT answers
  echo "local answered = 0"
  echo "response = function() answered = answered + 1; if answered >= $1 then wrk.thread:stop() end end"
}
run() { # run KIND COUNT PREFIX -> requests per second
  local kind=$1 count=$2 prefix=$3 script=$STATE/run.lua
  if [ "$kind" = assign ]; then
    { cat tests/bench/assign.lua; stop_after "$count"; } >"$script"
    EXPERIMENT=$EXP TOKEN=$TOKEN USER_PREFIX=$prefix wrk -t1 -c16 -d600s -s "$script" "$BASE" | awk '/Requests\/sec/{print $2}'
  else
    stop_after "$count" >"$script"
    wrk -t1 -c16 -d600s -s "$script" "$BASE/ping" | awk '/Requests\/sec/{print $2}'
  fi
}

echo "### warm-up: $WARMUP new users"
run assign "$WARMUP" warm- >/dev/null
printf '%-18s %10s %14s %13s %12s\n' round req/s worker_rss_MB proxy_rss_MB wasm_MB
printf '%-18s %10s %14s %13s %12s\n' after-warm-up - "$(rss "$WORKER")" "$(rss "$PROXY")" "$(wasm)"
for r in $(seq 1 "$ROUNDS"); do
  rate=$(run assign "$ROUND" "round$r-")
  printf '%-18s %10s %14s %13s %12s\n' "new-users-$r" "$rate" "$(rss "$WORKER")" "$(rss "$PROXY")" "$(wasm)"
  rate=$(run ping "$ROUND" -)
  printf '%-18s %10s %14s %13s %12s\n' "ping-$r" "$rate" "$(rss "$WORKER")" "$(rss "$PROXY")" "$(wasm)"
done
USERS=$(api GET /api/v1/progress | python3 -c 'import json,sys; print(sum(p["users"] for p in json.load(sys.stdin)))')
echo "RESULT exposed_users=$USERS"
