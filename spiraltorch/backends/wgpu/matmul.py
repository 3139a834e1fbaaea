"""Batched, broadcasting matmul: tiled float kernels (f32 accumulation) and an exact integer one."""
from __future__ import annotations

import math
import struct

from ... import dtypes as dt
from .array import WgpuArray
from .device import MAX_GROUPS, load_wgsl
from .elementwise import STORE_T, check_dtype, collapse
from .views import broadcast_shapes, expand

# dtype -> (zero, acc <- acc + x * y, stored value)
_INT = {
    "int32": ("0", "acc + x * y", "acc"),
    "int64": ("vec2<u32>(0u, 0u)", "l_add(acc, l_mul(x, y))", "acc"),
    "uint8": ("0u", "acc + x * y", "acc & 255u"),
}


def _pack(dims):
    words = [0] * 8
    words[:len(dims)] = dims
    return words


def matmul(ctx, a: WgpuArray, b: WgpuArray) -> WgpuArray:
    check_dtype(ctx, a.dtype)
    if a.dtype not in (dt.float32, dt.float16) and a.dtype.name not in _INT:
        raise TypeError(f"matmul on wgpu is not implemented for {a.dtype.name}; "
                        "cast the operands to float32")
    m, k = a.shape[-2:]
    k2, n = b.shape[-2:]
    if k != k2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({m}x{k} and {k2}x{n})")
    batch = broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = expand(a, batch + (m, k))
    b = expand(b, batch + (k, n))
    out = WgpuArray.empty(ctx, batch + (m, n), a.dtype)
    nbatch = math.prod(batch)
    if nbatch == 0 or m == 0 or n == 0:
        return out
    if nbatch > MAX_GROUPS:
        raise RuntimeError(f"matmul on wgpu takes at most {MAX_GROUPS} batches, got {nbatch}")
    bshape, (a_bs, b_bs) = collapse(batch, [a.strides[:-2], b.strides[:-2]])
    if len(bshape) > 8:
        raise ValueError(f"matmul batch dimensions {batch} do not collapse to 8 or fewer")
    uniform = struct.pack("<12I24I", m, n, k, len(bshape), a.offset, a.strides[-2], a.strides[-1],
                          b.offset, b.strides[-2], b.strides[-1], 0, 0,
                          *_pack(bshape), *_pack(a_bs), *_pack(b_bs))
    if a.dtype.name in _INT:
        zero, mad, store = _INT[a.dtype.name]
        src = (load_wgsl("matmul_int.wgsl").replace("$COMMON", load_wgsl("matmul_common.wgsl"))
               .replace("$T", STORE_T[a.dtype.name])
               .replace("$LIB", load_wgsl("scalar_lib.wgsl")).replace("$ZERO", zero)
               .replace("$MAD", mad).replace("$STORE", store))
        ctx.dispatch(ctx.pipeline(f"matmul {a.dtype.name}", src),
                     [out.buffer, a.buffer, b.buffer], (-(-n // 16), -(-m // 16), nbatch), uniform)
        return out
    t = "f16" if a.dtype is dt.float16 else "f32"
    tile = 128 if m >= 128 and n >= 128 else 64
    name = "matmul_large.wgsl" if tile == 128 else "matmul.wgsl"
    src = (load_wgsl(name).replace("$COMMON", load_wgsl("matmul_common.wgsl"))
           .replace("$ENABLE", "enable f16;" if t == "f16" else "").replace("$T", t))
    pipe = ctx.pipeline(f"matmul {tile}x{tile} {t}", src)
    if -(-m // tile) > MAX_GROUPS:
        raise RuntimeError(f"matmul on wgpu takes at most {MAX_GROUPS * tile} rows, got {m}")
    ctx.dispatch(pipe, [out.buffer, a.buffer, b.buffer], (-(-n // tile), -(-m // tile), nbatch),
                 uniform)
    return out
