#!/usr/bin/env python3
"""SQLite's own cost of a shard's ingest statements, outside workerd: the statements
`worker/src/shard/tables/writes.rs` runs for a batch of 1,000 events (seen-before lookup,
de-duplicating insert, totals read, totals upsert) on the shard's schema, in Python's
sqlite3, 200 batches over 5,000 exposed units. Prints milliseconds per batch for each.

Usage: python3 tests/bench/shard_sql.py   (docs/benchmarks.md, *Why ingest still misses*)
"""
import json
import sqlite3
import time

BATCHES, UNITS, SIZE = 200, 5000, 1000

db = sqlite3.connect(":memory:", isolation_level=None)
db.executescript("""
CREATE TABLE units (user_id TEXT PRIMARY KEY, variant TEXT NOT NULL, reason TEXT NOT NULL,
  first_at INTEGER NOT NULL, context TEXT);
CREATE TABLE seen_events (user_id TEXT NOT NULL, event_id TEXT NOT NULL, metric TEXT NOT NULL,
  value REAL NOT NULL, at INTEGER NOT NULL, metadata TEXT, PRIMARY KEY (user_id, event_id));
CREATE TABLE unit_metrics (user_id TEXT NOT NULL, metric TEXT NOT NULL, total REAL NOT NULL,
  events INTEGER NOT NULL, PRIMARY KEY (user_id, metric));
""")
db.execute("BEGIN")
db.executemany("INSERT INTO units VALUES (?, 'control', 'assigned', 1, NULL)",
               [(f"unit-{i}",) for i in range(UNITS)])
db.execute("COMMIT")

STATEMENTS = {
    "seen-before": """SELECT json_group_array(j.key) AS json FROM json_each(?) j
        WHERE EXISTS (SELECT 1 FROM seen_events s WHERE s.user_id = j.value->>0 AND s.event_id = j.value->>1)""",
    "insert": """INSERT INTO seen_events (user_id, event_id, metric, value, at, metadata)
        SELECT j.value->>0, j.value->>1, j.value->>2, j.value->>3, j.value->>4, j.value->>5
        FROM json_each(?) j WHERE true ON CONFLICT (user_id, event_id) DO NOTHING""",
    "totals read": """SELECT user_id, metric, total FROM unit_metrics
        WHERE user_id IN (SELECT value FROM json_each(?))""",
    "totals upsert": """INSERT INTO unit_metrics (user_id, metric, total, events)
        SELECT j.value->>0, j.value->>1, j.value->>2, j.value->>3 FROM json_each(?) j WHERE true
        ON CONFLICT (user_id, metric) DO UPDATE SET total = excluded.total, events = events + excluded.events""",
}
spent = dict.fromkeys(STATEMENTS, 0.0)
for b in range(BATCHES):
    events = [(f"unit-{(b * SIZE + i) % UNITS}", f"event-{b * SIZE + i}", "purchase", 1.0, 123, None)
              for i in range(SIZE)]
    users = sorted({e[0] for e in events})
    params = {
        "seen-before": [[e[0], e[1]] for e in events],
        "insert": events,
        "totals read": users,
        "totals upsert": [[u, "purchase", 1.0, 1] for u in users],
    }
    db.execute("BEGIN")
    for name, statement in STATEMENTS.items():
        started = time.perf_counter()
        db.execute(statement, [json.dumps(params[name])]).fetchall()
        spent[name] += time.perf_counter() - started
    db.execute("COMMIT")
for name, seconds in spent.items():
    print(f"RESULT {name}: {seconds * 1000 / BATCHES:.2f} ms per batch of {SIZE}")
print(f"RESULT all four: {sum(spent.values()) * 1000 / BATCHES:.2f} ms per batch of {SIZE}")
