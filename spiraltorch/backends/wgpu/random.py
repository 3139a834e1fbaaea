"""Random fill (uniform, normal, integers) from a counter-based hash in ``random.wgsl``."""
from __future__ import annotations

import math
import struct

import numpy as np

from ... import dtypes as dt
from .array import WgpuArray, storage_itemsize
from .device import grid, load_wgsl
from .elementwise import STORE_T, check_dtype

_UNIFORM = """    let v = p.a + (p.b - p.a) * unit(draw(g, 0u));
    out[i] = $T(select(v, p.a, v >= p.b && p.b > p.a));"""
_NORMAL = """    let u1 = (f32(draw(g, 0u) >> 8u) + 1.0) * (1.0 / 16777216.0);
    let u2 = unit(draw(g, 1u));
    out[i] = $T(p.a + p.b * sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));"""
_INTEGERS = {
    "int64": "    out[i] = l_add(p.low, vec2<u32>(select(draw(g, 0u) % p.range, draw(g, 0u), "
             "p.range == 0u), 0u));",
    "int32": "    out[i] = bitcast<i32>(p.low.x + draw(g, 0u) % p.range);",
    "uint8": "    out[i] = (p.low.x + draw(g, 0u) % p.range) & 255u;",
    "bool": "    out[i] = (p.low.x + draw(g, 0u) % p.range) & 1u;",
}


def random(ctx, kind, shape, dtype, seed, low=0, high=1) -> WgpuArray:
    check_dtype(ctx, dtype)
    out = WgpuArray.empty(ctx, shape, dtype)
    n = math.prod(out.shape)
    if n == 0:
        return out
    seed = int(seed) & ((1 << 64) - 1)
    t = STORE_T[dtype.name]
    if kind == "integers":
        span = int(high) - int(low)
        if not 0 < span <= 1 << 32:
            raise ValueError(f"random integers on wgpu need 0 < high - low <= 2**32, got "
                             f"low={low}, high={high}")
        if span == 1 << 32 and dtype is not dt.int64:
            raise ValueError(f"random integers in [{low}, {high}) do not fit {dtype.name}")
        body = _INTEGERS[dtype.name]
        low_bits = int(low) & ((1 << 64) - 1)
        a = b = 0.0
        rng = span & 0xFFFFFFFF
    else:
        if dtype.category != 2:
            raise TypeError(f"random {kind} needs a floating dtype, got {dtype.name}")
        body = (_UNIFORM if kind == "uniform" else _NORMAL).replace("$T", t)
        low_bits, rng, a, b = 0, 0, float(low), float(high)
    source = (load_wgsl("random.wgsl").replace("$ENABLE", "enable f16;" if t == "f16" else "")
              .replace("$T", t).replace("$LIB", load_wgsl("scalar_lib.wgsl"))
              .replace("$BODY", body))
    pipeline = ctx.pipeline(f"random {kind} {dtype.name}", source)
    itemsize = storage_itemsize(dtype)
    # Past one storage binding, blocks of whole 256-element groups (aligned binding offsets).
    per_block = n
    if out.buffer.size > ctx.binding_limit:
        per_block = max(256, ctx.binding_limit // itemsize // 256 * 256)
    for first in range(0, n, per_block):
        count = min(per_block, n - first)
        nbytes = count * itemsize
        binding = out.buffer
        if count < n:
            binding = (out.buffer, first * itemsize, nbytes + (-nbytes % 4))
        uniform = struct.pack("<4I2I2fI", count, seed & 0xFFFFFFFF, seed >> 32, rng,
                              low_bits & 0xFFFFFFFF, low_bits >> 32,
                              np.float32(a), np.float32(b), first)
        ctx.dispatch(pipeline, [binding], grid(-(-count // 256)), uniform)
    return out
