#!/usr/bin/env bash
# Benchmarks what durable exposures cost the edge proxy (`ORIGIN_URL` set), the Worker
# served locally (tests/bench/serve.mjs) on 127.0.0.1, against a local origin (tests/bench/origin.py):
#   - /plain/…  no experiment matches the path: the proxy only forwards
#   - /dark/…   a running experiment with 0 % traffic: the same plan, no exposure to write
#   - /exp/…    a running experiment with 100 % traffic, no cookie sent: every request mints
#               a new unit whose exposure is written to its shard while the origin answers
# each with the origin answering at once and after 20 ms (`?delay=`), in interleaved rounds,
# unsaturated (wrk -c1) and loaded (wrk -c16). Reported: median p50/p99 across rounds, and
# the exposure write's cost = /exp − /dark.
# Usage: make bench-proxy   (or tests/bench/proxy.sh after `make worker`)
set -euo pipefail
cd "$(dirname "$0")/../.."
export WRANGLER_SEND_METRICS=false
PORT=${BENCH_PORT:-8798}
ORIGIN_PORT=${BENCH_ORIGIN_PORT:-8797}
STATE=$(mktemp -d /tmp/cleave-bench-proxy.XXXXXX)
TOKEN=bench-token
BASE=http://127.0.0.1:$PORT
DURATION=${BENCH_DURATION:-10s}
ROUNDS=${BENCH_ROUNDS:-3}
DELAYS=${BENCH_ORIGIN_DELAYS:-"0 20"}

python3 tests/bench/origin.py "$ORIGIN_PORT" &
ORIGIN_PID=$!
node_modules/.bin/wrangler d1 migrations apply DB --local --persist-to "$STATE" >/dev/null
# Served by tests/bench/serve.mjs (DevTools inspector off: see why there);
# BENCH_SERVER=wrangler-dev serves it with `wrangler dev` instead.
if [ "${BENCH_SERVER:-}" = wrangler-dev ]; then
  setsid node_modules/.bin/wrangler dev --local --ip 127.0.0.1 --port "$PORT" --persist-to "$STATE" \
    --show-interactive-dev-session=false --var "ADMIN_TOKEN:$TOKEN" \
    --var "ORIGIN_URL:http://127.0.0.1:$ORIGIN_PORT" </dev/null >"$STATE/wrangler.log" 2>&1 &
else
  setsid node tests/bench/serve.mjs "$PORT" "$STATE" "ADMIN_TOKEN=$TOKEN" \
    "ORIGIN_URL=http://127.0.0.1:$ORIGIN_PORT" </dev/null >"$STATE/wrangler.log" 2>&1 &
fi
WRANGLER_PID=$!
stop() {
  kill -TERM -- "-$WRANGLER_PID" 2>/dev/null || true
  kill "$ORIGIN_PID" 2>/dev/null || true
  sleep 1
  kill -KILL -- "-$WRANGLER_PID" 2>/dev/null || true
}
trap stop EXIT
for _ in $(seq 1 300); do curl -sf "$BASE/ping" >/dev/null && break; sleep 0.2; done
curl -sf "$BASE/ping" >/dev/null || { echo "the Worker did not start"; cat "$STATE/wrangler.log"; exit 1; }

api() { curl -sf -X "$1" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' "$BASE$2" ${3:+-d "$3"}; }
id_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }
EXP=$(api POST /api/v1/experiments '{"name":"Proxy bench","key":"bench","variants":[{"name":"a"},{"name":"b"}],"routes":[{"path_prefix":"/exp"}]}' | id_of)
DARK=$(api POST /api/v1/experiments '{"name":"Proxy bench dark","key":"dark","traffic_allocation":0,"variants":[{"name":"a"},{"name":"b"}],"routes":[{"path_prefix":"/dark"}]}' | id_of)
api POST "/api/v1/experiments/$EXP/start" >/dev/null
api POST "/api/v1/experiments/$DARK/start" >/dev/null
# The proxy caches running experiments briefly; make sure both are live before measuring.
for path in exp dark plain; do
  curl -sf "$BASE/$path/warm" >/dev/null
done
sleep 2

printf '\n### edge proxy: p50/p99 by path, origin delay and load (%s interleaved rounds of %s)\n' "$ROUNDS" "$DURATION"
for round in $(seq 1 "$ROUNDS"); do
  for delay in $DELAYS; do
    for conns in 1 16; do
      for path in plain dark exp; do
        wrk -t1 -c"$conns" -d"$DURATION" --latency "$BASE/$path/page?delay=$delay" \
          > "$STATE/$path-d$delay-c$conns-$round.txt"
      done
    done
  done
done
cat "$STATE/exp-d0-c1-1.txt"
python3 - "$STATE" "$ROUNDS" "$DELAYS" "$BASE" "$TOKEN" "$EXP" <<'PY'
import json, re, statistics, sys, urllib.request
state, rounds, delays, base, token, exp = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), *sys.argv[4:7]
def read(name):
    return open(f"{state}/{name}.txt").read()
def latency(text, pct):
    m = re.search(pct + r"%\s+([\d.]+)(us|ms|s)\b", text)
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
def median(path, delay, conns, what):
    vals = []
    for r in range(1, rounds + 1):
        text = read(f"{path}-d{delay}-c{conns}-{r}")
        if re.search(r"Non-2xx or 3xx responses", text):
            sys.exit(f"non-2xx responses in {path} delay={delay} c={conns} round {r}")
        if what == "rps":
            vals.append(float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)))
        else:
            vals.append(latency(text, what))
    return statistics.median(vals)
for delay in delays:
    for conns in (1, 16):
        row = {p: {k: median(p, delay, conns, k) for k in ("50", "99", "rps")} for p in ("plain", "dark", "exp")}
        print(f"RESULT origin_delay_ms={delay} connections={conns} "
              + " ".join(f"{p}_p50_ms={row[p]['50']:.2f} {p}_p99_ms={row[p]['99']:.2f} {p}_rps={row[p]['rps']:.0f}" for p in row)
              + f" exposure_added_p50_ms={row['exp']['50'] - row['dark']['50']:.2f}"
              + f" exposure_added_p99_ms={row['exp']['99'] - row['dark']['99']:.2f}")
req = urllib.request.Request(f"{base}/api/v1/experiments/{exp}/stats", headers={"authorization": f"Bearer {token}"})
report = json.load(urllib.request.urlopen(req, timeout=120))
print(f"RESULT exposures_recorded={sum(v['sample_size'] for v in report['variants'])}")
PY
