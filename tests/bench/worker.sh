#!/usr/bin/env bash
# Benchmarks the Worker served locally (wrangler's local runtime, as `wrangler dev`) on 127.0.0.1:
#   1. /assign throughput as a ratio to GET /ping on the same server (wrk), a new unit per
#      request (each /assign writes its exposure to its shard before answering), and the
#      local runtime's CPU per request of each
#   2. batch ingestion rate into the shards (events/s, 4 clients, 1,000 per request), that
#      none are lost, and the runtime's CPU per 1,000 events
#   3. /stats latency at 100k, 1M and 10M events over 1M units (loaded into the shard files
#      directly by tests/bench/load_shards.py; STATS_UNITS / STATS_EVENTS choose smaller)
#   4. the Worker's .wasm size
# Usage: make bench-worker   (or tests/bench/worker.sh after `make worker`)
set -euo pipefail
cd "$(dirname "$0")/../.."
export WRANGLER_SEND_METRICS=false
PORT=${BENCH_PORT:-8799}
STATE=$(mktemp -d /tmp/cleave-bench.XXXXXX)
TOKEN=bench-token
BASE=http://127.0.0.1:$PORT
DURATION=${BENCH_DURATION:-10s}
log() { printf '\n### %s\n' "$*"; }

# The Worker is served by tests/bench/serve.mjs (wrangler's API, DevTools inspector off:
# see why there); BENCH_SERVER=wrangler-dev serves it with `wrangler dev` instead, which
# charges every Durable Object call the inspector's Network events.
serve() {
  if [ "${BENCH_SERVER:-}" = wrangler-dev ]; then
    setsid node_modules/.bin/wrangler dev --local --ip 127.0.0.1 --port "$PORT" --persist-to "$STATE" \
      --show-interactive-dev-session=false --var "ADMIN_TOKEN:$TOKEN" </dev/null >"$STATE/wrangler.log" 2>&1 &
  else
    setsid node tests/bench/serve.mjs "$PORT" "$STATE" "ADMIN_TOKEN=$TOKEN" </dev/null >"$STATE/wrangler.log" 2>&1 &
  fi
  WRANGLER_PID=$!
  for _ in $(seq 1 300); do curl -sf "$BASE/ping" >/dev/null && return 0; sleep 0.2; done
  echo "the Worker did not start"; cat "$STATE/wrangler.log"; exit 1
}
stop() { kill -TERM -- "-$WRANGLER_PID" 2>/dev/null || true; sleep 1; kill -KILL -- "-$WRANGLER_PID" 2>/dev/null || true; }
trap stop EXIT

node_modules/.bin/wrangler d1 migrations apply DB --local --persist-to "$STATE" >/dev/null
serve
api() { curl -sf -X "$1" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' "$BASE$2" ${3:+-d "$3"}; }
EXP=$(api POST /api/v1/experiments '{"name":"Bench","variants":[{"name":"control"},{"name":"treatment"}],"metrics":["purchase"]}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
api POST "/api/v1/experiments/$EXP/start" >/dev/null
# Diagnostic twin: 0 % traffic, so /assign does the same work but writes no exposure.
DARK=$(api POST /api/v1/experiments '{"name":"Bench dark","traffic_allocation":0,"variants":[{"name":"control"},{"name":"treatment"}]}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
api POST "/api/v1/experiments/$DARK/start" >/dev/null

ROUNDS=${BENCH_ROUNDS:-3}
# The local runtime's CPU so far (tests/bench/workerd_cpu.py), read around each wrk run.
workerd_cpu() { python3 tests/bench/workerd_cpu.py; }
log "1. /assign vs /ping (wrk -t2 -c32 -d$DURATION, $ROUNDS interleaved rounds, medians)"
for round in $(seq 1 "$ROUNDS"); do
  workerd_cpu > "$STATE/cpu-$round.txt"
  wrk -t2 -c32 -d"$DURATION" --latency "$BASE/ping" > "$STATE/ping-$round.txt"
  workerd_cpu >> "$STATE/cpu-$round.txt"
  EXPERIMENT=$EXP TOKEN=$TOKEN USER_PREFIX="r$round-" wrk -t2 -c32 -d"$DURATION" --latency -s tests/bench/assign.lua "$BASE" > "$STATE/assign-$round.txt"
  workerd_cpu >> "$STATE/cpu-$round.txt"
  EXPERIMENT=$DARK TOKEN=$TOKEN USER_PREFIX="r$round-" wrk -t2 -c32 -d"$DURATION" --latency -s tests/bench/assign.lua "$BASE" > "$STATE/dark-$round.txt"
  workerd_cpu >> "$STATE/cpu-$round.txt"
done
cat "$STATE/assign-1.txt"
python3 - "$STATE" "$ROUNDS" <<'PY'
import re, statistics, sys
state, rounds = sys.argv[1], int(sys.argv[2])
def rps(kind):
    return [float(re.search(r"Requests/sec:\s+([\d.]+)", open(f"{state}/{kind}-{r}.txt").read()).group(1)) for r in range(1, rounds + 1)]
def latency(kind, pct):
    vals = []
    for r in range(1, rounds + 1):
        m = re.search(pct + r"%\s+([\d.]+)(us|ms|s)", open(f"{state}/{kind}-{r}.txt").read())
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
        vals.append(float(m.group(1)) * scale)
    return statistics.median(vals)
ping, assign, dark = rps("ping"), rps("assign"), rps("dark")
ratios = [a / p for a, p in zip(assign, ping)]
dark_ratios = [d / p for d, p in zip(dark, ping)]
print(f"RESULT assign_rps={statistics.median(assign):.0f} ping_rps={statistics.median(ping):.0f} "
      f"ratio={statistics.median(ratios):.2f} (rounds {', '.join(f'{r:.2f}' for r in ratios)}) "
      f"no_exposure_ratio={statistics.median(dark_ratios):.2f}")
def cpu_ms_per_request(kind, position):
    vals = []
    for r in range(1, rounds + 1):
        marks = [float(x) for x in open(f"{state}/cpu-{r}.txt").read().split()]
        requests = int(re.search(r"(\d+) requests in", open(f"{state}/{kind}-{r}.txt").read()).group(1))
        vals.append((marks[position + 1] - marks[position]) * 1000 / requests)
    return statistics.median(vals)
print(f"RESULT workerd_cpu_ms_per_request ping={cpu_ms_per_request('ping', 0):.2f} "
      f"assign={cpu_ms_per_request('assign', 1):.2f} no_exposure={cpu_ms_per_request('dark', 2):.2f}")
print(f"RESULT assign_p50_ms={latency('assign', '50'):.1f} assign_p99_ms={latency('assign', '99'):.1f} "
      f"no_exposure_p50_ms={latency('dark', '50'):.1f} no_exposure_p99_ms={latency('dark', '99'):.1f}")
PY

log "2. batch ingestion into the shards (1,000 events per request, 4 clients)"
python3 tests/bench/ingest.py "$BASE" "$EXP" "$TOKEN" 20000 100000 ingest
python3 - "$BASE" "$EXP" "$TOKEN" <<'PY'
import sys, urllib.request
base, exp, token = sys.argv[1:4]
req = urllib.request.Request(f"{base}/metrics", headers={"authorization": f"Bearer {token}"})
text = urllib.request.urlopen(req, timeout=60).read().decode()
counted = sum(int(float(l.rsplit(" ", 1)[1])) for l in text.splitlines()
              if l.startswith("experimentation_events_total{") and exp in l)
print(f"RESULT events_counted_in_shards={counted}")
PY

log "2b. ingestion into one shard (an experiment with \"shards\": 1; 50,000 events, 1,000 per request, 4 clients)"
ONE=$(api POST /api/v1/experiments '{"name":"One shard","shards":1,"variants":[{"name":"control"},{"name":"treatment"}],"metrics":["purchase"]}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
api POST "/api/v1/experiments/$ONE/start" >/dev/null
python3 tests/bench/ingest.py "$BASE" "$ONE" "$TOKEN" 5000 50000 one_shard

log "3. /stats at 100k, 1M and 10M events over ${STATS_UNITS:=1000000} units (8 shards each)"
SIZES=${STATS_EVENTS:-"100000 1000000 10000000"}
declare -A STATS_EXP MARKERS
for events in $SIZES; do
  id=$(api POST /api/v1/experiments '{"name":"Stats '"$events"'","variants":[{"name":"control"},{"name":"treatment"}],"metrics":["purchase"]}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  api POST "/api/v1/experiments/$id/start" >/dev/null
  # One unit per shard through the API: it creates the shard's object (and tables) and
  # tells the loader which database file is which shard.
  markers=$(python3 - "$events" <<'PY'
import hashlib, json, sys
def shard_of(u, n=8):
    return int.from_bytes(hashlib.sha256(b"cleave/shard\x00" + u.encode()).digest()[:8], "big") * n // 2**64
found, k = {}, 0
while len(found) < 8:
    u = f"marker-{sys.argv[1]}-{k}"; k += 1
    found.setdefault(str(shard_of(u)), u)
print(json.dumps(found))
PY
)
  for u in $(echo "$markers" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin).values()))'); do
    api POST "/api/v1/experiments/$id/assign" "{\"user_id\":\"$u\"}" >/dev/null
  done
  STATS_EXP[$events]=$id; MARKERS[$events]=$markers
done
stop
for events in $SIZES; do
  python3 tests/bench/load_shards.py "$STATE" "${MARKERS[$events]}" "$STATS_UNITS" "$events"
done
serve
python3 - "$BASE" "$TOKEN" "$STATS_UNITS" $(for e in $SIZES; do echo "$e=${STATS_EXP[$e]}"; done) <<'PY'
import json, statistics, sys, time, urllib.request
base, token, units = sys.argv[1], sys.argv[2], int(sys.argv[3])
sizes = [(int(a.split("=")[0]), a.split("=")[1]) for a in sys.argv[4:]]
def stats(exp):
    req = urllib.request.Request(f"{base}/api/v1/experiments/{exp}/stats", headers={"authorization": f"Bearer {token}"})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=120) as r:
        report, rows = json.load(r), int(r.headers["x-cleave-rows-read"])
    return time.perf_counter() - t, report, rows
for _, exp in sizes:
    stats(exp)  # warm: the shards' objects start
times = {e: [] for e, _ in sizes}
for _ in range(11):  # interleaved rounds: every size sees the same machine
    for events, exp in sizes:
        elapsed, report, rows = stats(exp)
        times[events].append(elapsed)
for events, exp in sizes:
    _, report, rows = stats(exp)
    users = sum(v["sample_size"] for v in report["variants"])
    print(f"RESULT stats_events={events} users={users} conversions={report['total_conversions']} rows_read={rows} "
          f"median_ms={statistics.median(times[events]) * 1000:.1f} p90_ms={sorted(times[events])[9] * 1000:.1f}")
first, last = sizes[0][0], sizes[-1][0]
print(f"RESULT stats_flatness={statistics.median(times[last]) / statistics.median(times[first]):.2f} ({last} / {first} events)")
PY

log "4. Worker wasm size"
echo "RESULT wasm_bytes=$(stat -c %s worker/build/index_bg.wasm)"
