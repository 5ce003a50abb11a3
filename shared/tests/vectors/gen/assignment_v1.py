#!/usr/bin/env python3
"""Independent generator of the assignment contract v1 golden vectors.

Written from docs/assignment.md only (no Rust code consulted), with Python's hashlib
and exact integer / Fraction arithmetic, so the Rust core, the Worker and the Envoy
filter are checked against the specification rather than against themselves.

Usage: python3 shared/tests/vectors/gen/assignment_v1.py > shared/tests/vectors/assignment-v1.jsonl
Deterministic: a fixed seed, so re-running reproduces the committed file byte for byte.
"""
import hashlib
import json
import random
from fractions import Fraction

SPEC_VERSION = 1
TWO_POW_64 = 2 ** 64
WEIGHT_SCALE = 1_000_000.0


def unit_hash(salt: str, unit_id: str):
    """SHA-256(salt || 0x00 || unit_id); bytes 0..8 and 8..16 as big-endian u64."""
    digest = hashlib.sha256(salt.encode("utf-8") + b"\x00" + unit_id.encode("utf-8")).digest()
    return int.from_bytes(digest[0:8], "big"), int.from_bytes(digest[8:16], "big")


def weight_units(weight: float) -> int:
    """trunc(weight * 1e6 + 0.5), the products and sum rounded as IEEE-754 doubles."""
    return int(weight * WEIGHT_SCALE + 0.5)


def traffic_threshold(traffic: float):
    """None means everybody; otherwise floor(traffic * 2^64), computed exactly."""
    if traffic >= 1.0:
        return None
    return int(Fraction(traffic) * TWO_POW_64)  # Fraction is exact; int() floors a positive value


def assign(salt, unit_id, traffic, weights):
    t, b = unit_hash(salt, unit_id)
    threshold = traffic_threshold(traffic)
    if threshold is not None and t >= threshold:
        return t, b, None
    cumulative, total = [], 0
    for w in weights:
        total += weight_units(w)
        cumulative.append(total)
    point = (b * total) >> 64
    for i, c in enumerate(cumulative):
        if point < c:
            return t, b, i
    raise AssertionError("point beyond the total")


UNICODE_IDS = [
    "ユーザー42", "пользователь", "utilisateur-é", "用户_001", "😀-smile", "👩‍💻dev", "Ωmega",
    "a\u0301", "\u00e1", "עברית", "عربي", "ß", "ǅ", "\u200bzero-width", "x" * 256,
]
# Ids are what every host accepts: 1-256 UTF-8 bytes, no control characters and no
# leading or trailing space (HTTP header values cannot carry those faithfully).


def random_id(rng: random.Random) -> str:
    while True:
        uid = random_id_any_length(rng)
        if len(uid.encode("utf-8")) <= 256:
            return uid


def random_id_any_length(rng: random.Random) -> str:
    kind = rng.randrange(6)
    if kind == 0:
        return f"user{rng.randrange(10 ** 9)}"
    if kind == 1:
        return "%032x" % rng.getrandbits(128)
    if kind == 2:
        return "%08x-%04x-4%03x-%04x-%012x" % (
            rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(12), rng.getrandbits(16), rng.getrandbits(48))
    if kind == 3:
        return rng.choice(UNICODE_IDS) + str(rng.randrange(1000))
    if kind == 4:
        return "".join(chr(rng.choice([rng.randrange(0x21, 0x7f), rng.randrange(0xa0, 0x2fff), rng.randrange(0x1f300, 0x1f64f)]))
                       for _ in range(rng.randrange(1, 40)))
    return str(rng.randrange(10 ** 18))


def random_weights(rng: random.Random):
    k = rng.choice([2, 2, 2, 3, 3, 4, 5, 10, 20])
    style = rng.randrange(4)
    if style == 0:
        return "weight", [1.0] * k
    if style == 1:
        return "weight", [float(rng.randrange(1, 100)) for _ in range(k)]
    if style == 2:  # fractional allocations summing to 1 (as doubles, the last absorbs the rest)
        parts = [rng.randrange(1, 1000) for _ in range(k)]
        s = sum(parts)
        alloc = [round(p / s, 6) for p in parts[:-1]]
        last = round(1.0 - sum(alloc), 6)
        if last <= 0:
            return "weight", [1.0] * k
        return "allocation", alloc + [last]
    return "weight", [round(rng.uniform(0.000001, 50.0), 6) for _ in range(k)]


def random_traffic(rng: random.Random) -> float:
    return rng.choice([0.0, 1.0, 1.0, 1.0, 0.5, 0.0005, 0.05, 0.1, 0.25, 0.999999, round(rng.random(), 6), rng.random()])


def random_salt(rng: random.Random) -> str:
    return rng.choice([
        f"exp-{rng.randrange(10 ** 6)}", "%016x" % rng.getrandbits(64), "checkout-button", "ünïcode-salt", "s",
        f"{rng.randrange(10 ** 6)}:phase-2",
    ])


def case(salt, unit_id, traffic, style, weights):
    t, b, index = assign(salt, unit_id, traffic, weights)
    names = ["control"] + [f"variant-{i}" for i in range(1, len(weights))]
    return {
        "salt": salt,
        "unit_id": unit_id,
        "traffic_allocation": traffic,
        "weight_style": style,
        "weights": weights,
        "variants": names,
        "expected": {
            "traffic_hash": f"{t:016x}",
            "bucket_hash": f"{b:016x}",
            "in_traffic": index is not None,
            "variant_index": index,
            "variant": None if index is None else names[index],
        },
    }


def main():
    rng = random.Random(20261123)
    out = []
    for uid in UNICODE_IDS:  # every special id against a plain 50/50
        out.append(case("unicode-salt", uid, 1.0, "weight", [1.0, 1.0]))
    for traffic in [0.0, 1.0, 0.0005, 0.999999, 5e-324, 0.1 + 0.2]:  # traffic boundaries
        for k in range(10):
            out.append(case("boundaries", f"user{k}", traffic, "weight", [1.0, 1.0]))
    while len(out) < 2400:
        style, weights = random_weights(rng)
        out.append(case(random_salt(rng), random_id(rng), random_traffic(rng), style, weights))
    for c in out:
        print(json.dumps(c, ensure_ascii=False, separators=(",", ":")))


if __name__ == "__main__":
    main()
