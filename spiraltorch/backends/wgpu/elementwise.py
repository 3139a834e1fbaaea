"""Element-wise kernels generated from ``elementwise.wgsl``: unary, binary, where, cast and copy.

An op is a WGSL expression over ``x0, x1, x2`` in the compute type of the operands' kind:
``f`` (float32/float16, computed in f32), ``i`` (int32), ``u`` (bool and uint8, one u32 each) and
``l`` (int64 as ``vec2<u32>``). Its result is either a value of that kind (``c``) or a WGSL bool
(``b``). Pipelines are cached by the generated source, so each (op, dtypes) compiles once; the
rank, shape and strides travel in the uniform block.
"""
from __future__ import annotations

import itertools
import math
import struct

from ... import dtypes as dt
from .array import WgpuArray
from .device import grid, load_wgsl

MAX_RANK = 8

KIND = {"float32": "f", "float16": "f", "int32": "i", "bool": "u", "uint8": "u", "int64": "l"}
STORE_T = {"float32": "f32", "float16": "f16", "int32": "i32", "bool": "u32", "uint8": "u32",
           "int64": "vec2<u32>"}

FLOAT_ONLY = ("exp", "log", "log1p", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid")
_F_UNARY = {"exp": "exp(x0)", "log": "st_log(x0)", "log1p": "st_log1p(x0)", "sqrt": "st_sqrt(x0)",
            "rsqrt": "st_rsqrt(x0)", "sin": "sin(x0)", "cos": "cos(x0)", "tanh": "st_tanh(x0)",
            "sigmoid": "st_sigmoid(x0)"}

# op -> kind -> (expression, form); a missing kind means the op is not defined for that dtype.
UNARY = {
    "neg": {"f": "-x0", "i": "-x0", "u8": "0u - x0", "l": "l_neg(x0)"},
    "abs": {"f": "abs(x0)", "i": "abs(x0)", "u": "x0", "l": "l_abs(x0)"},
    "relu": {"f": "st_relu(x0)", "i": "max(x0, 0)", "u": "x0",
             "l": "select(x0, vec2<u32>(0u, 0u), l_isneg(x0))"},
    "sign": {"f": "st_sign(x0)", "i": "sign(x0)", "u": "min(x0, 1u)", "l": "l_sign(x0)"},
    "floor": {"f": "floor(x0)", "i": "x0", "u": "x0", "l": "x0"},
    "ceil": {"f": "ceil(x0)", "i": "x0", "u": "x0", "l": "x0"},
    "round": {"f": "round(x0)", "i": "x0", "u": "x0", "l": "x0"},
    "isnan": {"f": "?st_isnan(x0)", "i": "?x0 != x0", "u": "?x0 != x0", "l": "?any(x0 != x0)"},
    "isinf": {"f": "?st_isinf(x0)", "i": "?x0 != x0", "u": "?x0 != x0", "l": "?any(x0 != x0)"},
    "isfinite": {"f": "?st_isfinite(x0)", "i": "?x0 == x0", "u": "?x0 == x0",
                 "l": "?all(x0 == x0)"},
    "logical_not": {"f": "?x0 == 0.0", "i": "?x0 == 0", "u": "?x0 == 0u", "l": "?!l_nz(x0)"},
    "bitwise_not": {"i": "~x0", "u8": "~x0", "b": "x0 ^ 1u", "l": "~x0"},
}
UNARY.update({op: {"f": e} for op, e in _F_UNARY.items()})

_TRUTH = {"f": "!({} == 0.0)", "i": "{} != 0", "u": "{} != 0u", "l": "l_nz({})"}


def _logical(join: str) -> dict:
    return {k: "?(" + t.format("x0") + f") {join} (" + t.format("x1") + ")"
            for k, t in _TRUTH.items()}


BINARY = {
    "add": {"f": "x0 + x1", "i": "x0 + x1", "u8": "x0 + x1", "b": "x0 | x1", "l": "l_add(x0, x1)"},
    "sub": {"f": "x0 - x1", "i": "x0 - x1", "u8": "x0 - x1", "l": "l_sub(x0, x1)"},
    "mul": {"f": "x0 * x1", "i": "x0 * x1", "u8": "x0 * x1", "b": "x0 & x1", "l": "l_mul(x0, x1)"},
    "div": {"f": "x0 / x1"},
    "pow": {"f": "st_powf(x0, x1)", "i": "st_pow_i(x0, x1)", "u8": "st_pow_u(x0, x1)",
            "l": "l_pow(x0, x1)"},
    "maximum": {"f": "st_maximum(x0, x1)", "i": "max(x0, x1)", "u": "max(x0, x1)",
                "l": "l_max(x0, x1)"},
    "minimum": {"f": "st_minimum(x0, x1)", "i": "min(x0, x1)", "u": "min(x0, x1)",
                "l": "l_min(x0, x1)"},
    "fmod": {"f": "st_fmod(x0, x1)", "i": "st_fmod_i(x0, x1)",
             "u8": "select(0u, x0 % x1, x1 != 0u)", "l": "l_fmod(x0, x1)"},
    "remainder": {"f": "st_remainder(x0, x1)", "i": "st_remainder_i(x0, x1)",
                  "u8": "select(0u, x0 % x1, x1 != 0u)", "l": "l_remainder(x0, x1)"},
    "floor_divide": {"f": "st_floor_divide(x0, x1)", "i": "st_floor_divide_i(x0, x1)",
                     "u8": "select(0u, x0 / x1, x1 != 0u)", "l": "l_floor_divide(x0, x1)"},
    "eq": {"f": "?x0 == x1", "i": "?x0 == x1", "u": "?x0 == x1", "l": "?l_eq(x0, x1)"},
    "ne": {"f": "?!(x0 == x1)", "i": "?x0 != x1", "u": "?x0 != x1", "l": "?!l_eq(x0, x1)"},
    "lt": {"f": "?x0 < x1", "i": "?x0 < x1", "u": "?x0 < x1", "l": "?l_lt(x0, x1)"},
    "le": {"f": "?x0 <= x1", "i": "?x0 <= x1", "u": "?x0 <= x1", "l": "?!l_lt(x1, x0)"},
    "gt": {"f": "?x0 > x1", "i": "?x0 > x1", "u": "?x0 > x1", "l": "?l_lt(x1, x0)"},
    "ge": {"f": "?x0 >= x1", "i": "?x0 >= x1", "u": "?x0 >= x1", "l": "?!l_lt(x0, x1)"},
    "logical_and": _logical("&&"),
    "logical_or": _logical("||"),
    "logical_xor": _logical("!="),
    "bitwise_and": {"i": "x0 & x1", "u": "x0 & x1", "l": "x0 & x1"},
    "bitwise_or": {"i": "x0 | x1", "u": "x0 | x1", "l": "x0 | x1"},
    "bitwise_xor": {"i": "x0 ^ x1", "u": "x0 ^ x1", "l": "x0 ^ x1"},
}

# (source kind, destination dtype name) -> expression
_CAST_TO = {
    "float32": {"f": "x0", "i": "f32(x0)", "u": "f32(x0)", "l": "l_to_f32(x0)"},
    "int32": {"f": "i32(x0)", "i": "x0", "u": "i32(x0)", "l": "bitcast<i32>(x0.x)"},
    "uint8": {"f": "bitcast<u32>(i32(x0))", "i": "bitcast<u32>(x0)", "u": "x0", "l": "x0.x"},
    "bool": {"f": "?!(x0 == 0.0)", "i": "?x0 != 0", "u": "?x0 != 0u", "l": "?l_nz(x0)"},
    "int64": {"f": "l_from_f32(x0)", "i": "l_from_i32(x0)", "u": "vec2<u32>(x0, 0u)", "l": "x0"},
}
_CAST_TO["float16"] = _CAST_TO["float32"]


def _variant(dtype) -> tuple:
    """Lookup keys for an op table, most specific first."""
    kind = KIND[dtype.name]
    if dtype.name == "uint8":
        return ("u8", "u")
    if dtype.name == "bool":
        return ("b", "u")
    return (kind,)


def op_expr(table: dict, op: str, dtype) -> str | None:
    entry = table[op]
    for key in _variant(dtype):
        if key in entry:
            return entry[key]
    return None


def cast_expr(src, dst) -> str:
    return _CAST_TO[dst.name][KIND[src.name]]


def _store(expr: str, out_dtype) -> str:
    if expr.startswith("?"):
        body = expr[1:]
        if out_dtype.name in ("bool", "uint8"):
            return f"select(0u, 1u, {body})"
        raise AssertionError(f"boolean expression stored as {out_dtype.name}")
    name = out_dtype.name
    if name == "float16":
        return f"f16({expr})"
    if name == "uint8":
        return f"({expr}) & 255u"
    if name == "bool":
        return f"select(0u, 1u, ({expr}) != 0u)"
    return expr


_SOURCES: dict = {}


def _source(expr: str, in_dtypes: tuple, out_dtype) -> str:
    key = (expr, tuple(d.name for d in in_dtypes), out_dtype.name)
    src = _SOURCES.get(key)
    if src is not None:
        return src
    decls, loads = [], []
    for k, d in enumerate(in_dtypes):
        decls.append(f"@group(0) @binding({k + 1}) var<storage, read> in{k}: "
                     f"array<{STORE_T[d.name]}>;")
        load = f"in{k}[o.{'xyz'[k]}]"
        loads.append(f"    let x{k} = {'f32(' + load + ')' if d.name == 'float16' else load};")
    names = {d.name for d in in_dtypes} | {out_dtype.name}
    src = (load_wgsl("elementwise.wgsl")
           .replace("$ENABLE", "enable f16;" if "float16" in names else "")
           .replace("$OUT_T", STORE_T[out_dtype.name])
           .replace("$DECLS", "\n".join(decls))
           .replace("$PARAMS", str(len(in_dtypes) + 1))
           .replace("$LIB", load_wgsl("scalar_lib.wgsl"))
           .replace("$LOADS", "\n".join(loads))
           .replace("$STORE", _store(expr, out_dtype)))
    _SOURCES[key] = src
    return src


def collapse(shape, stride_sets):
    """Drop size-1 axes and merge axes that are adjacent in every array; returns (shape, strides)."""
    dims = [(n, [s[d] for s in stride_sets]) for d, n in enumerate(shape) if n != 1]
    merged: list = []
    for n, ss in dims:
        if merged:
            pn, ps = merged[-1]
            if all(p == s * n for p, s in zip(ps, ss)):
                merged[-1] = (pn * n, ss)
                continue
        merged.append((n, ss))
    new_shape = tuple(n for n, _ in merged)
    new_strides = [tuple(ss[k] for _, ss in merged) for k in range(len(stride_sets))]
    return new_shape, new_strides


def _contig(shape) -> tuple:
    out, acc = [], 1
    for n in reversed(shape):
        out.append(acc)
        acc *= n
    return tuple(reversed(out))


def check_dtype(ctx, dtype) -> None:
    if dtype.name not in ctx.caps.dtypes:
        hint = ("float16 needs an adapter with the shader-f16 feature; use float32"
                if dtype is dt.float16 else "use float32 (or keep the tensor on the cpu device)")
        raise TypeError(f"the wgpu device on {ctx.label} does not support dtype {dtype.name}; "
                        f"{hint}")


def _uniform(n, shape, strides, offs, flags) -> bytes:
    stride_words = [0] * 32
    for k, st in enumerate(strides[:-1]):
        stride_words[8 * k: 8 * k + len(st)] = st
    stride_words[24: 24 + len(strides[-1])] = strides[-1]
    return struct.pack("<4I8I4I32I", n, len(shape), flags, 0,
                       *(list(shape) + [1] * (8 - len(shape))), *offs, *stride_words)


def _block_shape(ctx, arrays, shape, strides) -> list:
    """Block sizes per axis such that a block of every operand fits one storage binding."""
    align = ctx.limits.get("min-storage-buffer-offset-alignment", 256)
    room = [max(1, (ctx.binding_limit - align) // a.itemsize) for a in arrays]
    block = list(shape)
    while True:
        spans = [1 + sum((b - 1) * s for b, s in zip(block, st)) for st in strides]
        worst = next((k for k, span in enumerate(spans) if span > room[k]), None)
        if worst is None:
            return block
        d = max(range(len(block)), key=lambda d: (block[d] - 1) * strides[worst][d])
        block[d] = (block[d] + 1) // 2


def _flags(shape, strides, n_inputs) -> int:
    contig = _contig(shape)
    flags = 8 if strides[-1] == contig else 0
    for k in range(3):
        if k >= n_inputs or strides[k] == contig:
            flags |= 1 << k
    return flags


def _dispatch_blocks(ctx, pipe, arrays, shape, strides):
    """One dispatch per block of the index space, each operand bound as a window of its buffer."""
    align = ctx.limits.get("min-storage-buffer-offset-alignment", 256)
    block = _block_shape(ctx, arrays, shape, strides)
    pad = [0] * (4 - len(arrays))
    for origin in itertools.product(*(range(0, n, b) for n, b in zip(shape, block))):
        sub = tuple(min(b, n - o) for o, b, n in zip(origin, block, shape))
        bindings, offs = [], []
        for a, st in zip(arrays, strides):
            start = (a.offset + sum(o * s for o, s in zip(origin, st))) * a.itemsize
            base = start - start % align
            span = 1 + sum((b - 1) * s for b, s in zip(sub, st))
            size = span * a.itemsize + start - base
            bindings.append((a.buffer, base, min(size + (-size % 4), a.buffer.size - base)))
            offs.append((start - base) // a.itemsize)
        count = math.prod(sub)
        ctx.dispatch(pipe, [bindings[-1]] + bindings[:-1], grid(-(-count // 256)),
                     _uniform(count, sub, strides, offs[:-1] + pad + offs[-1:],
                              _flags(sub, strides, len(arrays) - 1)))


def launch(ctx, expr: str, out: WgpuArray, inputs: list) -> WgpuArray:
    """Evaluate ``expr`` for every element of ``out``; inputs are broadcast views of out's shape.

    When a buffer exceeds the storage-binding limit, the index space is cut into blocks whose
    operands each fit one binding, one dispatch per block."""
    for a in (*inputs, out):
        check_dtype(ctx, a.dtype)
    n = math.prod(out.shape)
    if n == 0:
        return out
    shape, strides = collapse(out.shape, [a.strides for a in inputs] + [out.strides])
    if not shape:
        shape, strides = (1,), [(0,)] * len(strides)
    if len(shape) > MAX_RANK:
        raise ValueError(f"element-wise kernels take at most {MAX_RANK} non-mergeable dimensions, "
                         f"got shape {out.shape}")
    source = _source(expr, tuple(a.dtype for a in inputs), out.dtype)
    pipe = ctx.pipeline(f"elementwise `{expr}`", source)
    arrays = [*inputs, out]
    if all(a.buffer.size <= ctx.binding_limit for a in arrays):
        offs = [a.offset for a in inputs] + [0] * (3 - len(inputs)) + [out.offset]
        ctx.dispatch(pipe, [out.buffer] + [a.buffer for a in inputs], grid(-(-n // 256)),
                     _uniform(n, shape, strides, offs, _flags(shape, strides, len(inputs))))
    else:
        _dispatch_blocks(ctx, pipe, arrays, shape, strides)
    return out
