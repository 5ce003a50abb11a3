#!/usr/bin/env python3
"""Independent generator of the shard vectors (docs/assignment.md, "Shards"), written from
the document only: a unit's shard among N is floor(p * N / 2^64), with p the first 8 bytes,
big-endian, of SHA-256("cleave/shard" || 0x00 || unit_id).

Usage: python3 shared/tests/vectors/gen/shards.py > shared/tests/vectors/shards.jsonl
Deterministic: a fixed seed, so re-running reproduces the committed file byte for byte.
"""
import hashlib
import json
import random

TWO_POW_64 = 2 ** 64


def shard(unit_id: str, shards: int) -> int:
    digest = hashlib.sha256(b"cleave/shard" + b"\x00" + unit_id.encode("utf-8")).digest()
    point = int.from_bytes(digest[:8], "big")
    return point * shards // TWO_POW_64


def main() -> None:
    rng = random.Random(20261201)
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_.@é漢"
    counts = [1, 2, 3, 7, 8, 16, 64, 100, 255, 256]
    for i in range(1200):
        n = rng.choice(counts)
        if i % 4 == 0:
            unit = f"user-{i}"
        else:
            unit = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        print(json.dumps({"unit_id": unit, "shards": n, "shard": shard(unit, n)}, ensure_ascii=False))


if __name__ == "__main__":
    main()
