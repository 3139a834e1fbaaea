"""A NumPy model of the buckets ``select_held`` ranks its winners in with ``hb`` = 1 (no GPU needed).

    python3 bench/topk_rank_buckets.py               # float32 and float16 keys

For random normal rows it takes each row's top k keys (the winners), cuts their key range into
RANK_BINS buckets of equal width as topk_held_ranked.wgsl does, and reports the compares a winner
takes on average (the size of its bucket), the largest bucket, and the rows whose largest bucket
holds more than RANK_BUCKET_MAX winners (those are sorted instead of counted).
"""
from __future__ import annotations

import itertools

import numpy as np

from topk_held_passes import float_keys

RANK_BINS = 512
RANK_BUCKET_MAX = 64
ROWS = 200
# (cols, k) of held-keys shapes of the gpu grid and a few beside them
SHAPES = ((32000, 1024), (32000, 256), (32000, 128), (4096, 1024), (4096, 512), (4096, 128),
          (1024, 1024))


def buckets(winners: np.ndarray) -> np.ndarray:
    """Winners per bucket: the smallest shift that leaves at most RANK_BINS buckets from the
    lowest winner's."""
    low, high = int(winners.min()), int(winners.max())
    shift = 0
    while (high >> shift) - (low >> shift) >= RANK_BINS:
        shift += 1
    return np.bincount((winners >> shift) - (low >> shift), minlength=RANK_BINS)


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"{'dtype':>8} {'cols':>6} {'k':>5} {'compares a winner':>18} {'largest bucket':>15} "
          f"{'rows sorted':>12}")
    for dtype, (cols, k) in itertools.product((np.float32, np.float16), SHAPES):
        compares, largest, sorted_rows = [], [], 0
        for _ in range(ROWS):
            keys = float_keys(rng.standard_normal(cols), dtype)
            counts = buckets(np.sort(keys)[-k:])
            compares.append(float((counts.astype(np.float64) ** 2).sum()) / k)
            largest.append(int(counts.max()))
            sorted_rows += int(counts.max() > RANK_BUCKET_MAX)
        print(f"{np.dtype(dtype).name:>8} {cols:>6} {k:>5} {np.mean(compares):>18.1f} "
              f"{f'{np.mean(largest):.1f} ({max(largest)})':>15} {sorted_rows:>8} / {ROWS}")


if __name__ == "__main__":
    main()
