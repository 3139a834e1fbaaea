"""Reductions, softmax and friends, each forward beside its backward rule."""
from __future__ import annotations

import collections

from .. import dtypes as dt
from ..autograd import record
from ..tensor import Tensor
from .core import cast, check_dtype, norm_dim, norm_dims, wrap
from .elementwise import eq, exp, isinf, log, sqrt, where
from .shape import expand, reshape

minmax = collections.namedtuple("minmax", "values indices")


def _keep_shape(x: Tensor, axes) -> tuple:
    return tuple(1 if i in axes else s for i, s in enumerate(x.shape))


def _unreduce(g: Tensor, x: Tensor, axes) -> Tensor:
    """Broadcast a reduced gradient back to x's shape."""
    return expand(reshape(g, _keep_shape(x, axes)), tuple(x.shape))


def _reduce(op, x: Tensor, dim, keepdim):
    """(the reduction of x over ``dim``, the axes reduced); a 0-d x reduces to a copy."""
    axes = norm_dims(dim, x.ndim) if x.ndim else ()
    if dim is not None and x.ndim == 0:
        norm_dims(dim, 0)  # only the dims a 0-d tensor accepts
    data = x._be.reduce(op, x._data, axes, keepdim) if axes else x._be.copy(x._data)
    return wrap(data, x._be), axes


def _sum_dtype(x: Tensor, dtype):
    if dtype is not None:
        return dt.to_dtype(dtype)
    return x.dtype if x.dtype.is_floating_point else dt.int64


def sum(x: Tensor, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    x = cast(x, _sum_dtype(x, dtype))
    out, axes = _reduce("sum", x, dim, keepdim)
    return record(out, (x,), lambda g: (_unreduce(g, x, axes),), "Sum", saved=False)


def mean(x: Tensor, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    if dtype is not None:
        x = cast(x, dt.to_dtype(dtype))
    if not x.dtype.is_floating_point:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {x.dtype.name.capitalize()}")
    axes = norm_dims(dim, x.ndim) if x.ndim else ()
    n = 1
    for a in axes:
        n *= x.shape[a]
    return sum(x, dim, keepdim) / n if n else sum(x, dim, keepdim) * float("nan")


def prod(x: Tensor, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    if dim is not None and isinstance(dim, (tuple, list)):
        raise TypeError("prod(): argument 'dim' must be int, not tuple")
    x = cast(x, _sum_dtype(x, dtype))
    out, axes = _reduce("prod", x, dim, keepdim)

    def rule(g):
        zero = eq(x, 0)
        zeros = _unreduce(sum(zero, dim, True) if x.ndim else zero.long(), x, axes)
        nonzero_prod = _unreduce(prod(where(zero, 1, x), dim, True) if x.ndim else out, x, axes)
        full = _unreduce(reshape(out, _keep_shape(x, axes)), x, axes)
        local = where(eq(zeros, 0), full / x, where(eq(zeros, 1) & zero, nonzero_prod, 0.0))
        return (_unreduce(g, x, axes) * local,)

    return record(out, (x,), rule, "Prod")


def _check_nonempty(name, x: Tensor, dim):
    if x.numel() == 0:
        if dim is None:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify "
                "the reduction dim with the 'dim' argument.")
        for a in norm_dims(dim, x.ndim):
            if x.shape[a] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {a} to have non-zero size.")


def amax(x: Tensor, dim=(), keepdim=False) -> Tensor:
    return _extreme("max", x, None if dim == () else dim, keepdim)


def amin(x: Tensor, dim=(), keepdim=False) -> Tensor:
    return _extreme("min", x, None if dim == () else dim, keepdim)


def _extreme(op, x: Tensor, dim, keepdim) -> Tensor:
    _check_nonempty("a" + op, x, dim)
    out, axes = _reduce(op, x, dim, keepdim)

    def rule(g):
        hit = eq(x, _unreduce(out, x, axes))
        count = _unreduce(sum(hit, dim, True) if x.ndim else hit.long(), x, axes)
        return (where(hit, _unreduce(g, x, axes) / count, 0.0),)

    return record(out, (x,), rule, "A" + op)


def _arg_reduce(op, x: Tensor, dim, keepdim, bool_ok=False) -> Tensor:
    if x.dtype is dt.bool_ and not bool_ok:
        raise RuntimeError(f"{op}(): does not support bool input")
    if dim is None:
        if x.numel() == 0:
            raise IndexError(f"{op}(): Expected reduction dim to be specified for "
                               "input.numel() == 0.")
        flat = reshape(x, (-1,))
        out = wrap(x._be.arg_reduce(op, flat._data, 0, False), x._be)
        return reshape(out, (1,) * x.ndim) if keepdim else out
    axis = norm_dim(dim, x.ndim)
    if x.ndim == 0:
        return wrap(x._be.full((), 0, dt.int64), x._be)
    if x.shape[axis] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {axis} to have non-zero size.")
    return wrap(x._be.arg_reduce(op, x._data, axis, keepdim), x._be)


def argmax(x: Tensor, dim=None, keepdim=False) -> Tensor:
    return _arg_reduce("argmax", x, dim, keepdim)


def argmin(x: Tensor, dim=None, keepdim=False) -> Tensor:
    return _arg_reduce("argmin", x, dim, keepdim)


def _max_min(op, x: Tensor, dim=None, keepdim=False, other=None):
    from . import elementwise
    from .indexing import gather

    if isinstance(dim, Tensor):
        dim, other = None, dim
    if other is not None:
        return getattr(elementwise, "maximum" if op == "max" else "minimum")(x, other)
    if dim is None:
        return _extreme(op, x, None, False)
    _check_nonempty(op, x, dim)
    indices = _arg_reduce("arg" + op, x, dim, True, bool_ok=True)
    values = gather(x, norm_dim(dim, x.ndim), indices) if x.ndim else x.clone()
    if not keepdim and x.ndim:
        axis = norm_dim(dim, x.ndim)
        values, indices = values.squeeze(axis), indices.squeeze(axis)
    return minmax(values, indices)


def max(x: Tensor, dim=None, keepdim=False):
    return _max_min("max", x, dim, keepdim)


def min(x: Tensor, dim=None, keepdim=False):
    return _max_min("min", x, dim, keepdim)


def var(x: Tensor, dim=None, unbiased=None, keepdim=False, *, correction=None) -> Tensor:
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"std and var only support floating point and complex dtypes, got "
                           f"{x.dtype.name}")
    if x.dtype is dt.float16:  # accumulate in float32, as torch does
        return cast(var(cast(x, dt.float32), dim, unbiased, keepdim, correction=correction),
                    dt.float16)
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    axes = norm_dims(dim, x.ndim) if x.ndim else ()
    n = 1
    for a in axes:
        n *= x.shape[a]
    centered = x - mean(x, dim, True) if x.ndim else x - x
    sq = sum(centered * centered, dim, keepdim)
    return sq / float(n - correction if n > correction else 0)


def std(x: Tensor, dim=None, unbiased=None, keepdim=False, *, correction=None) -> Tensor:
    return sqrt(var(x, dim, unbiased, keepdim, correction=correction))


def _reduced_size(x: Tensor, dim) -> int:
    n = 1
    for a in (norm_dims(dim, x.ndim) if x.ndim else ()):
        n *= x.shape[a]
    return n


def logsumexp(x: Tensor, dim, keepdim=False) -> Tensor:
    if not x.dtype.is_floating_point:
        x = cast(x, dt.default_float)
    if x.ndim == 0:
        return x * 1
    if _reduced_size(x, dim) == 0:
        return log(sum(exp(x), dim, keepdim))
    m = amax(x, dim, True).detach()
    m = where(isinf(m), 0.0, m)
    out = log(sum(exp(x - m), dim, True)) + m
    if not keepdim:
        out = out.squeeze(norm_dims(dim, x.ndim))
    return out


def softmax(x: Tensor, dim, dtype=None) -> Tensor:
    x = cast(x, dt.to_dtype(dtype)) if dtype is not None else x
    check_dtype("softmax_lastdim_kernel_impl", x, "float")
    if x.ndim == 0:
        return x / x
    if x.numel() == 0:
        return x * 1
    e = exp(x - amax(x, dim, True).detach())
    return e / sum(e, dim, True)


def log_softmax(x: Tensor, dim, dtype=None) -> Tensor:
    x = cast(x, dt.to_dtype(dtype)) if dtype is not None else x
    check_dtype("log_softmax_lastdim_kernel_impl", x, "float")
    if x.ndim == 0:
        return x - x
    if x.numel() == 0:
        return x * 1
    shifted = x - amax(x, dim, True).detach()
    return shifted - log(sum(exp(shifted), dim, True))


def all(x: Tensor, dim=None, keepdim=False) -> Tensor:
    return _logical("all", x, dim, keepdim)


def any(x: Tensor, dim=None, keepdim=False) -> Tensor:
    return _logical("any", x, dim, keepdim)


def _logical(op, x: Tensor, dim, keepdim) -> Tensor:
    out, _ = _reduce(op, x, dim, keepdim)
    want = dt.uint8 if x.dtype is dt.uint8 else dt.bool_
    return out if out.dtype is want else cast(out, want)
