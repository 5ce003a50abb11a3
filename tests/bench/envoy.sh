#!/usr/bin/env bash
# Benchmarks the Envoy filter (issue 4 goals): throughput and p99 latency of Envoy with no
# filter, with the filter and 0 (the proxy-wasm floor), 1 and 20 experiments (wrk on 127.0.0.1,
# a new user id per request), plus the size of the shipped filter (`make filter`: unused ABI
# entry points removed, then wasm-opt -Oz). Three yardsticks run in the same rounds, built from
# tests/bench/floor-filter: `floor` (a proxy-wasm filter that does nothing), `floor-read` (the
# same filter copying the request headers out of Envoy) and `floor-add` (adding one request
# header), i.e. the least any proxy-wasm filter costs in this Envoy for each kind of work.
# BENCH_VARIANTS (default: all) picks variants; `none` must come first.
# BENCH_PIN=1 pins Envoy to CPU 1 and wrk to CPU 0, so the load
# generator and the proxy do not take turns on one core.
# BENCH_ROUNDS (default 3) interleaved rounds of BENCH_DURATION (default 5s) per load level.
# The upstream is a second listener of the same Envoy answering with direct_response.
# Usage: make bench-envoy
set -euo pipefail
cd "$(dirname "$0")/../.."
ENVOY=$(ls .venv/lib/python3*/site-packages/envoy/_bin/envoy | head -1)
RAW=target/wasm32-unknown-unknown/release/cleave_envoy.wasm
WASM=target/filter/cleave_envoy.wasm
FLOOR_RAW=target/floor-filter/wasm32-unknown-unknown/release/floor_filter.wasm
FLOOR=target/floor-filter/floor_filter.wasm
DURATION=${BENCH_DURATION:-5s}
ROUNDS=${BENCH_ROUNDS:-3}
WORK=$(mktemp -d /tmp/cleave-envoy-bench.XXXXXX)
VARIANTS=${BENCH_VARIANTS:-none floor floor-read floor-add empty one twenty twenty-targeted twenty-summary}
if [ "${BENCH_PIN:-0}" = 1 ]; then PIN_ENVOY="taskset -c 1"; PIN_WRK="taskset -c 0"; else PIN_ENVOY=""; PIN_WRK=""; fi
cargo build --release --target wasm32-unknown-unknown --manifest-path tests/bench/floor-filter/Cargo.toml \
  --target-dir target/floor-filter
# The yardstick gets the same treatment as the shipped filter (same entry points kept).
FEATURES="--enable-bulk-memory --enable-bulk-memory-opt --enable-multivalue --enable-mutable-globals
  --enable-nontrapping-float-to-int --enable-reference-types --enable-sign-ext"
# shellcheck disable=SC2086
node_modules/.bin/wasm-metadce --graph-file envoy-filter/abi-exports.json $FEATURES "$FLOOR_RAW" -o "$FLOOR.trimmed" >/dev/null
# shellcheck disable=SC2086
node_modules/.bin/wasm-opt -Oz --strip-debug --strip-producers $FEATURES "$FLOOR.trimmed" -o "$FLOOR"
echo "RESULT wasm_bytes=$(stat -c %s "$RAW") shipped_wasm_bytes=$(stat -c %s "$WASM")"

python3 - "$WORK" "$PWD/$WASM" "$PWD/$FLOOR" <<'PY'
import json, sys
work, wasm, floor = sys.argv[1], sys.argv[2], sys.argv[3]
def experiments(n, targeted=False):
    targeting = {"targeting": {"country": {"$in": ["DE", "AT", "CH"]}}} if targeted else {}
    return [{"id": f"bench-{i}", "key": f"exp-{i}", "name": f"Bench {i}", "status": "running",
             "traffic_allocation": 0.8, "variants": [{"name": "control"}, {"name": "a"}, {"name": "b", "weight": 2}],
             **targeting} for i in range(n)]
def plugin(n, targeted, summary):
    conf = {"user_id_headers": ["x-user-id"], "experiments": experiments(n or 0, targeted)}
    if targeted:
        conf["attributes"] = {"country": {"header": "x-country"}}
    if summary:
        conf["headers"] = "summary"
    return conf
def config(filter_experiments, targeted=False, summary=False):
    wasm_filter = "" if filter_experiments is None else f"""
                  - name: envoy.filters.http.wasm
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
                      config:
                        name: cleave
                        root_id: cleave
                        vm_config: {{ vm_id: cleave, runtime: envoy.wasm.runtime.v8, code: {{ local: {{ filename: {wasm} }} }} }}
                        configuration:
                          "@type": type.googleapis.com/google.protobuf.StringValue
                          value: '{json.dumps(plugin(filter_experiments, targeted, summary))}'"""
    return f"""
admin: {{ address: {{ socket_address: {{ address: 127.0.0.1, port_value: 19901 }} }} }}
static_resources:
  listeners:
    - name: front
      address: {{ socket_address: {{ address: 127.0.0.1, port_value: 19000 }} }}
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: front
                route_config: {{ virtual_hosts: [ {{ name: all, domains: ["*"], routes: [ {{ match: {{ prefix: "/" }}, route: {{ cluster: backend }} }} ] }} ] }}
                http_filters:{wasm_filter}
                  - name: envoy.filters.http.router
                    typed_config: {{ "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }}
    - name: backend
      address: {{ socket_address: {{ address: 127.0.0.1, port_value: 19001 }} }}
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: backend
                route_config: {{ virtual_hosts: [ {{ name: all, domains: ["*"], routes: [ {{ match: {{ prefix: "/" }}, direct_response: {{ status: 200, body: {{ inline_string: "ok" }} }} }} ] }} ] }}
                http_filters:
                  - name: envoy.filters.http.router
                    typed_config: {{ "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }}
  clusters:
    - name: backend
      type: STATIC
      load_assignment: {{ cluster_name: backend, endpoints: [ {{ lb_endpoints: [ {{ endpoint: {{ address: {{ socket_address: {{ address: 127.0.0.1, port_value: 19001 }} }} }} }} ] }} ] }}
"""
for name, n in [("none", None), ("empty", 0), ("one", 1), ("twenty", 20)]:
    open(f"{work}/{name}.yaml", "w").write(config(n))
# 20 experiments targeted at the request's country (header x-country, sent by user.lua), each
# adding its header, or only the summary header.
open(f"{work}/twenty-targeted.yaml", "w").write(config(20, targeted=True))
open(f"{work}/twenty-summary.yaml", "w").write(config(20, targeted=True, summary=True))
# The yardsticks: the same listener with the floor filter and its configuration instead.
for name, conf in [("floor", ""), ("floor-read", "read"), ("floor-add", "add")]:
    yaml = config(0).replace(wasm, floor)
    yaml = yaml[: yaml.index("value: '")] + f"value: '{conf}'" + yaml[yaml.index("'\n", yaml.index("value: '")) + 1 :]
    open(f"{work}/{name}.yaml", "w").write(yaml)
PY

# Each round runs every variant once, so slow phases of a noisy machine hit all of them;
# the summary takes the median over rounds. Per variant and round: saturated throughput
# (wrk -c8), Envoy's CPU time per request over that run, and unsaturated latency (wrk -c1:
# the latency a request gains from the filter, without queueing behind other requests).
for round in $(seq 1 "$ROUNDS"); do
  for variant in $VARIANTS; do
    $PIN_ENVOY "$ENVOY" -c "$WORK/$variant.yaml" --concurrency 1 --base-id 9$RANDOM --log-level warn >"$WORK/$variant.log" 2>&1 &
    PID=$!
    for _ in $(seq 1 100); do curl -sf http://127.0.0.1:19901/ready >/dev/null && break; sleep 0.1; done
    curl -sf -H 'x-user-id: warm' http://127.0.0.1:19000/ >/dev/null
    T0=$(awk '{print $14 + $15}' "/proc/$PID/stat")
    $PIN_WRK wrk -t1 -c8 -d"$DURATION" --latency -s tests/bench/user.lua http://127.0.0.1:19000/ >"$WORK/$variant.$round.c8.txt"
    T1=$(awk '{print $14 + $15}' "/proc/$PID/stat")
    echo "cpu_ticks $((T1 - T0))" >>"$WORK/$variant.$round.c8.txt"
    $PIN_WRK wrk -t1 -c1 -d"$DURATION" --latency -s tests/bench/user.lua http://127.0.0.1:19000/ >"$WORK/$variant.$round.c1.txt"
    kill $PID; wait $PID 2>/dev/null || true
    echo "round $round $variant: $(grep Requests/sec "$WORK/$variant.$round.c8.txt")"
  done
done
python3 - "$WORK" "$ROUNDS" "$(getconf CLK_TCK)" $VARIANTS <<'PY'
import re, statistics, sys
work, rounds, hz, names = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
def us(text, label):
    v, unit = re.search(label + r"\s+([\d.]+)(us|ms|s)\b", text).groups()
    return float(v) * {"us": 1, "ms": 1e3, "s": 1e6}[unit]
def run(name, r):
    c8 = open(f"{work}/{name}.{r}.c8.txt").read()
    c1 = open(f"{work}/{name}.{r}.c1.txt").read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", c8).group(1))
    n = int(re.search(r"(\d+) requests in", c8).group(1))
    cpu = int(re.search(r"cpu_ticks (\d+)", c8).group(1)) / hz * 1e6 / n
    return dict(rps=rps, cpu=cpu, c8_p99=us(c8, "99%"), c1_p50=us(c1, "50%"), c1_p99=us(c1, "99%"))
runs = {name: [run(name, r) for r in range(1, rounds + 1)] for name in names}
med = lambda name, key: statistics.median(x[key] for x in runs[name])
for name in names[1:]:
    ratios = [f["rps"] / b["rps"] for f, b in zip(runs[name], runs["none"])]
    print(f"RESULT {name}: throughput ratio median={statistics.median(ratios):.3f} "
          f"(per round {', '.join(f'{x:.2f}' for x in ratios)}); "
          f"Envoy CPU per request {med(name, 'cpu'):.1f} us vs {med('none', 'cpu'):.1f} us (+{med(name, 'cpu') - med('none', 'cpu'):.1f}); "
          f"unsaturated (-c1) p50 +{med(name, 'c1_p50') - med('none', 'c1_p50'):.0f} us, p99 +{med(name, 'c1_p99') - med('none', 'c1_p99'):.0f} us; "
          f"saturated (-c8) p99 +{med(name, 'c8_p99') - med('none', 'c8_p99'):.0f} us")
if "one" in runs and "floor-read" in runs:
    ratios = [o["rps"] / f["rps"] for o, f in zip(runs["one"], runs["floor-read"])]
    print(f"RESULT one experiment / floor-read throughput: median={statistics.median(ratios):.3f} "
          f"(per round {', '.join(f'{x:.2f}' for x in ratios)}; goal >= 0.95)")
print(f"RESULT no filter: {med('none', 'rps'):.0f} req/s, -c1 p50 {med('none', 'c1_p50'):.0f} us, p99 {med('none', 'c1_p99'):.0f} us")
PY
