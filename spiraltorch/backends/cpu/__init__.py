"""The cpu device: NumPy arrays, with compiled (numba) kernels where NumPy is not enough."""
from __future__ import annotations

import os

import numpy as np

from ... import dtypes as dt
from ..base import Backend, DeviceCaps

_UNARY = {
    "neg": np.negative, "abs": np.abs, "exp": np.exp, "log": np.log, "log1p": np.log1p,
    "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos, "tanh": np.tanh,
    "floor": np.floor, "ceil": np.ceil, "round": np.round, "isnan": np.isnan, "isinf": np.isinf,
    "isfinite": np.isfinite, "logical_not": np.logical_not, "bitwise_not": np.invert,
    "rsqrt": lambda x: np.reciprocal(np.sqrt(x)),
    "relu": lambda x: np.where(x > 0, x, np.zeros((), x.dtype)) if x.dtype.kind != "f"
    else np.where(np.isnan(x) | (x > 0), x, np.zeros((), x.dtype)),
    "sign": lambda x: np.sign(np.nan_to_num(x, nan=0.0)) if x.dtype.kind == "f" else np.sign(x),
    "sigmoid": lambda x: np.exp(-np.logaddexp(0, -x)).astype(x.dtype),
}
_BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide,
    "pow": np.power, "maximum": np.maximum, "minimum": np.minimum, "fmod": np.fmod,
    "remainder": np.remainder, "floor_divide": np.floor_divide,
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
    "ge": np.greater_equal, "logical_and": np.logical_and, "logical_or": np.logical_or,
    "logical_xor": np.logical_xor, "bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or,
    "bitwise_xor": np.bitwise_xor,
}
_REDUCE = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min, "any": np.any,
           "all": np.all}


def _int_pow(a, b):
    """Integer powers as torch computes them: a negative exponent gives 0 unless |a| == 1."""
    out = np.power(a, np.maximum(b, 0).astype(b.dtype))
    if b.dtype.kind == "i" and np.any(b < 0):
        odd = (b % 2).astype(bool)
        tiny = np.where(a == 1, 1, np.where(a == -1, np.where(odd, -1, 1), 0)).astype(out.dtype)
        out = np.where(b < 0, tiny, out)
    return np.asarray(out)


def _threads() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


class CpuBackend(Backend):
    name = "cpu"
    choice_fields = {"alg": (0, 1)}

    def __init__(self):
        self._caps = DeviceCaps(device="cpu", dtypes=tuple(d.name for d in dt.ALL),
                                threads=_threads(), name="cpu", api="numpy+numba")

    @property
    def caps(self):
        return self._caps

    # -- allocation and transfer ------------------------------------------------------------
    def from_numpy(self, a):
        return a

    def to_numpy(self, x):
        return x

    def shape(self, x):
        return x.shape

    def strides(self, x):
        return tuple(s // x.itemsize for s in x.strides)

    def dtype(self, x):
        return dt.from_numpy_dtype(x.dtype)

    def full(self, shape, value, dtype):
        with np.errstate(all="ignore"):  # out-of-range values wrap, as in torch
            fill = np.asarray(value).astype(dtype.np)
        return fill if shape == () else np.full(shape, fill, dtype=dtype.np)

    def arange(self, start, stop, step, dtype):
        return np.arange(start, stop, step, dtype=np.float64).astype(dtype.np)

    def random(self, kind, shape, dtype, seed, low=0, high=1):
        rng = np.random.Generator(np.random.Philox(seed))
        if kind == "integers":
            return rng.integers(low, high, size=shape, dtype=np.int64).astype(dtype.np)
        work = np.float64 if dtype is dt.float64 else np.float32
        if kind == "uniform":
            out = rng.random(shape, dtype=work) * (high - low) + low
        else:
            out = rng.standard_normal(shape, dtype=work) * high + low
        return out.astype(dtype.np, copy=False)

    # -- movement ---------------------------------------------------------------------------
    def reshape(self, x, shape):
        return np.reshape(x, shape)

    def permute(self, x, dims):
        return np.transpose(x, dims)

    def expand(self, x, shape):
        return np.broadcast_to(x, shape)

    def slice(self, x, slices):
        return x[tuple(slice(a, b, c) for a, b, c in slices)]

    def contiguous(self, x):
        return np.ascontiguousarray(x)

    def copy(self, x):
        return np.array(x, copy=True, order="C")

    def is_contiguous(self, x):
        return bool(x.flags.c_contiguous)

    def assign(self, dst, src):
        if not dst.flags.writeable:
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor refers to "
                "a single memory location. Please clone() the tensor before performing the "
                "operation.")
        np.copyto(dst, src, casting="unsafe")

    # -- compute ----------------------------------------------------------------------------
    def cast(self, x, dtype):
        return x.astype(dtype.np)

    def unary(self, op, x):
        with np.errstate(all="ignore"):
            out = _UNARY[op](x)
        return np.asarray(out)

    def binary(self, op, a, b):
        with np.errstate(all="ignore"):
            if op == "pow" and a.dtype.kind in "iu":
                return _int_pow(a, b)
            if op in ("floor_divide", "remainder", "fmod") and a.dtype.kind in "iu" \
                    and not np.all(b):
                raise RuntimeError("ZeroDivisionError")
            out = _BINARY[op](a, b)
        return np.asarray(out)

    def where(self, cond, a, b):
        return np.where(cond.astype(bool, copy=False), a, b)

    def reduce(self, op, x, axes, keepdim):
        fn = _REDUCE[op]
        with np.errstate(all="ignore"):
            if op in ("sum", "prod") and x.dtype == np.float16:
                return fn(x, axis=axes, keepdims=keepdim, dtype=np.float32).astype(np.float16)
            if op in ("sum", "prod"):
                return np.asarray(fn(x, axis=axes, keepdims=keepdim, dtype=x.dtype))
            return np.asarray(fn(x, axis=axes, keepdims=keepdim))

    def arg_reduce(self, op, x, axis, keepdim):
        fn = np.argmax if op == "argmax" else np.argmin
        if x.dtype.kind == "f":
            # NaN wins both ways, at its first position.
            nan = np.isnan(x)
            idx = fn(x, axis=axis, keepdims=keepdim)
            has_nan = nan.any(axis=axis, keepdims=keepdim)
            if has_nan.any():
                idx = np.where(has_nan, np.argmax(nan, axis=axis, keepdims=keepdim), idx)
            return np.asarray(idx, dtype=np.int64)
        if x.dtype == np.bool_:
            x = x.view(np.uint8)
        return np.asarray(fn(x, axis=axis, keepdims=keepdim), dtype=np.int64)

    def matmul(self, a, b):
        if a.dtype == np.float16:
            return np.matmul(a.astype(np.float32), b.astype(np.float32)).astype(np.float16)
        return np.matmul(a, b)

    def gather(self, x, dim, index):
        window = tuple(slice(None) if d == dim else slice(0, n) for d, n in enumerate(index.shape))
        return np.take_along_axis(x[window], index, axis=dim)

    def scatter_add(self, x, dim, index, src):
        out = np.array(x, copy=True)
        coords = list(np.indices(index.shape, sparse=True))
        coords[dim] = index
        window = tuple(slice(0, n) for n in index.shape)
        np.add.at(out, tuple(coords), src[window])
        return out

    def index_select(self, x, dim, index):
        return np.take(x, index, axis=dim)

    def index_put(self, x, index, values, accumulate):
        if accumulate:
            np.add.at(x, index, values)
        else:
            x[index] = values

    def nonzero(self, x):
        return np.argwhere(x).astype(np.int64, copy=False)

    def cat(self, xs, dim):
        return np.concatenate(xs, axis=dim)

    def topk(self, x, k, largest, sorted, choice):
        from .topk import topk
        return topk(x, k, largest, sorted, choice)

    def sort(self, x, dim, descending, stable):
        from .topk import sort
        return sort(x, dim, descending, stable)


def create() -> CpuBackend:
    return CpuBackend()
