"""Exact sort along one axis: order keys, a bitonic network over (key, index), then a gather;
and the ranks that merge sorted runs of a 1-D sort too large for one storage binding."""
from __future__ import annotations

import math
import struct

from ... import dtypes as dt
from .array import WgpuArray
from .device import grid, load_wgsl
from .elementwise import KIND, STORE_T, check_dtype
from .indexing import gather
from .views import contiguous, permute, reshape

_KEY = {"f": "vec2<u32>(st_fkey(f32(v)), 0u)", "i": "vec2<u32>(bitcast<u32>(v) ^ 0x80000000u, 0u)",
        "u": "vec2<u32>(v, 0u)", "l": "vec2<u32>(v.y ^ 0x80000000u, v.x)"}


def _keyed_source(name, dtype):
    return (load_wgsl(name).replace("$ENABLE", "enable f16;" if dtype is dt.float16 else "")
            .replace("$T", STORE_T[dtype.name]).replace("$LIB", load_wgsl("scalar_lib.wgsl"))
            .replace("$KEY", _KEY[KIND[dtype.name]]))


def add_ranks(ctx, places: WgpuArray, run: WgpuArray, query: WgpuArray, descending: bool,
              run_first: bool, fresh: bool) -> None:
    """places (fresh int64s, one per element of the sorted run ``query``) += how many elements
    of the sorted run ``run`` come before each, starting from their positions in ``query`` when
    ``fresh``; ``run_first``: run lies earlier in the input."""
    if query.size == 0:
        return
    src = _keyed_source("sort_rank.wgsl", query.dtype)
    ctx.dispatch(ctx.pipeline(f"sort rank {query.dtype.name}", src),
                 [places.buffer, run.buffer, query.buffer], grid(-(-query.size // 256)),
                 struct.pack("<8I", run.size, query.size, int(descending), int(run_first),
                             run.offset, query.offset, int(fresh), 0))


def sort(ctx, x: WgpuArray, dim: int, descending: bool):
    """(values, int64 indices) along dim; NaN is the largest value; equal keys keep index order."""
    check_dtype(ctx, x.dtype)
    dim = dim % x.ndim if x.ndim else 0
    order = [d for d in range(x.ndim) if d != dim] + [dim] if x.ndim else []
    moved = permute(x, order)
    n = moved.shape[-1] if x.ndim else 1
    rows = math.prod(moved.shape[:-1]) if x.ndim else 1
    flat = contiguous(reshape(moved, (rows, n)))
    indices = WgpuArray.empty(ctx, (rows, n), dt.int64)
    if rows * n:
        width = 1 << max(n - 1, 0).bit_length()
        keys = ctx.buffer(rows * width * 8)
        idx = ctx.buffer(rows * width * 4)
        src = _keyed_source("sort_keys.wgsl", x.dtype)
        ctx.dispatch(ctx.pipeline(f"sort keys {x.dtype.name}", src), [keys, idx, flat.buffer],
                     grid(-(-rows * width // 256)),
                     struct.pack("<8I", rows, n, width, int(descending), flat.offset, 0, 0, 0))
        step = ctx.pipeline("sort step", load_wgsl("sort_step.wgsl"))
        k = 2
        while k <= width:
            j = k // 2
            while j:
                ctx.dispatch(step, [keys, idx], grid(-(-rows * width // 512)),
                             struct.pack("<4I", rows, width, k, j))
                j //= 2
            k *= 2
        emit = ctx.pipeline("sort emit", load_wgsl("sort_emit.wgsl"))
        ctx.dispatch(emit, [indices.buffer, idx], grid(-(-rows * n // 256)),
                     struct.pack("<4I", rows, n, width, 0))
        ctx.release(keys)
        ctx.release(idx)
    values = gather(ctx, flat, 1, indices)
    inverse = [order.index(d) for d in range(x.ndim)]
    shape = moved.shape
    return (permute(reshape(values, shape), inverse), permute(reshape(indices, shape), inverse))
