#!/usr/bin/env python3
"""Ingest benchmark for tests/bench/worker.sh: exposes UNITS units through /assign, then
sends EVENTS events through /events/batch (1,000 per request, 4 clients) and prints the
rate, and the CPU the local runtime's `workerd` processes spent per 1,000 events while the
batches ran (`workerd_cpu.py`, so run it alone; steadier than the rate on a shared host,
where the rate also moves with whatever else runs). The admin token exempts the client
from the per-client rate limit, as it would a backend.

Usage: ingest.py BASE EXPERIMENT TOKEN UNITS EVENTS LABEL
"""
import json
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from workerd_cpu import workerd_cpu_seconds


def main() -> None:
    base, exp, token = sys.argv[1], sys.argv[2], sys.argv[3]
    units, count, label = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]

    def post(path, body):
        req = urllib.request.Request(base + path, data=json.dumps(body).encode(),
                                     headers={"content-type": "application/json", "authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=120) as r:
            return json.load(r)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: post(f"/api/v1/experiments/{exp}/assign", {"user_id": f"{label}-{i}"}), range(units)))
    events = [{"experiment_id": exp, "user_id": f"{label}-{i % units}", "event_name": "purchase", "value": 1.0,
               "event_id": f"ev-{i}"} for i in range(count)]
    batches = [events[i:i + 1000] for i in range(0, len(events), 1000)]
    cpu_before = workerd_cpu_seconds()
    start = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda b: post("/api/v1/events/batch", {"events": b}), batches))
    elapsed = time.perf_counter() - start
    cpu_ms_per_1000 = (workerd_cpu_seconds() - cpu_before) * 1000 / (count / 1000)
    recorded = sum(r["recorded"] for r in results)
    rejected = sum(r["rejected"] for r in results)
    print(f"RESULT {label}_events={count} recorded={recorded} rejected={rejected} seconds={elapsed:.2f} "
          f"events_per_s={count / elapsed:.0f} workerd_cpu_ms_per_1000={cpu_ms_per_1000:.1f}")


if __name__ == "__main__":
    main()
