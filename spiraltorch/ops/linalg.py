"""Matrix products with batching and broadcasting."""
from __future__ import annotations

from .. import dtypes as dt
from ..autograd import record
from ..tensor import Tensor
from .core import operands, unsupported, wrap
from .shape import broadcast_shapes, reshape, sum_to, transpose, unsqueeze


def matmul(a: Tensor, b: Tensor) -> Tensor:
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError("matmul(): arguments must be Tensors")
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{a.dtype.name} != {b.dtype.name}")
    if a.dtype is dt.bool_:
        raise unsupported("addmm_impl_cpu_", a.dtype)
    (ta, tb), _, be = operands(a, b)
    a2 = unsqueeze(ta, 0) if ta.ndim == 1 else ta
    b2 = unsqueeze(tb, -1) if tb.ndim == 1 else tb
    if a2.shape[-1] != b2.shape[-2]:
        if a.ndim <= 2 and b.ndim <= 2:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({a2.shape[-2]}x{a2.shape[-1]} and "
                f"{b2.shape[-2]}x{b2.shape[-1]})")
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{a2.shape[-1]}, {b2.shape[-2]}] but got: {list(b.shape)} (a {list(a.shape)}, "
            f"b {list(b.shape)})")
    broadcast_shapes(tuple(a2.shape[:-2]), tuple(b2.shape[:-2]))
    out = wrap(be.matmul(a2._data, b2._data), be)
    raw_shape = tuple(out.shape)
    if ta.ndim == 1:
        out = reshape(out, tuple(out.shape[:-2]) + (out.shape[-1],))
    if tb.ndim == 1:
        out = reshape(out, tuple(out.shape[:-1]))

    def rule(g):
        g2 = reshape(g, raw_shape)
        ga = sum_to(matmul(g2, transpose(b2, -1, -2)), tuple(a2.shape))
        gb = sum_to(matmul(transpose(a2, -1, -2), g2), tuple(b2.shape))
        return reshape(ga, tuple(ta.shape)), reshape(gb, tuple(tb.shape))

    return record(out, (a, b), rule, "Mm")


def mm(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mm: self must be a matrix and mat2 must be a matrix, got {a.ndim}D "
                           f"and {b.ndim}D")
    return matmul(a, b)


def bmm(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor, got {a.ndim}D and {b.ndim}D")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got "
                           f"{a.shape[0]} and {b.shape[0]}")
    return matmul(a, b)
