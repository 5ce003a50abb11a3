#!/usr/bin/env python3
"""Independent generator of the assignment contract v2 golden vectors (layers, holdouts,
targeting), written from docs/assignment.md and docs/targeting.md only (no Rust code
consulted). The hash, traffic and variant steps are those of assignment_v1.py; the layer
and holdout points, the precedence table and a small evaluator of the condition operators
the vectors use are written here.

Lines that share an experiment configuration (salt, weights, traffic, layer, holdouts,
targeting) are that experiment's units; each line stands alone all the same.

Usage: python3 shared/tests/vectors/gen/assignment_v2.py > shared/tests/vectors/assignment-v2.jsonl
Deterministic: a fixed seed, so re-running reproduces the committed file byte for byte.
"""
import hashlib
import importlib.util
import json
import pathlib
import random
from fractions import Fraction

_spec = importlib.util.spec_from_file_location("assignment_v1", pathlib.Path(__file__).with_name("assignment_v1.py"))
v1 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(v1)

SPEC_VERSION = 2
TWO_POW_64 = 2 ** 64


def point(domain: str, name: str, unit_id: str) -> int:
    """First 8 bytes, big-endian, of SHA-256(domain || 0x00 || name || 0x00 || unit_id)."""
    data = domain.encode() + b"\x00" + name.encode() + b"\x00" + unit_id.encode("utf-8")
    return int.from_bytes(hashlib.sha256(data).digest()[0:8], "big")


def bound(x: float) -> int:
    if x >= 1.0:
        return TWO_POW_64
    if x <= 0.0:
        return 0
    return int(Fraction(x) * TWO_POW_64)


# ---- the condition operators the vectors use ---------------------------------------
MISSING = object()


def get_path(attributes, path):
    current = attributes
    for step in path.split("."):
        if isinstance(current, dict) and step in current:
            current = current[step]
        else:
            return MISSING
    return current


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def same_kind(a, b):
    return (is_number(a) and is_number(b)) or (isinstance(a, str) and isinstance(b, str))


def operator(op, actual, expected):
    if op == "$eq":
        return actual is not MISSING and actual == expected and type(actual) is type(expected) or (
            is_number(actual) and is_number(expected) and actual == expected)
    if op == "$ne":
        return not operator("$eq", actual, expected)
    if op == "$in":
        return actual is not MISSING and any(operator("$eq", actual, e) for e in expected)
    if op == "$nin":
        return not operator("$in", actual, expected)
    if op in ("$gt", "$gte", "$lt", "$lte"):
        # Only same-kind comparisons are generated (numbers with numbers, ASCII strings with
        # strings). docs/targeting.md: JavaScript comparison, an absent attribute compares
        # as null, which JavaScript turns into 0 against a number and NaN (never true)
        # against a string.
        if actual is MISSING:
            if not is_number(expected):
                return False
            actual = 0
        if not same_kind(actual, expected):
            return False
        return {"$gt": actual > expected, "$gte": actual >= expected,
                "$lt": actual < expected, "$lte": actual <= expected}[op]
    if op == "$exists":
        return (actual is not MISSING) == expected
    raise AssertionError(op)


def evaluate(condition, attributes):
    for key, expected in condition.items():
        if key == "$and":
            ok = all(evaluate(c, attributes) for c in expected)
        elif key == "$or":
            ok = not expected or any(evaluate(c, attributes) for c in expected)
        elif key == "$not":
            ok = not evaluate(expected, attributes)
        else:
            actual = get_path(attributes, key)
            if isinstance(expected, dict):
                ok = all(operator(op, actual, operand) for op, operand in expected.items())
            else:
                ok = actual is not MISSING and operator("$eq", actual, expected)
        if not ok:
            return False
    return True


def paths(condition):
    """The attribute paths a condition touches."""
    found = set()
    if isinstance(condition, dict):
        for key, value in condition.items():
            if key.startswith("$"):
                found |= paths(value)
            else:
                found.add(key)
    elif isinstance(condition, list):
        for item in condition:
            found |= paths(item)
    return found


# ---- random experiments, units and attributes ---------------------------------------
COUNTRIES = ["DE", "FR", "US", "GB", "JP"]
PLANS = ["free", "pro", "team"]
LAYERS = ["checkout", "search", "homepage.hero", "L_1"]
# Holdouts are global: one share per name (extremes included), listed by experiments.
HOLDOUTS = {"global-2026": 0.05, "q4": 0.1, "ads.hold": 0.5, "h": 0.999999, "tiny": 0.000001, "r": 0.377216}
# Attributes an edge passes as plain header strings: conditions over these alone are
# marked "edge" (Envoy replays them with header mappings).
EDGE_ATTRIBUTES = {"country", "plan"}


def random_attributes(rng):
    a = {}
    if rng.random() < 0.85:
        a["country"] = rng.choice(COUNTRIES)
    if rng.random() < 0.8:
        a["plan"] = rng.choice(PLANS)
    if rng.random() < 0.8:
        a["age"] = rng.randrange(10, 80)
    if rng.random() < 0.5:
        a["beta"] = rng.random() < 0.5
    if rng.random() < 0.6:
        a["user"] = {"tier": rng.randrange(0, 4), "team": rng.choice(PLANS)}
    return a


def random_clause(rng, edge):
    kind = rng.choice([0, 1, 2, 7, 8]) if edge else rng.randrange(9)
    if kind == 0:
        return {"country": rng.choice(COUNTRIES)}
    if kind == 1:
        return {"country": {"$in": rng.sample(COUNTRIES, rng.randrange(1, 4))}}
    if kind == 2:
        return {"plan": {"$nin": rng.sample(PLANS, rng.randrange(1, 3))}}
    if kind == 3:
        op = rng.choice(["$gt", "$gte", "$lt", "$lte"])
        return {"age": {op: rng.randrange(10, 80)}}
    if kind == 4:
        return {"age": {"$gte": rng.randrange(10, 40), "$lt": rng.randrange(40, 80)}}
    if kind == 5:
        return {"beta": {"$exists": rng.random() < 0.5}}
    if kind == 6:
        return {"user.tier": {rng.choice(["$gte", "$eq", "$ne"]): rng.randrange(0, 4)}}
    if kind == 7:
        return {"plan": {"$ne": rng.choice(PLANS)}}
    return {"country": {"$gt": rng.choice(COUNTRIES)}}


def random_condition(rng):
    edge = rng.random() < 0.8
    clauses = [random_clause(rng, edge) for _ in range(rng.randrange(1, 6))]
    shape = rng.randrange(5)
    if shape == 0:
        return {"$or": clauses}
    if shape == 1:
        return {"$and": clauses}
    if shape == 2:
        return {"$not": {"$or": clauses}}
    if shape == 3 and len(clauses) > 1:
        return {"$or": clauses[:1], "$and": clauses[1:]}
    merged = {}
    for c in clauses:  # one object of several paths (all must hold)
        for k, v in c.items():
            merged.setdefault(k, v)
    return merged


def random_range(rng):
    choice = rng.randrange(7)
    if choice == 0:
        return 0.0, 1.0
    if choice == 1:
        return 0.0, 0.5
    if choice == 2:
        return 0.5, 1.0
    if choice == 3:
        return 0.25, 0.75
    if choice == 4:
        return 0.0, 5e-324 * 2 ** 60
    a, b = sorted(round(rng.random(), 6) for _ in range(2))
    if a == b:
        return 0.0, 1.0
    return a, b


def decide(c):
    """The precedence table from `holdout` on (the vectors' experiments are running and
    have no forced entries)."""
    unit = c["unit_id"]
    holdout_points = [point("cleave/holdout", h["name"], unit) for h in c["holdouts"]]
    layer_point = None if c["layer"] is None else point("cleave/layer", c["layer"]["name"], unit)
    targeted = None if c["targeting"] is None else evaluate(c["targeting"], c["attributes"])
    reason = None
    for h, p in zip(c["holdouts"], holdout_points):
        if p < bound(h["share"]):
            reason = "holdout"
            break
    if reason is None and targeted is False:
        reason = "not_targeted"
    if reason is None and layer_point is not None:
        lo, hi = bound(c["layer"]["start"]), bound(c["layer"]["end"])
        if not (lo <= layer_point < hi):
            reason = "not_in_layer"
    variant = None
    if reason is None:
        _, _, index = v1.assign(c["salt"], unit, c["traffic_allocation"], c["weights"])
        if index is None:
            reason = "not_in_traffic"
        else:
            reason, variant = "assigned", c["variants"][index]
    c["edge"] = c["targeting"] is None or paths(c["targeting"]) <= EDGE_ATTRIBUTES
    c["expected"] = {
        "layer_point": None if layer_point is None else f"{layer_point:016x}",
        "holdout_points": [f"{p:016x}" for p in holdout_points],
        "targeted": targeted,
        "reason": reason,
        "variant": variant,
    }
    return c


def random_experiment(rng):
    """One experiment's configuration (its units are drawn separately)."""
    _, weights = v1.random_weights(rng)
    layer = None
    if rng.random() < 0.6:
        start, end = random_range(rng)
        layer = {"name": rng.choice(LAYERS), "start": start, "end": end}
    holdouts = []
    if rng.random() < 0.5:
        for name in rng.sample(sorted(HOLDOUTS), rng.randrange(1, 4)):
            holdouts.append({"name": name, "share": HOLDOUTS[name]})
    targeting = random_condition(rng) if rng.random() < 0.6 else None
    return {
        "salt": v1.random_salt(rng),
        "traffic_allocation": rng.choice([1.0, 1.0, 0.5, 0.9, round(rng.random(), 6)]),
        "weights": weights,
        "variants": ["control"] + [f"variant-{i}" for i in range(1, len(weights))],
        "layer": layer,
        "holdouts": holdouts,
        "targeting": targeting,
    }


UNITS_PER_EXPERIMENT = 10


def unit_case(experiment, rng, unit_id=None):
    c = dict(experiment)
    c["unit_id"] = unit_id if unit_id is not None else v1.random_id(rng)
    c["attributes"] = random_attributes(rng)
    return decide(c)


def main():
    rng = random.Random(20261201)
    out = []
    # Three adjoining ranges of one layer, 60 units each: every unit is in exactly one.
    adjoining = []
    for start, end in [(0.0, 0.3), (0.3, 0.7), (0.7, 1.0)]:
        e = random_experiment(rng)
        e.update(layer={"name": "checkout", "start": start, "end": end}, holdouts=[], targeting=None,
                 traffic_allocation=1.0)
        adjoining.append(e)
    for k in range(60):
        for e in adjoining:
            out.append(unit_case(e, rng, f"adjoining-{k}"))
    # Then experiments of 10 units each (consecutive lines share the configuration).
    while len(out) < 2400:
        e = random_experiment(rng)
        for _ in range(UNITS_PER_EXPERIMENT):
            out.append(unit_case(e, rng))
    for c in out:
        print(json.dumps(c, ensure_ascii=False, separators=(",", ":")))


if __name__ == "__main__":
    main()
