#!/usr/bin/env bash
# Benchmarks the Envoy filter (issue 4 goals): throughput and p99 latency of Envoy with no
# filter, with the filter and 0 (the proxy-wasm floor), 1 and 20 experiments (wrk on 127.0.0.1,
# a new user id per request), plus the filter's size after wasm-opt -Oz.
# The upstream is a second listener of the same Envoy answering with direct_response.
# Usage: make bench-envoy
set -euo pipefail
cd "$(dirname "$0")/../.."
ENVOY=$(ls .venv/lib/python3*/site-packages/envoy/_bin/envoy | head -1)
WASM=target/wasm32-wasip1/release/cleave_envoy.wasm
OPT=target/cleave_envoy.opt.wasm
DURATION=${BENCH_DURATION:-10s}
WORK=$(mktemp -d /tmp/cleave-envoy-bench.XXXXXX)
# rustc's default wasm32 features (the target_features section is stripped with the symbols).
node_modules/.bin/wasm-opt -Oz --strip-debug --strip-producers --enable-bulk-memory --enable-bulk-memory-opt \
  --enable-multivalue --enable-mutable-globals --enable-nontrapping-float-to-int --enable-reference-types --enable-sign-ext \
  "$WASM" -o "$OPT"
echo "RESULT wasm_bytes=$(stat -c %s "$WASM") wasm_opt_bytes=$(stat -c %s "$OPT")"

python3 - "$WORK" "$PWD/$OPT" <<'PY'
import json, sys
work, wasm = sys.argv[1], sys.argv[2]
def experiments(n):
    return [{"id": f"bench-{i}", "key": f"exp-{i}", "name": f"Bench {i}", "status": "running",
             "traffic_allocation": 0.8, "variants": [{"name": "control"}, {"name": "a"}, {"name": "b", "weight": 2}]} for i in range(n)]
def config(filter_experiments):
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
                          value: '{json.dumps({"user_id_headers": ["x-user-id"], "experiments": experiments(filter_experiments)})}'"""
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
PY

for variant in none empty one twenty; do
  "$ENVOY" -c "$WORK/$variant.yaml" --concurrency 1 --base-id 9$RANDOM --log-level warn >"$WORK/$variant.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do curl -sf http://127.0.0.1:19901/ready >/dev/null && break; sleep 0.1; done
  curl -sf -H 'x-user-id: warm' http://127.0.0.1:19000/ >/dev/null
  wrk -t1 -c8 -d"$DURATION" --latency -s tests/bench/user.lua http://127.0.0.1:19000/ >"$WORK/$variant.txt"
  kill $PID; wait $PID 2>/dev/null || true
  echo "== $variant"; grep -E "Requests/sec|99%|50%" "$WORK/$variant.txt"
done
python3 - "$WORK" <<'PY'
import re, sys
work = sys.argv[1]
def read(name):
    t = open(f"{work}/{name}.txt").read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    def ms(label):
        v, unit = re.search(label + r"\s+([\d.]+)(us|ms|s)", t).groups()
        return float(v) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]
    return rps, ms("50%"), ms("99%")
base = read("none")
for name in ("empty", "one", "twenty"):
    rps, p50, p99 = read(name)
    print(f"RESULT {name}: rps={rps:.0f} ratio={rps / base[0]:.3f} p50_added_us={(p50 - base[1]) * 1000:.0f} p99_added_us={(p99 - base[2]) * 1000:.0f} (no filter: rps={base[0]:.0f} p50={base[1] * 1000:.0f}us p99={base[2] * 1000:.0f}us)")
PY
