#!/usr/bin/env python3
"""CPU (user + system, seconds) that every `workerd serve` process on the host has spent so
far: the local runtime's, wrangler's proxy in front of it included. Read before and after a
load, it gives the runtime's CPU for that load (so run benchmarks alone). Linux only: 0
where /proc is missing.

Usage: python3 tests/bench/workerd_cpu.py   (prints the seconds), or import it.
"""
import os
import subprocess


def workerd_cpu_seconds() -> float:
    """User + system CPU of every `workerd serve` process so far, in seconds."""
    try:
        pids = subprocess.run(["pgrep", "-f", "workerd serve"], capture_output=True, text=True).stdout.split()
    except OSError:
        return 0.0
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    print(workerd_cpu_seconds())
