"""A NumPy model of the radix passes ``select_held`` runs over floor candidates (no GPU needed).

    python3 bench/topk_held_passes.py               # float32 and float16 keys

For random normal rows it takes each row's top ``aim`` keys (the candidates the ``fc``
floor leaves: about the geometric mean of k and the candidate slots, give or take 20%) and counts,
for the top-byte first digit and for the first digit fitted to the candidates' key range (what
``first_digit`` of topk_select_held.wgsl does), the passes until the k-th key's bucket is exact or
the last digit is reached, and the keys of the first pass's fullest bucket: the atomics that add
to one workgroup-memory address.
"""
from __future__ import annotations

import itertools

import numpy as np

DIGIT_BITS = 8
BINS = 1 << DIGIT_BITS
# (cols, k, candidate slots) of fc shapes of the gpu grid and a few beside them
SHAPES = ((32000, 1024, 2048), (32000, 256, 1024), (32000, 128, 512), (8192, 128, 512),
          (4096, 128, 512))


def float_keys(values: np.ndarray, dtype) -> np.ndarray:
    """Order-preserving keys of float values (as topk_keys.wgsl: 32 bits for float32, 16 for
    float16), held in int64."""
    bits = np.dtype(dtype).itemsize * 8
    raw = values.astype(dtype).view(f"u{bits // 8}").astype(np.int64)
    top = 1 << (bits - 1)
    return np.where(raw & top != 0, (2 * top - 1) - raw, raw | top)


def passes(keys: np.ndarray, k: int, shift: int, base: int) -> list[int]:
    """The fullest bucket of each pass of a radix select for the k-th largest key, the first
    pass on digit (key >> shift) - base, the later ones on the DIGIT_BITS below it."""
    under = keys
    need = k
    fullest = []
    while True:
        digits = (under >> shift) - base
        hist = np.bincount(digits, minlength=BINS)
        fullest.append(int(hist.max()))
        from_top = np.cumsum(hist[::-1])
        bucket = BINS - 1 - int(np.searchsorted(from_top, need))
        above = int(from_top[BINS - 2 - bucket]) if bucket < BINS - 1 else 0
        need -= above
        if hist[bucket] == need or shift == 0:
            return fullest
        under = under[digits == bucket]
        bits = min(DIGIT_BITS, shift)
        shift -= bits
        base = (int(under[0]) >> (shift + bits)) << bits


def fitted_shift(keys: np.ndarray, key_bits: int) -> int:
    low, high = int(keys.min()), int(keys.max())
    shift = 0
    while shift < key_bits - DIGIT_BITS and (high >> shift) - (low >> shift) >= BINS:
        shift += 1
    return shift


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"{'dtype':>7} {'cols':>6} {'k':>5} {'cands':>6}   top byte: passes, fullest first "
          f"bucket   fitted: passes, fullest first bucket")
    for (cols, k, slots), dtype in itertools.product(SHAPES, (np.float32, np.float16)):
        key_bits = np.dtype(dtype).itemsize * 8
        aim = int(np.sqrt(k * slots))
        top, fit = [], []
        for _ in range(200):
            row = np.sort(float_keys(rng.standard_normal(cols), dtype))[::-1]
            cand = row[:aim + int(rng.integers(-aim // 5, aim // 5 + 1))]
            top.append(passes(cand, k, key_bits - DIGIT_BITS, 0))
            shift = fitted_shift(cand, key_bits)
            fit.append(passes(cand, k, shift, int(cand.min()) >> shift))
        print(f"{np.dtype(dtype).name:>7} {cols:>6} {k:>5} {aim:>6}   "
              f"{np.mean([len(p) for p in top]):>18.2f}, {np.mean([p[0] for p in top]):>6.0f}   "
              f"{np.mean([len(p) for p in fit]):>16.2f}, {np.mean([p[0] for p in fit]):>6.0f}")


if __name__ == "__main__":
    main()
