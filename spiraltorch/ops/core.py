"""Helpers every op family shares: wrapping arrays, dims, devices, scalars."""
from __future__ import annotations

import numbers

from .. import backends
from .. import dtypes as dt
from ..tensor import Tensor, device


def wrap(data, be, ver=None) -> Tensor:
    """A new Tensor over a backend array (sharing ``ver`` when it is a view)."""
    return Tensor(data, be, ver)


def view_of(x: Tensor, data, fn) -> Tensor:
    """A view of x over ``data``; ``fn(t)`` makes the same view of a tensor shaped like x."""
    out = Tensor(data, x._be, x._ver)
    if x._base is None:
        out._base, out._view_fn = x, fn
    else:
        inner = x._view_fn
        out._base, out._view_fn = x._base, lambda t: fn(inner(t))
    return out


def norm_dim(dim, ndim: int) -> int:
    if isinstance(dim, Tensor):
        dim = int(dim)
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    lo, hi = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if not lo <= dim <= hi:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
    return dim % ndim if ndim else 0


def norm_dims(dims, ndim: int) -> tuple:
    """A sorted tuple of distinct non-negative dims; None means every dim."""
    if dims is None:
        return tuple(range(ndim))
    if isinstance(dims, (list, tuple)):
        out = tuple(norm_dim(d, ndim) for d in dims)
    else:
        out = (norm_dim(dims, ndim),)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {out} appears multiple times in the list of dims")
    return tuple(sorted(out))


def backend_for(dev) -> backends.Backend:
    if dev is None:
        return backends.get("cpu")
    return backends.get(device(dev).type)


def same_device(*tensors: Tensor):
    """The one backend the tensors share, or torch's error naming the devices."""
    be = None
    for t in tensors:
        if be is None:
            be = t._be
        elif t._be is not be:
            raise RuntimeError(
                "Expected all tensors to be on the same device, but found at least two devices, "
                f"{be.name} and {t._be.name}!")
    return be


def is_scalar(x) -> bool:
    return isinstance(x, (numbers.Number,)) and not isinstance(x, Tensor)


def scalar_tensor(value, dtype, be) -> Tensor:
    return wrap(be.full((), value, dtype), be)


def _fast_operands(a, b):
    """The common cases of ``operands`` without the general promotion walk, or None."""
    if type(a) is not Tensor:
        return None
    da = a.dtype
    if type(b) is Tensor:
        if b._be is a._be and b.dtype is da:
            return [a, b], da, a._be
        return None
    if (type(b) is float and da.is_floating_point) or (type(b) is int and da.category == 1
                                                        and da is not dt.uint8):
        return [a, scalar_tensor(b, da, a._be)], da, a._be
    return None


def operands(*xs, dtype=None, be=None):
    """Tensors and Python scalars -> (tensors in one dtype on one device, that dtype).

    The dtype is the promoted one unless ``dtype`` is given; ``be`` places scalar-only operands."""
    if len(xs) == 2 and dtype is None:
        fast = _fast_operands(*xs)
        if fast is not None:
            return fast
    tensors = [x for x in xs if isinstance(x, Tensor)]
    for x in xs:
        if not isinstance(x, Tensor) and not is_scalar(x):
            raise TypeError(f"unsupported operand type {type(x).__name__}; expected a Tensor or a "
                            "number")
    be = same_device(*tensors) if tensors else be
    out_dtype = dtype if dtype is not None else dt.result_type(*xs)
    out = [cast(x, out_dtype) if isinstance(x, Tensor) else scalar_tensor(x, out_dtype, be)
           for x in xs]
    return out, out_dtype, be


def cast(x: Tensor, dtype) -> Tensor:
    """x in ``dtype`` (x itself when it already is), differentiable for float dtypes."""
    from ..autograd import record

    if x.dtype is dtype:
        return x
    out = wrap(x._be.cast(x._data, dtype), x._be)
    if dtype.is_floating_point:
        record(out, (x,), lambda g: (g,), "ToCopy", saved=False)
    return out


TORCH_NAMES = {"bool": "Bool", "uint8": "Byte", "int32": "Int", "int64": "Long",
               "float16": "Half", "float32": "Float", "float64": "Double"}


def unsupported(op: str, dtype):
    """torch's error for an op that has no kernel for ``dtype``."""
    return NotImplementedError(f'"{op}" not implemented for \'{TORCH_NAMES[dtype.name]}\'')


def check_dtype(op: str, x: Tensor, allowed: str):
    """Raise torch's error for an op on a dtype category it does not take.

    ``allowed``: "float" (floating only), "number" (no bool)."""
    d = x.dtype
    if (allowed == "float" and not d.is_floating_point) or (allowed == "number" and d is dt.bool_):
        raise unsupported(op, d)
