#!/usr/bin/env bash
# Benchmarks the Worker under `wrangler dev` on 127.0.0.1 (issue 3 goals):
#   1. /assign throughput as a ratio to GET /ping on the same server (wrk)
#   2. batch ingestion rate into local D1 (events/s), and that none are lost
#   3. /stats latency over 1M exposures + 1M events
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

serve() {
  setsid node_modules/.bin/wrangler dev --local --ip 127.0.0.1 --port "$PORT" --persist-to "$STATE" \
    --show-interactive-dev-session=false --var "ADMIN_TOKEN:$TOKEN" </dev/null >"$STATE/wrangler.log" 2>&1 &
  WRANGLER_PID=$!
  for _ in $(seq 1 300); do curl -sf "$BASE/ping" >/dev/null && return 0; sleep 0.2; done
  echo "wrangler dev did not start"; cat "$STATE/wrangler.log"; exit 1
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

log "1. /assign vs /ping (wrk -t2 -c32 -d$DURATION)"
wrk -t2 -c32 -d"$DURATION" --latency "$BASE/ping" | tee "$STATE/ping.txt"
EXPERIMENT=$EXP TOKEN=$TOKEN wrk -t2 -c32 -d"$DURATION" --latency -s tests/bench/assign.lua "$BASE" | tee "$STATE/assign.txt"
EXPERIMENT=$DARK TOKEN=$TOKEN wrk -t2 -c32 -d"$DURATION" --latency -s tests/bench/assign.lua "$BASE" | tee "$STATE/dark.txt"
python3 - "$STATE" <<'PY'
import re, sys
rps = lambda f: float(re.search(r"Requests/sec:\s+([\d.]+)", open(f).read()).group(1))
ping, assign, dark = (rps(sys.argv[1] + f) for f in ("/ping.txt", "/assign.txt", "/dark.txt"))
print(f"RESULT assign_rps={assign:.0f} ping_rps={ping:.0f} ratio={assign / ping:.2f} no_exposure_rps={dark:.0f} no_exposure_ratio={dark / ping:.2f}")
PY

log "2. batch ingestion (exposures then events, 1,000 per request, 4 clients)"
python3 - "$BASE" "$EXP" "$TOKEN" <<'PY'
import json, sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor
base, exp, token = sys.argv[1], sys.argv[2], sys.argv[3]
# One client IP sends everything: the token exempts it from the per-client rate limit,
# as it would a backend.
def post(path, body):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers={"content-type": "application/json", "authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.load(r)
users = 20_000
# Exposures must carry the variant the Worker assigns: ask /assign's twin, the core, via /assign itself once.
variants = {}
def assign(i):
    u = f"ingest-{i}"
    return u, post(f"/api/v1/experiments/{exp}/assign", {"user_id": u})["variant"]
with ThreadPoolExecutor(8) as pool:
    variants = dict(pool.map(assign, range(users)))
time.sleep(2)
events = [{"experiment_id": exp, "user_id": f"ingest-{i % users}", "event_name": "purchase", "value": 1.0, "event_id": f"ev-{i}"} for i in range(100_000)]
batches = [events[i:i + 1000] for i in range(0, len(events), 1000)]
start = time.perf_counter()
with ThreadPoolExecutor(4) as pool:
    results = list(pool.map(lambda b: post("/api/v1/events/batch", {"events": b}), batches))
elapsed = time.perf_counter() - start
recorded = sum(r["recorded"] for r in results)
rejected = sum(r["rejected"] for r in results)
print(f"RESULT events={len(events)} recorded={recorded} rejected={rejected} seconds={elapsed:.2f} events_per_s={len(events) / elapsed:.0f}")
PY
COUNT=$(node_modules/.bin/wrangler d1 execute DB --local --persist-to "$STATE" --json --command "SELECT COUNT(*) AS n FROM events" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["results"][0]["n"])')
echo "RESULT events_in_d1=$COUNT"

log "3. /stats over 1M exposures + 1M events"
stop
DB=""
for f in $(find "$STATE" -name '*.sqlite'); do
  if python3 -c "import sqlite3,sys; sys.exit(0 if sqlite3.connect(sys.argv[1]).execute(\"SELECT 1 FROM sqlite_master WHERE name='events'\").fetchone() else 1)" "$f"; then DB=$f; fi
done
[ -n "$DB" ] || { echo "no D1 database file under $STATE"; exit 1; }
python3 - "$DB" "$EXP" <<'PY'
import sqlite3, sys, time
db, exp = sys.argv[1], sys.argv[2]
con = sqlite3.connect(db)
t = time.perf_counter()
con.execute("DELETE FROM events"); con.execute("DELETE FROM assignments")
con.executemany("INSERT INTO assignments (experiment_id, user_id, variant, reason, assigned_at) VALUES (?, ?, ?, 'assigned', 0)",
                ((exp, f"u{i}", "control" if i % 2 else "treatment") for i in range(1_000_000)))
def event(i):
    user = (i * 7919) % 1_000_000  # a permutation: every user converts once
    return (f"e{i}", exp, f"u{user}", "control" if user % 2 else "treatment")
con.executemany("INSERT INTO events (event_id, experiment_id, user_id, variant, event_name, value, occurred_at) VALUES (?, ?, ?, ?, 'purchase', 1.0, 0)",
                (event(i) for i in range(1_000_000)))
con.commit()
print(f"loaded 1M exposures + 1M events in {time.perf_counter() - t:.1f}s")
PY
serve
python3 - "$BASE" "$EXP" "$TOKEN" <<'PY'
import json, sys, time, urllib.request
base, exp, token = sys.argv[1:4]
times = []
for _ in range(6):
    req = urllib.request.Request(f"{base}/api/v1/experiments/{exp}/stats", headers={"authorization": f"Bearer {token}"})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=120) as r:
        report = json.load(r)
    times.append(time.perf_counter() - t)
users = sum(v["sample_size"] for v in report["variants"])
print(f"RESULT stats_users={users} conversions={report['total_conversions']} first_s={times[0]:.3f} median_s={sorted(times[1:])[2]:.3f}")
PY

log "4. Worker wasm size"
echo "RESULT wasm_bytes=$(stat -c %s worker/build/index_bg.wasm)"
