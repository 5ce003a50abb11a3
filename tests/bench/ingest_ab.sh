#!/usr/bin/env bash
# Interleaved A/B of the Worker's ingest across builds: each round serves every build in
# turn (copied into worker/build, fresh local state, tests/bench/serve.mjs) and runs the
# ingest of `make bench-worker` sections 2 and 2b on it: 100,000 events over 20,000 units
# into an 8-shard experiment and 50,000 over 5,000 units into a `"shards": 1` one.
# Prints events/s and the runtime's CPU per 1,000 events for each build and round; compare
# medians across rounds (the host is shared: one round proves nothing).
#
# Usage: tests/bench/ingest_ab.sh DIR [DIR ...]   (BENCH_ROUNDS, default 3)
# Each DIR holds a `make worker` output copied aside: index.js, index_bg.wasm and worker/
# from worker/build. The build in worker/build when the script starts is put back at exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
export WRANGLER_SEND_METRICS=false
[ $# -ge 1 ] || { echo "usage: $0 DIR [DIR ...]" >&2; exit 2; }
for dir in "$@"; do
  for f in index.js index_bg.wasm worker; do
    [ -e "$dir/$f" ] || { echo "$dir has no $f: copy a make worker output (worker/build) there" >&2; exit 2; }
  done
done
PORT=${BENCH_PORT:-8798}
TOKEN=bench-token
BASE=http://127.0.0.1:$PORT
KEEP=$(mktemp -d /tmp/cleave-ab-keep.XXXXXX)
cp -r worker/build/index.js worker/build/index_bg.wasm worker/build/worker "$KEEP/"
SERVER=
STATE=
stop() {
  if [ -n "$SERVER" ]; then
    kill -TERM -- "-$SERVER" 2>/dev/null || true; sleep 1; kill -KILL -- "-$SERVER" 2>/dev/null || true
  fi
  SERVER=
  if [ -n "$STATE" ]; then rm -rf "$STATE"; fi
  STATE=
}
restore() {
  stop
  rm -rf worker/build/index.js worker/build/index_bg.wasm worker/build/worker
  cp -r "$KEEP/index.js" "$KEEP/index_bg.wasm" "$KEEP/worker" worker/build/
  rm -rf "$KEEP"
}
trap restore EXIT
api() { curl -sf -X "$1" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' "$BASE$2" ${3:+-d "$3"}; }
experiment() {
  local id
  id=$(api POST /api/v1/experiments "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  api POST "/api/v1/experiments/$id/start" >/dev/null
  echo "$id"
}
figures() { sed -n 's/.*events_per_s=\([0-9]*\) workerd_cpu_ms_per_1000=\([0-9.]*\).*/\1 events\/s, \2 ms CPU per 1,000/p'; }
for round in $(seq 1 "${BENCH_ROUNDS:-3}"); do
  for dir in "$@"; do
    rm -rf worker/build/index.js worker/build/index_bg.wasm worker/build/worker
    cp -r "$dir/index.js" "$dir/index_bg.wasm" "$dir/worker" worker/build/
    STATE=$(mktemp -d /tmp/cleave-ab.XXXXXX)
    node_modules/.bin/wrangler d1 migrations apply DB --local --persist-to "$STATE" >/dev/null
    setsid node tests/bench/serve.mjs "$PORT" "$STATE" "ADMIN_TOKEN=$TOKEN" </dev/null >"$STATE/serve.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 1 300); do curl -sf "$BASE/ping" >/dev/null && break; sleep 0.2; done
    curl -sf "$BASE/ping" >/dev/null || { echo "the Worker of $dir did not start"; cat "$STATE/serve.log"; exit 1; }
    eight=$(experiment '{"name":"AB 8","variants":[{"name":"control"},{"name":"treatment"}],"metrics":["purchase"]}')
    one=$(experiment '{"name":"AB 1","shards":1,"variants":[{"name":"control"},{"name":"treatment"}],"metrics":["purchase"]}')
    e8=$(python3 tests/bench/ingest.py "$BASE" "$eight" "$TOKEN" 20000 100000 ingest | figures)
    e1=$(python3 tests/bench/ingest.py "$BASE" "$one" "$TOKEN" 5000 50000 one | figures)
    echo "RESULT round=$round build=$dir | 8 shards: $e8 | one shard: $e1"
    stop
  done
done
