#!/usr/bin/env python3
"""Reference values for the Bayesian beta-binomial comparison beyond the range of
bayes_beta.jsonl (n up to 1e9, sums of up to ~10^6 terms), where Cleave switches from the
exact sum to its fixed-cost quadrature.

Written from the formulas in shared/tests/vectors/STATS-README.md (section 6) only, evaluated
with mpmath at 60 significant digits:

* P(pT > pC): Evan Miller's finite sum with the term-ratio recurrence (the shortest of its two
  forms);
* E[max(pC - pT, 0)] = mC * P(Beta(aC + 1, bC) > pT) - mT * P(pC > Beta(aT + 1, bT)),
  each probability again a Miller sum; 60 digits absorb the cancellation.

Usage: python3 shared/tests/vectors/gen/bayes_large.py > shared/tests/vectors/bayes_large.jsonl
Needs mpmath. Deterministic (fixed cases); takes a few minutes.
"""
import json
import mpmath as mp

mp.mp.dps = 60


def miller(ac, bc, at, bt):
    """P(Beta(at, bt) > Beta(ac, bc)), summing over whichever of at, bc is smaller."""
    if at > bc:
        ac, bc, at, bt = bt, at, bc, ac
    first = mp.exp(mp.log(mp.beta(ac, bc + bt)) - mp.log(mp.beta(ac, bc)))
    term, total = mp.mpf(1), mp.mpf(0)
    for i in range(at):
        total += term
        term *= mp.mpf(ac + i) * (bt + i) / ((ac + bc + bt + i) * (1 + i))
    return first * total


def case(n_c, x_c, n_t, x_t):
    ac, bc, at, bt = 1 + x_c, 1 + n_c - x_c, 1 + x_t, 1 + n_t - x_t
    prob = miller(ac, bc, at, bt)
    m_c = mp.mpf(ac) / (ac + bc)
    m_t = mp.mpf(at) / (at + bt)
    p1 = miller(at, bt, ac + 1, bc)  # P(Beta(aC + 1, bC) > pT)
    p2 = miller(ac, bc, at + 1, bt)  # P(Beta(aT + 1, bT) > pC)
    loss = m_c * p1 - m_t * (1 - p2)
    return {
        "input": {"control": {"n": n_c, "conversions": x_c}, "treatment": {"n": n_t, "conversions": x_t}},
        "expected": {"prob_treatment_better": float(prob), "expected_loss_treatment": float(loss)},
    }


CASES = [
    (10_000_000, 100_000, 10_000_000, 100_300),        # 1 % rate, 0.3 % lift
    (10_000_000, 100_300, 10_000_000, 100_000),        # the same, reversed
    (2_000_000, 1_000_000, 2_000_000, 1_001_000),      # 50 % rate
    (1_000_000_000, 150_000, 1_000_000_000, 151_000),  # rare events at a billion users
    (1_000_000_000, 400_000, 3_000_000, 1_300),        # very unequal groups
    (500_000, 150_000, 400_000, 121_000),              # unequal n, 30 %
    (200_000, 199_000, 300_000, 299_400),              # rates near 1
    (300_000, 200_000, 300_000, 203_000),              # far apart: P near 1
    (300_000, 203_000, 300_000, 200_000),              # far apart: P near 0, loss ≈ difference
    (5_000_000, 250_000, 5_000_000, 250_000),          # identical
    (120_000, 120_000, 150_000, 149_000),              # all converted in control
    (100_000_000, 101_000, 100_000_000, 100_500),      # 0.1 % rate, n = 1e8
]

for i, (n_c, x_c, n_t, x_t) in enumerate(CASES):
    row = {"id": f"bayes_large-{i:02d}", **case(n_c, x_c, n_t, x_t)}
    print(json.dumps(row), flush=True)
