"""TopK and sort: arguments checked here, kernels chosen by the heuristics layer."""
from __future__ import annotations

import collections

from .. import dtypes as dt
from ..autograd import record
from ..tensor import Tensor
from .core import norm_dim, wrap
from .indexing import _zeros, scatter_add
from .shape import movedim, reshape

topk_result = collections.namedtuple("topk", "values indices")
sort_result = collections.namedtuple("sort", "values indices")


def _to_rows(x: Tensor, dim: int) -> tuple:
    """x with ``dim`` moved last and the other dims flattened: (rows, cols) view or copy."""
    moved = movedim(x, dim, -1) if x.ndim > 1 else x
    lead = tuple(moved.shape[:-1])
    cols = moved.shape[-1]
    rows = 1
    for s in lead:
        rows *= s
    return reshape(moved.detach(), (rows, cols)), lead


def _from_rows(values: Tensor, lead, dim: int, ndim: int) -> Tensor:
    out = reshape(values, lead + (values.shape[-1],))
    return movedim(out, -1, dim) if ndim > 1 else out


def topk(x: Tensor, k, dim=-1, largest=True, sorted=True):
    from .. import heuristics

    if not isinstance(x, Tensor):
        raise TypeError(f"topk(): argument 'input' must be Tensor, not {type(x).__name__}")
    if x.dtype is dt.bool_:
        raise RuntimeError("topk does not support bool dtypes")
    dim = norm_dim(dim, x.ndim)
    n = x.shape[dim] if x.ndim else 1
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"topk(): argument 'k' must be int, not {type(k).__name__}")
    if not 0 <= k <= n:
        raise RuntimeError(f"selected index k out of range: k={k} but dimension {dim} of the "
                           f"input of shape {list(x.shape)} has size {n}")
    if x.ndim == 0:  # one row of one element; torch gives 0-d results for k = 1
        values, indices = topk(reshape(x, (1,)), k, 0, largest, sorted)
        return topk_result(reshape(values, ()), reshape(indices, ())) if k else (
            topk_result(values, indices))
    rows2d, lead = _to_rows(x, dim)
    rows, cols = rows2d.shape
    choice = heuristics.choose("topk", rows, cols, k, device=x._be.name, dtype=x.dtype)
    v, i = x._be.topk(rows2d._data, k, bool(largest), bool(sorted), choice)
    values = _from_rows(wrap(v, x._be), lead, dim, x.ndim)
    indices = _from_rows(wrap(i, x._be), lead, dim, x.ndim)
    shape = tuple(x.shape)
    record(values, (x,), lambda g: (scatter_add(_zeros(shape, g.dtype, g._be), dim, indices, g),),
           "Topk")
    return topk_result(values, indices)


def sort(x: Tensor, dim=-1, descending=False, stable=False):
    if x.dtype is dt.bool_:
        x_sort = x.to(dt.uint8)
    else:
        x_sort = x
    dim = norm_dim(dim, x.ndim)
    if x.ndim == 0:
        return sort_result(x * 1 if x.dtype is not dt.bool_ else x.clone(),
                           wrap(x._be.full((), 0, dt.int64), x._be))
    rows2d, lead = _to_rows(x_sort, dim)
    v, i = x._be.sort(rows2d._data, 1, bool(descending), True)
    indices = _from_rows(wrap(i, x._be), lead, dim, x.ndim)
    values = _from_rows(wrap(v, x._be), lead, dim, x.ndim)
    if x.dtype is dt.bool_:
        values = values.to(dt.bool_)
    shape = tuple(x.shape)
    record(values, (x,), lambda g: (scatter_add(_zeros(shape, g.dtype, g._be), dim, indices, g),),
           "Sort")
    return sort_result(values, indices)


def argsort(x: Tensor, dim=-1, descending=False, stable=False) -> Tensor:
    return sort(x, dim, descending, stable).indices


top_k = topk
