"""The compiled CPU TopK and sort kernels, bit for bit against the exact reference, every Choice."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from spiraltorch.backends.cpu.topk import order_keys, sort, topk
from spiraltorch.heuristics import Choice

from topk_reference import reference_sort, reference_topk

DTYPES = (np.float16, np.float32, np.float64, np.int32, np.int64, np.uint8)
CHOICES = [Choice(u2=u2, ch=ch, extra=(("alg", alg),))
           for alg in (0, 1) for u2, ch in ((0, 0), (1, 256), (1, 4096), (1, 0))]
SHAPES = [(1, 1), (3, 1), (0, 7), (5, 0), (4, 33), (9, 300), (2, 5000), (1, 70000), (300, 40)]
UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def bits(a: np.ndarray) -> np.ndarray:
    return a.view(UINT[a.dtype.itemsize])


def special_input(rng, shape, dtype) -> np.ndarray:
    """Many ties, and for floats NaN (with different payloads), +-inf, -0.0 and +0.0."""
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        a = rng.integers(0, 6, shape).astype(dtype)
        if a.size:
            a.flat[rng.integers(0, a.size, max(1, a.size // 50))] = info.max
            a.flat[rng.integers(0, a.size, max(1, a.size // 50))] = info.min
        return a
    pool = np.array([0.0, -0.0, 1.0, -1.0, 2.5, -2.5, np.inf, -np.inf, np.nan], dtype)
    a = np.where(rng.random(shape) < 0.5, rng.choice(pool, shape),
                 rng.standard_normal(shape).astype(dtype))
    if a.size:
        nan_bits = bits(a)
        where = rng.integers(0, a.size, max(1, a.size // 40))
        nan_bits.flat[where] = bits(np.array([-np.nan], dtype))[0]  # a negative-sign NaN
    return a


def ks_for(cols: int) -> list:
    return sorted({0, min(1, cols), min(3, cols), cols // 2, max(cols - 1, 0), cols, min(cols, 600)})


def check(x, k, largest, sorted_, choices, reference=None):
    """Every Choice in ``choices`` returns the reference's indices and value bits."""
    ref_values, ref_indices = reference or reference_topk(np.ascontiguousarray(x), k, largest)
    for choice in choices:
        values, indices = topk(x, k, largest, sorted_, choice)
        assert values.dtype == x.dtype and indices.dtype == np.int64
        assert values.shape == indices.shape == (x.shape[0], k)
        assert np.array_equal(indices, ref_indices), (choice, k, largest, x.shape)
        assert np.array_equal(bits(values), bits(ref_values)), (choice, k, largest, x.shape)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_topk_matches_reference_for_every_choice(dtype):
    rng = np.random.default_rng()
    for shape in SHAPES:
        x = special_input(rng, shape, dtype)
        for largest in (True, False):
            full = reference_topk(x, shape[1], largest)
            for k in ks_for(shape[1]):
                reference = (full[0][:, :k], full[1][:, :k])
                check(x, k, largest, bool(rng.integers(0, 2)), CHOICES, reference)


@pytest.mark.parametrize("choice", CHOICES, ids=str)
def test_topk_large_k_long_rows_and_sorted_input(choice):
    """Ascending and descending rows (the queue's worst case), and k past the radix buffer."""
    rng = np.random.default_rng()
    ramp = np.arange(9000, dtype=np.float32)
    x = np.stack([ramp, ramp[::-1], rng.standard_normal(9000).astype(np.float32),
                  np.round(rng.standard_normal(9000)).astype(np.float32)])
    for k in (1, 17, 1500, 4000, 8999):
        for largest in (True, False):
            check(x, k, largest, True, [choice])


@pytest.mark.parametrize("choice", CHOICES[:2] + CHOICES[4:6], ids=str)
def test_topk_non_contiguous_views(choice):
    rng = np.random.default_rng()
    base = special_input(rng, (700, 60), np.float32)
    for x in (base.T, base[::3, ::2], base[:, 5:50], base.T[::2, ::-1]):
        for k in (0, 1, 7, x.shape[1]):
            check(x, k, bool(rng.integers(0, 2)), True, [choice])


def test_topk_values_match_torch():
    rng = np.random.default_rng()
    x = rng.standard_normal((37, 5000)).astype(np.float32)
    x[3, 100] = np.nan
    x[5, :10] = np.inf
    for choice in CHOICES:
        for k in (1, 9, 130):
            for largest in (True, False):
                values, indices = topk(x, k, largest, True, choice)
                expected = torch.topk(torch.from_numpy(x), k, largest=largest).values.numpy()
                np.testing.assert_array_equal(values, expected)
                np.testing.assert_array_equal(np.take_along_axis(x, indices, 1), values)


def test_topk_rejects_out_of_range_k():
    with pytest.raises(RuntimeError, match="k=6"):
        topk(np.zeros((2, 5), np.float32), 6, True, True, CHOICES[0])


def test_order_keys_are_monotone():
    values = np.array([np.nan, np.inf, 3.0, 0.0, -0.0, -3.0, -np.inf], np.float32)
    keys = order_keys(values)
    assert keys[0] == np.iinfo(np.uint32).max and keys[3] == keys[4]
    assert np.all(np.diff(keys.astype(np.int64)[1:]) <= 0)
    assert np.all(order_keys(values, largest=False) == ~keys)


@pytest.mark.parametrize("dtype", DTYPES + (np.bool_,), ids=lambda d: np.dtype(d).name)
def test_sort_matches_reference(dtype):
    rng = np.random.default_rng()
    if dtype is np.bool_:
        x = rng.integers(0, 2, (6, 40)).astype(bool)
    else:
        x = special_input(rng, (6, 40), dtype)
    for view in (x, x.T, x[:, ::3], x[:0]):
        for descending in (False, True):
            values, indices = sort(view, -1, descending, True)
            ref_values, ref_indices = reference_sort(np.ascontiguousarray(view), descending)
            assert np.array_equal(indices, ref_indices)
            assert np.array_equal(bits(values) if dtype is not np.bool_ else values,
                                  bits(ref_values) if dtype is not np.bool_ else ref_values)
    values, indices = sort(x, 0, True, True)
    ref_values, ref_indices = reference_sort(np.ascontiguousarray(x.T), True)
    assert np.array_equal(indices, ref_indices.T)


def test_reference_follows_torch_where_ties_do_not_matter():
    rng = np.random.default_rng()
    x = rng.standard_normal((8, 300)).astype(np.float32)
    x[0, 4] = np.nan
    for largest in (True, False):
        values, _ = reference_topk(x, 20, largest)
        expected = torch.topk(torch.from_numpy(x), 20, largest=largest).values.numpy()
        np.testing.assert_array_equal(values, expected)


@pytest.mark.parametrize("dtype", (np.float32, np.float64, np.int64), ids=lambda d: np.dtype(d).name)
def test_winner_sort_around_its_size_switch_and_skipped_digits(dtype):
    """k on both sides of the rank-counting / radix sort switch, with keys that share most of
    their digits (the radix sort skips those) and keys that differ in all of them."""
    rng = np.random.default_rng()
    one_byte = (rng.integers(0, 3, (40, 200)) << int(rng.integers(0, 5) * 4)).astype(dtype)
    spread = special_input(rng, (40, 200), dtype)
    for x in (one_byte, spread):
        for k in (2, 31, 32, 33, 64, 65, 199):
            check(x, k, bool(rng.integers(0, 2)), True, CHOICES)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_argmax_blocks_ties_and_last_partial_block(dtype):
    """k = 1 over rows of several 256-column blocks: the maximum tied in two blocks, only in the
    last partial block, everywhere (all equal), and for floats NaN and -0.0 against +0.0."""
    rng = np.random.default_rng()
    cols = int(rng.integers(720, 1100))
    x = special_input(rng, (6, cols), dtype)
    top = np.array(np.inf if np.dtype(dtype).kind == "f" else np.iinfo(dtype).max, dtype)
    x[0, [300, 700]] = top
    x[1, -1] = top
    x[2] = x[2, 0]
    if np.dtype(dtype).kind == "f":
        x[3] = -0.0
        x[3, int(rng.integers(0, cols))] = 0.0
        x[4, int(rng.integers(0, cols))] = np.nan
    check(x, 1, True, True, CHOICES)
    check(x, 1, False, True, CHOICES)
