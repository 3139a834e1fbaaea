"""Fuzz wgpu TopK against the exact reference for a while (not part of the pytest run).

    PYTHONPATH=. python3 scripts/fuzz_wgpu_topk.py --seconds 600 [--seed N]    (from the repository root)

Two kinds of case, on every dtype, with ties, NaN, +-inf and +-0.0 (make_input), a row of one
value in a fifth of the cases, largest or smallest, sorted in four of five: the fallback's Choice
on random shapes (1 to 4096 rows, up to 300000 columns, k up to 3000), with `hr`, `hw` and `hb`
each forced to 1 in half of them; and random two-pass Choices (workgroup size, units, chunk length,
sg, fg, rs, hr, hw, hb) on a few long rows, whose merges end in select_held. Outputs are poisoned
before each call (check). Prints each failure and a count at the end; exits 1 if any case failed.
"""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from spiraltorch import dtypes, heuristics
from spiraltorch.backends.wgpu.device import get_context
from spiraltorch.backends.wgpu.transfer import from_numpy
from spiraltorch.heuristics import Choice
from tests.test_wgpu_topk import DTYPES, check, make_input


def fallback_case(rng, dtype: str) -> tuple:
    rows = int(rng.choice([1, 2, 3, 17, 64, 300, 1024, 2048, 4096]))
    cols = int(rng.integers(1, max(2, 2_000_000 // rows)))
    cols = min(cols, int(rng.choice([64, 256, 1024, 4096, 9000, 40000, 300000])))
    k = int(min(cols, rng.choice([1, 2, 3, 8, 9, 31, 64, 100, 128, 129, 256, 700, 1024, 1500,
                                  2048, 3000])))
    choice = heuristics.choose("topk", rows, cols, k, device="wgpu", dtype=dtypes.to_dtype(dtype))
    forced = tuple((name, 1) for name in ("hr", "hw", "hb") if rng.random() < 0.5)
    kept = tuple((n, v) for n, v in choice.extra if n not in dict(forced))
    choice = Choice(u2=choice.u2, wg=choice.wg, kl=choice.kl, ch=choice.ch, cr=choice.cr,
                    extra=(*kept, *forced))
    return rows, cols, k, choice


def two_pass_case(rng) -> tuple:
    rows = int(rng.integers(1, 5))
    cols = int(rng.integers(5000, 400000))
    k = int(min(cols, rng.choice([2, 5, 8, 16, 32, 64, 100, 128, 200, 512, 1024])))
    choice = Choice(u2=1, wg=int(rng.choice([64, 128, 256])), kl=int(rng.choice([1, 2, 4, 8])),
                    ch=int(rng.choice([1024, 4096, 8192, 32768, 65536])),
                    extra=tuple((name, int(rng.integers(0, 2)))
                                for name in ("sg", "fg", "rs", "hr", "hw", "hb")))
    return rows, cols, k, choice


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--seed", type=int, default=None)
    args = p.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    ctx = get_context()
    deadline = time.time() + args.seconds
    cases = failures = 0
    while time.time() < deadline:
        dtype = str(rng.choice(DTYPES))
        rows, cols, k, choice = (fallback_case(rng, dtype) if rng.integers(0, 3) == 0
                                 else two_pass_case(rng))
        a = make_input(rng, dtype, rows, cols)
        if rng.random() < 0.2:
            a[rng.integers(0, rows)] = a[0, 0]
        largest, ordered = bool(rng.integers(0, 2)), bool(rng.random() < 0.8)
        cases += 1
        try:
            check(ctx, a, from_numpy(ctx, a), k, largest, ordered, choice)
        except AssertionError as e:
            failures += 1
            print("FAIL", rows, cols, k, dtype, largest, ordered, choice, str(e)[:300], flush=True)
    print(f"{cases} cases, {failures} failures", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
