"""A NumPy model of how often the ``fc`` floor fails on random normal rows (no GPU needed).

    python3 bench/topk_floor_failures.py [--rows 200000]

``floor_compact`` (topk_floor_compact.wgsl) estimates each row's floor from a sample of it and
fails where fewer than k or more than the candidate slots of the row reach the floor; the row is
then selected whole by one workgroup (in ``floor_retry`` where ``fr`` is 1), which costs a long row
tens of microseconds on its own. For each (cols, k) this draws the sample of every modelled row
(as many keys as ``floor_sample_units`` gives the kernel), takes the floor as sample_floor does
(the key of sampled rank ceil(aim * sampled / cols), lowered to its bucket's lowest key at the
first 8-bit digit whose bucket holds few enough sampled keys, or holds exactly the keys still
needed) and draws how many of the row's other keys reach it (binomial on the normal tail). It
prints the share of rows with too few and with too many.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from spiraltorch.backends.wgpu.topk_layout import (FLOOR_SAMPLE_RUN,  # noqa: E402
                                                   floor_candidates, floor_sample_units)

DIGIT_BITS = 8  # the sample's radix digits for 32-bit keys (FLOOR_SAMPLE_DIGIT_BITS)
WG = 256
SHAPES = ((32000, 64), (32000, 128), (32000, 256), (32000, 1024), (8192, 128), (4096, 128))
_normal_tail = np.vectorize(lambda x: 0.5 * math.erfc(x / math.sqrt(2.0)))


def float32_keys(values: np.ndarray) -> np.ndarray:
    """Order-preserving keys of float32 values (as topk_keys.wgsl), in int64."""
    raw = values.astype(np.float32).view(np.uint32).astype(np.int64)
    return np.where(raw >> 31 == 1, 0xFFFFFFFF - raw, raw | 0x80000000)


def key_values(keys: np.ndarray) -> np.ndarray:
    """The float32 values of keys, as float64."""
    raw = np.where(keys >> 31 == 1, keys & 0x7FFFFFFF, 0xFFFFFFFF - keys).astype(np.uint32)
    return raw.view(np.float32).astype(np.float64)


def sample_size(cols: int, k: int) -> int:
    """Keys of a row's sample, as sample_floor lays it out for float32 rows."""
    units = floor_sample_units(cols, k, 32, WG)
    runs = cols // 4 // FLOOR_SAMPLE_RUN
    every = max(math.ceil(runs * FLOOR_SAMPLE_RUN / (units * WG)), 2)
    return math.ceil(runs / every) * FLOOR_SAMPLE_RUN * 4


def floors(keys: np.ndarray, rank: int, cols: int, slots: int, aim: int) -> np.ndarray:
    """sample_floor's floor of each row of sampled keys."""
    sampled = keys.shape[1]
    kth = -np.partition(-keys, rank - 1, axis=1)[:, rank - 1]
    few = sampled * (slots - aim) / 4.0  # few_in_bucket's bound, times cols
    floor = kth.copy()
    decided = np.zeros(len(keys), bool)
    for shift in range(32 - DIGIT_BITS, -1, -DIGIT_BITS):
        low = (kth >> shift) << shift
        in_bucket = ((keys >> shift) == (kth >> shift)[:, None]).sum(1)
        exact = (keys >= low[:, None]).sum(1) == rank
        now = ~decided & ((in_bucket * cols <= few) | exact)
        floor[now] = low[now]
        decided |= now
    return floor


def failures(cols: int, k: int, rows: int, rng) -> tuple[float, float]:
    """Shares of modelled rows where fewer than k, and more than the slots, reach the floor."""
    slots = floor_candidates(k)
    aim = math.isqrt(k * slots)
    sampled = sample_size(cols, k)
    rank = max(-(-aim * sampled // cols), 1)
    few = many = 0
    for start in range(0, rows, 2000):
        n = min(2000, rows - start)
        keys = float32_keys(rng.standard_normal((n, sampled), dtype=np.float32))
        floor = floors(keys, rank, cols, slots, aim)
        reach = (rng.binomial(cols - sampled, _normal_tail(key_values(floor)))
                 + (keys >= floor[:, None]).sum(1))
        few += int((reach < k).sum())
        many += int((reach > slots).sum())
    return few / rows, many / rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=200000, help="modelled rows per shape")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    print(f"{'cols':>6} {'k':>5} {'slots':>5} {'sampled':>7}  {'too few':>9} {'too many':>9}")
    for cols, k in SHAPES:
        few, many = failures(cols, k, args.rows, rng)
        print(f"{cols:>6} {k:>5} {floor_candidates(k):>5} {sample_size(cols, k):>7}  "
              f"{few:>9.2e} {many:>9.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
