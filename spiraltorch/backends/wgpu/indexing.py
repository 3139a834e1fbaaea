"""gather, index_select, scatter_add, index_put and nonzero from ``indexing.wgsl``."""
from __future__ import annotations

import struct

import numpy as np

from ... import dtypes as dt
from .array import WgpuArray
from .device import grid, load_wgsl
from .elementwise import KIND, STORE_T, cast_expr, check_dtype, launch
from .views import contiguous, expand

_GATHER = """    let j = position(index[i_off + c_dim * at(p.i_st, p.dim)]);
    out[o] = x[x_off + j * at(p.x_st, p.dim)];"""

_SCATTER = """    var acc = $LOAD(x[x_off + c_dim * at(p.x_st, p.dim)]);
    if (inside) {
        for (var j = 0u; j < p.count; j++) {
            if (position(index[i_off + j * at(p.i_st, p.dim)]) == c_dim) {
                let v = $LOAD(src[s_off + j * at(p.s_st, p.dim)]);
                acc = $COMBINE;
            }
        }
    }
    out[o] = $STORE;"""

_ADD = {"f": "acc + v", "i": "acc + v", "u": "acc + v", "l": "l_add(acc, v)"}


def _pack(dims):
    words = [0] * 8
    words[:len(dims)] = dims
    return words


def _as_int64(ctx, index: WgpuArray) -> WgpuArray:
    if index.dtype is dt.int64:
        return index
    out = WgpuArray.empty(ctx, index.shape, dt.int64)
    return launch(ctx, cast_expr(index.dtype, dt.int64), out, [index])


def _run(ctx, name, body, out, x, dim, index, i_strides, ishape, src=None, count=0):
    check_dtype(ctx, x.dtype)
    n = out.size
    if n == 0:
        return out
    if out.ndim > 8:
        raise ValueError(f"{name} on wgpu takes at most 8 dimensions, got {out.shape}")
    s_strides = src.strides if src is not None else [0] * out.ndim
    uniform = struct.pack("<8I40I", n, out.ndim, dim, count, x.offset, index.offset,
                          src.offset if src is not None else 0, x.shape[dim],
                          *_pack(out.shape), *_pack(ishape), *_pack(x.strides),
                          *_pack(i_strides), *_pack(s_strides))
    f16 = x.dtype is dt.float16
    src_decl = (f"@group(0) @binding(3) var<storage, read> src: array<{STORE_T[x.dtype.name]}>;"
                if src is not None else "")
    source = (load_wgsl("indexing.wgsl").replace("$ENABLE", "enable f16;" if f16 else "")
              .replace("$T", STORE_T[x.dtype.name]).replace("$SRC_DECL", src_decl)
              .replace("$PARAMS", "4" if src is not None else "3")
              .replace("$LIB", load_wgsl("scalar_lib.wgsl")).replace("$BODY", body))
    bindings = [out.buffer, x.buffer, index.buffer] + ([src.buffer] if src is not None else [])
    ctx.dispatch(ctx.pipeline(name, source), bindings, grid(-(-n // 256)), uniform)
    return out


def gather(ctx, x: WgpuArray, dim: int, index: WgpuArray) -> WgpuArray:
    index = _as_int64(ctx, index)
    out = WgpuArray.empty(ctx, index.shape, x.dtype)
    return _run(ctx, "gather", _GATHER, out, x, dim, index, index.strides, index.shape)


def index_select(ctx, x: WgpuArray, dim: int, index: WgpuArray) -> WgpuArray:
    index = _as_int64(ctx, index)
    shape = list(x.shape)
    shape[dim] = index.shape[0]
    i_strides = [0] * x.ndim
    i_strides[dim] = index.strides[0]
    out = WgpuArray.empty(ctx, shape, x.dtype)
    return _run(ctx, "index_select", _GATHER, out, x, dim, index, i_strides, shape)


def _scatter(ctx, name, combine, x, dim, index, src):
    kind = KIND[x.dtype.name]
    load = "f32" if x.dtype is dt.float16 else ""
    if x.dtype.name == "float16":
        store = "f16(acc)"
    elif x.dtype.name == "uint8":
        store = "acc & 255u"
    elif x.dtype.name == "bool":
        store = "select(0u, 1u, acc != 0u)"
    else:
        store = "acc"
    body = (_SCATTER.replace("$LOAD", load).replace("$COMBINE", combine.get(kind, combine.get("*")))
            .replace("$STORE", store))
    out = WgpuArray.empty(ctx, x.shape, x.dtype)
    return _run(ctx, name, body, out, x, dim, index, index.strides, index.shape, src=src,
                count=index.shape[dim] if index.ndim else 1)


def scatter_add(ctx, x: WgpuArray, dim: int, index: WgpuArray, src: WgpuArray) -> WgpuArray:
    index = _as_int64(ctx, index)
    combine = dict(_ADD)
    if x.dtype is dt.bool_:
        combine["u"] = "acc | v"
    return _scatter(ctx, "scatter_add", combine, x, dim, index, src)


def index_put(ctx, x: WgpuArray, index: WgpuArray, values: WgpuArray, accumulate: bool):
    """x[index] = values (or +=) in place on contiguous 1-D x; with repeated indices and
    accumulate=False the last occurrence wins. Indices outside x name nothing (callers check)."""
    index = contiguous(_as_int64(ctx, index))
    if index.size == 0 or x.size == 0:
        return x
    values = contiguous(expand(values, index.shape))
    if accumulate:
        launch(ctx, "x0", x, [_scatter(ctx, "index_put", _ADD, x, 0, index, values)])
        return x
    last = launch(ctx, "0", WgpuArray.empty(ctx, x.shape, dt.int32), [])
    ctx.dispatch(ctx.pipeline("index_put claim", load_wgsl("index_put_claim.wgsl")),
                 [last.buffer, index.buffer], grid(-(-index.size // 256)),
                 struct.pack("<4I", index.size, x.size, index.offset, 0))
    source = (load_wgsl("index_put_write.wgsl")
              .replace("$ENABLE", "enable f16;" if x.dtype is dt.float16 else "")
              .replace("$T", STORE_T[x.dtype.name]))
    ctx.dispatch(ctx.pipeline(f"index_put write {x.dtype.name}", source),
                 [x.buffer, last.buffer, values.buffer], grid(-(-x.size // 256)),
                 struct.pack("<4I", x.size, x.offset, values.offset, 0))
    return x


def nonzero(ctx, x: WgpuArray) -> WgpuArray:
    """Coordinates of the non-zero elements in row-major order; reads back only their count."""
    if x.ndim > 8:
        raise ValueError(f"nonzero on wgpu takes at most 8 dimensions, got {x.shape}")
    n = x.size
    if n == 0:
        return WgpuArray.empty(ctx, (0, x.ndim), dt.int64)
    mask = WgpuArray.empty(ctx, x.shape, dt.bool_)
    launch(ctx, cast_expr(x.dtype, dt.bool_), mask, [x])
    blocks = -(-n // 256)
    counts = ctx.buffer(4 * (blocks + 1))
    params = struct.pack("<4I", n, blocks, x.ndim, 0)
    ctx.dispatch(ctx.pipeline("nonzero count", load_wgsl("nonzero_count.wgsl")),
                 [counts, mask.buffer], grid(blocks), params)
    ctx.dispatch(ctx.pipeline("nonzero scan", load_wgsl("nonzero_scan.wgsl")), [counts], (1,),
                 params)
    total = int(np.frombuffer(ctx.read(counts, 4 * blocks, 4), np.uint32)[0])
    out = WgpuArray.empty(ctx, (total, x.ndim), dt.int64)
    if total and x.ndim:
        ctx.dispatch(ctx.pipeline("nonzero emit", load_wgsl("nonzero_emit.wgsl")),
                     [out.buffer, mask.buffer, counts], grid(blocks),
                     params + struct.pack("<8I", *_pack(x.shape)))
    ctx.release(counts)
    return out
