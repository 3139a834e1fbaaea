"""Reductions (sum prod max min any all) and arg-reductions from ``reduce.wgsl``."""
from __future__ import annotations

import functools
import math
import struct

from ... import dtypes as dt
from .array import WgpuArray
from .device import grid, load_wgsl
from .elementwise import KIND, STORE_T, check_dtype, collapse

_ACC_T = {"f": "f32", "i": "i32", "u": "u32", "l": "vec2<u32>"}
# op -> kind -> (identity, combine(a, b))
_OPS = {
    "sum": {"f": ("0.0", "a + b"), "i": ("0", "a + b"), "u": ("0u", "a + b"),
            "l": ("vec2<u32>(0u, 0u)", "l_add(a, b)")},
    "prod": {"f": ("1.0", "a * b"), "i": ("1", "a * b"), "u": ("1u", "a * b"),
             "l": ("vec2<u32>(1u, 0u)", "l_mul(a, b)")},
    "max": {"f": ("-st_inf()", "st_maximum(a, b)"), "i": ("-2147483647 - 1", "max(a, b)"),
            "u": ("0u", "max(a, b)"), "l": ("vec2<u32>(0u, 0x80000000u)", "l_max(a, b)")},
    "min": {"f": ("st_inf()", "st_minimum(a, b)"), "i": ("2147483647", "min(a, b)"),
            "u": ("0xffffffffu", "min(a, b)"), "l": ("vec2<u32>(0xffffffffu, 0x7fffffffu)",
                                                      "l_min(a, b)")},
}
_TRUTH = {"f": "!(f32(v) == 0.0)", "i": "v != 0", "u": "v != 0u", "l": "l_nz(v)"}
# arg-reductions carry vec4(key hi, key lo, index, 0); a larger key wins, ties take the lower index
_ARG_COMBINE = ("select(b, a, a.x > b.x || (a.x == b.x && (a.y > b.y || (a.y == b.y && "
                "a.z < b.z))))")
_ARG_KEY = {"f": "vec2<u32>(st_fkey(f32(v)), 0u)", "i": "vec2<u32>(bitcast<u32>(v) ^ 0x80000000u, 0u)",
            "u": "vec2<u32>(v, 0u)", "l": "vec2<u32>(v.y ^ 0x80000000u, v.x)"}
_PER_THREAD_MAX = 32  # reductions this short run one per invocation
_SPLIT_MIN = 1 << 16  # longer reductions with few outputs are split into parts


def _store(out_dtype) -> str:
    """WGSL storing the accumulator ``acc`` as an element of out_dtype."""
    name = out_dtype.name
    if name == "float16":
        return "f16(acc)"
    if name == "uint8":
        return "acc & 255u"
    if name == "bool":
        return "select(0u, 1u, acc != 0u)"
    return "acc"


@functools.lru_cache(maxsize=None)
def _source(in_dtype, out_dtype, acc_t, identity, combine, mapping, store) -> str:
    enable = "enable f16;" if dt.float16 in (in_dtype, out_dtype) else ""
    return (load_wgsl("reduce.wgsl").replace("$ENABLE", enable)
            .replace("$OUT_T", STORE_T[out_dtype.name]).replace("$IN_T", STORE_T[in_dtype.name])
            .replace("$LIB", load_wgsl("scalar_lib.wgsl")).replace("$ACC_T", acc_t)
            .replace("$IDENTITY", identity).replace("$COMBINE", combine)
            .replace("$MAP", mapping).replace("$STORE", store))


def _pack(dims):
    words = [0] * 8
    words[:len(dims)] = dims
    return words


def _launch(ctx, name, source, out, x, kept, red, parts):
    """out has n_kept * parts elements; kept/red are (shape, strides) of x's two index spaces."""
    (kshape, kstride), (rshape, rstride) = kept, red
    if len(kshape) > 8 or len(rshape) > 8:
        raise ValueError(f"reductions take at most 8 non-mergeable dimensions, got {x.shape}")
    inner = math.prod(rshape)
    n_out = math.prod(kshape) * parts
    chunk = -(-inner // parts) if parts > 1 else max(inner, 1)
    uniform = struct.pack("<8I32I", n_out, inner, parts, chunk, len(kshape), len(rshape),
                          x.offset, 0, *_pack(kshape), *_pack(kstride), *_pack(rshape),
                          *_pack(rstride))
    per_thread = chunk <= _PER_THREAD_MAX
    pipe = ctx.pipeline(name, source, {"PER_THREAD": 1 if per_thread else 0})
    groups = -(-n_out // 256) if per_thread else n_out
    ctx.dispatch(pipe, [out.buffer, x.buffer], grid(groups), uniform)


def _split_axes(x, axes):
    axes = sorted({a % x.ndim for a in axes}) if x.ndim else []
    keep = [d for d in range(x.ndim) if d not in axes]
    kept = collapse([x.shape[d] for d in keep], [[x.strides[d] for d in keep]])
    red = collapse([x.shape[d] for d in axes], [[x.strides[d] for d in axes]])
    return axes, (kept[0], kept[1][0]), (red[0], red[1][0])


def _out_shape(x, axes, keepdim):
    if keepdim:
        return tuple(1 if d in axes else n for d, n in enumerate(x.shape))
    return tuple(n for d, n in enumerate(x.shape) if d not in axes)


def reduce(ctx, op, x: WgpuArray, axes, keepdim) -> WgpuArray:
    check_dtype(ctx, x.dtype)
    axes, kept, red = _split_axes(x, axes)
    kind = KIND[x.dtype.name]
    out_dtype = dt.bool_ if op in ("any", "all") else x.dtype
    out = WgpuArray.empty(ctx, _out_shape(x, axes, keepdim), out_dtype)
    n_kept, inner = math.prod(kept[0]), math.prod(red[0])
    if n_kept == 0:
        return out
    if op in ("any", "all"):
        acc_kind, mapping = "u", f"select(0u, 1u, {_TRUTH[kind]})"
        identity, combine = ("0u", "a | b") if op == "any" else ("1u", "a & b")
    else:
        acc_kind = kind
        identity, combine = _OPS[op][kind]
        mapping = "f32(v)" if x.dtype is dt.float16 else "v"
    acc_t = _ACC_T[acc_kind]
    parts = 1
    if n_kept < 512 and inner >= _SPLIT_MIN:
        parts = min(-(-inner // 4096), max(1, 4096 // n_kept))
    if parts > 1:
        part_dtype = dt.float32 if x.dtype is dt.float16 else out_dtype
        partial = WgpuArray.empty(ctx, (n_kept, parts), part_dtype)
        src = _source(x.dtype, part_dtype, acc_t, identity, combine, mapping,
                      _store(part_dtype))
        _launch(ctx, f"reduce {op} (parts)", src, partial, x, kept, red, parts)
        x, kept, red = partial, ((n_kept,), (parts,)), ((parts,), (1,))
        mapping = "v"
    src = _source(x.dtype, out_dtype, acc_t, identity, combine, mapping, _store(out_dtype))
    _launch(ctx, f"reduce {op}", src, out, x, kept, red, 1)
    return out


def arg_reduce(ctx, op, x: WgpuArray, axis, keepdim) -> WgpuArray:
    check_dtype(ctx, x.dtype)
    axes, kept, red = _split_axes(x, (axis,))
    out = WgpuArray.empty(ctx, _out_shape(x, axes, keepdim), dt.int64)
    if out.size == 0:
        return out
    key = _ARG_KEY[KIND[x.dtype.name]]
    if op == "argmin":
        nan_first = "st_isnan(f32(v))" if KIND[x.dtype.name] == "f" else "false"
        key = f"select(~{key}, vec2<u32>(0xffffffffu, 0u), {nan_first})"
    mapping = f"vec4<u32>({key}, j, 0u)"
    src = _source(x.dtype, dt.int64, "vec4<u32>", "vec4<u32>(0u, 0u, 0xffffffffu, 0u)",
                  _ARG_COMBINE, mapping, "vec2<u32>(acc.z, 0u)")
    _launch(ctx, f"{op}", src, out, x, kept, red, 1)
    return out
