"""Host <-> device copies, converting between NumPy dtypes and the wgpu storage layout."""
from __future__ import annotations

import numpy as np

from ... import dtypes as dt
from .array import WgpuArray
from .elementwise import check_dtype
from .views import contiguous


def to_storage_bytes(a: np.ndarray, dtype) -> np.ndarray:
    """A C-contiguous array whose bytes are ``a`` in the storage layout of ``dtype``."""
    if dtype.name in ("bool", "uint8"):
        return np.ascontiguousarray(a, dtype=np.uint32)
    return np.ascontiguousarray(a, dtype=dtype.np)


def from_numpy(ctx, a) -> WgpuArray:
    a = np.asarray(a)
    dtype = dt.from_numpy_dtype(a.dtype)
    check_dtype(ctx, dtype)
    out = WgpuArray.empty(ctx, a.shape, dtype)
    data = to_storage_bytes(a, dtype).reshape(-1).view(np.uint8)
    if data.nbytes % 4:
        data = np.concatenate([data, np.zeros(-data.nbytes % 4, np.uint8)])
    ctx.write(out.buffer, 0, data)
    return out


def to_numpy(x: WgpuArray) -> np.ndarray:
    x = contiguous(x)
    raw = x.ctx.read(x.buffer, x.offset * x.itemsize, x.size * x.itemsize)
    if x.dtype.name in ("bool", "uint8"):
        return np.frombuffer(raw, np.uint32).astype(x.dtype.np).reshape(x.shape)
    return np.frombuffer(raw, x.dtype.np).reshape(x.shape).copy()
