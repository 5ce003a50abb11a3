#!/usr/bin/env python3
"""Fills an experiment's shard files (the Shard Durable Objects' SQLite databases under a
stopped `wrangler dev`'s state) with `units` exposed units and `events` events, directly,
as ingest through the API would have left them: each unit in the shard the contract puts it
in (docs/assignment.md, "Shards"), its per-metric total, every event id, and the arm
statistics (computed here, independently of the Worker). Used by tests/bench/worker.sh for
/stats at sizes the API would take too long to ingest on a shared 2-core machine.

Usage: load_shards.py STATE_DIR MARKERS_JSON UNITS EVENTS
MARKERS_JSON maps each shard index to the id of one unit the API exposed in that shard, so
each database file can be told apart.
"""
import glob
import hashlib
import json
import sqlite3
import sys
import time

TWO_POW_64 = 2 ** 64


def shard_of(unit_id: str, shards: int) -> int:
    digest = hashlib.sha256(b"cleave/shard" + b"\x00" + unit_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") * shards // TWO_POW_64


def main() -> None:
    state, markers, units, events = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    shards = len(markers)
    files = {}
    for path in glob.glob(f"{state}/**/*.sqlite", recursive=True):
        con = sqlite3.connect(path)
        try:
            for shard, marker in markers.items():
                if con.execute("SELECT 1 FROM units WHERE user_id = ?", (marker,)).fetchone():
                    files[int(shard)] = con
        except sqlite3.OperationalError:
            con.close()
    assert len(files) == shards, f"found {len(files)} of {shards} shard files"
    start = time.perf_counter()
    variant = lambda u: "control" if u % 2 == 0 else "treatment"
    # Event i belongs to unit (i * 7919) mod units: a permutation when events == units.
    per_unit = {}
    for i in range(events):
        u = (i * 7919) % units
        per_unit[u] = per_unit.get(u, 0) + 1
    arms = {s: {} for s in range(shards)}
    rows = {s: ([], [], []) for s in range(shards)}
    home = [shard_of(f"bench-{u}", shards) for u in range(units)]
    for u in range(units):
        user = f"bench-{u}"
        s = home[u]
        v = variant(u)
        units_rows, totals_rows, _ = rows[s]
        units_rows.append((user, v, "assigned", 0, None))
        a = arms[s].setdefault(v, [0, 0, 0, 0.0, 0.0])
        a[0] += 1
        n = per_unit.get(u, 0)
        if n:
            totals_rows.append((user, "purchase", float(n), n))
            a[1] += 1
            a[2] += n
            a[3] += n
            a[4] += n * n
    for s, con in files.items():
        units_rows, totals_rows, _ = rows[s]
        con.executemany("INSERT INTO units (user_id, variant, reason, first_at, context) VALUES (?, ?, ?, ?, ?)", units_rows)
        con.executemany("INSERT INTO unit_metrics (user_id, metric, total, events) VALUES (?, ?, ?, ?)", totals_rows)
        con.commit()
    for s, con in files.items():
        def seen():
            for i in range(events):
                u = (i * 7919) % units
                if home[u] == s:
                    yield (f"bench-{u}", f"e{i}", "purchase", 1.0, 0)
        con.executemany("INSERT INTO seen_events (user_id, event_id, metric, value, at) VALUES (?, ?, ?, ?, ?)", seen())
        for v, (n, converters, count, total, total_sq) in arms[s].items():
            con.execute("INSERT INTO arm_units (variant, units) VALUES (?, ?) ON CONFLICT (variant) DO UPDATE SET units = units + excluded.units", (v, n))
            con.execute(
                "INSERT INTO arm_metrics (variant, metric, converters, events, sum, sum_sq) VALUES (?, 'purchase', ?, ?, ?, ?)"
                " ON CONFLICT (variant, metric) DO UPDATE SET converters = converters + excluded.converters,"
                " events = events + excluded.events, sum = sum + excluded.sum, sum_sq = sum_sq + excluded.sum_sq",
                (v, converters, count, total, total_sq))
        con.commit()
        con.close()
    print(f"loaded {units} units and {events} events into {shards} shards in {time.perf_counter() - start:.1f}s")


if __name__ == "__main__":
    main()
