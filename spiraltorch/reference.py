"""Exact, simple TopK and sort along the last axis of a 2-D NumPy array: the semantics every
device must reproduce bit for bit.

Each value gets an integer rank (dense, from np.unique, so -0.0 and +0.0 share one); NaN ranks
above everything. Rows are then ordered with np.lexsort by (rank, column index), so equal values
keep ascending index order. Returned values are taken from the input, keeping their bits.
"""
from __future__ import annotations

import numpy as np


def value_ranks(a: np.ndarray) -> np.ndarray:
    """int64 ranks of ``a``'s elements: equal values (-0.0 == +0.0) share one, NaN is the top."""
    if a.dtype.kind == "f":
        nan = np.isnan(a)
        plain = np.where(nan, 0, a).astype(np.float64)
    else:
        nan = np.zeros(a.shape, bool)
        plain = a.astype(np.int64) if a.dtype.kind in "bu" else a
    _, ranks = np.unique(plain.reshape(-1), return_inverse=True)
    ranks = ranks.reshape(a.shape).astype(np.int64)
    return np.where(nan, ranks.max(initial=0) + 1, ranks)


def _order(a: np.ndarray, largest: bool) -> np.ndarray:
    ranks = value_ranks(a)
    if largest:
        ranks = -ranks
    cols = np.broadcast_to(np.arange(a.shape[-1]), a.shape)
    return np.lexsort((cols, ranks), axis=-1).astype(np.int64)


def reference_topk(a: np.ndarray, k: int, largest: bool = True):
    """(values, int64 indices), each (rows, k): the k largest (or smallest, NaN last) per row."""
    if a.ndim != 2 or not 0 <= k <= a.shape[1]:
        raise ValueError(f"reference_topk wants a 2-D array and 0 <= k <= cols; got {a.shape}, k={k}")
    if a.size == 0:
        return np.empty((a.shape[0], k), a.dtype), np.empty((a.shape[0], k), np.int64)
    idx = _order(a, largest)[:, :k]
    return np.take_along_axis(a, idx, 1), idx


def reference_sort(a: np.ndarray, descending: bool = False):
    """(values, int64 indices) of a stable sort of each row; NaN is the largest value."""
    if a.ndim != 2:
        raise ValueError(f"reference_sort wants a 2-D array; got shape {a.shape}")
    if a.size == 0:
        return a.copy(), np.empty(a.shape, np.int64)
    idx = _order(a, descending)
    return np.take_along_axis(a, idx, 1), idx
