"""Indexing: ``x[key]``, ``x[key] = v``, gather/scatter, index_select, nonzero."""
from __future__ import annotations

import numbers

from .. import dtypes as dt
from ..autograd import is_grad_enabled, record
from ..tensor import Tensor
from .core import cast, norm_dim, same_device, scalar_tensor, wrap
from .shape import alias, broadcast_shapes, expand, permute, reshape, slice_dims


def _zeros(shape, dtype, be) -> Tensor:
    return wrap(be.full(tuple(shape), 0, dtype), be)


def _check_index(index: Tensor, name: str):
    if index.dtype is not dt.int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index, got {index.dtype.name}")


def _bounds(index: Tensor, size: int, dim: int, error=RuntimeError) -> Tensor:
    """Wrap negative indices; ``error`` naming an index out of range."""
    be = index._be
    if index.numel() == 0:
        return index
    lo = be.reduce("min", index._data, tuple(range(index.ndim)), False)
    hi = be.reduce("max", index._data, tuple(range(index.ndim)), False)
    lo, hi = int(be.to_numpy(lo)), int(be.to_numpy(hi))
    if lo < -size or hi >= size:
        bad = hi if hi >= size else lo
        raise error(f"index {bad} is out of bounds for dimension {dim} with size {size}")
    if lo < 0:
        from .elementwise import lt, where
        return where(lt(index, 0), index + size, index)
    return index


def gather(x: Tensor, dim, index: Tensor, *, sparse_grad=False) -> Tensor:
    same_device(x, index)
    _check_index(index, "gather")
    dim = norm_dim(dim, x.ndim)
    if index.ndim != x.ndim and not (x.ndim == 0 and index.ndim <= 1):
        raise RuntimeError(f"Index tensor must have the same number of dimensions as input tensor "
                           f"(index {index.ndim}D, input {x.ndim}D)")
    for d in range(index.ndim):
        if d != dim and index.shape[d] > x.shape[d]:
            raise RuntimeError(f"Size does not match at dimension {d} expected index "
                               f"{list(index.shape)} to be smaller than self {list(x.shape)} apart "
                               f"from dimension {dim}")
    index = _bounds(index, x.shape[dim] if x.ndim else 1, dim)
    if x.ndim == 0:
        return reshape(x, (1,) * index.ndim).expand(tuple(index.shape)).clone()
    out = wrap(x._be.gather(x._data, dim, index._data), x._be)
    shape = tuple(x.shape)
    return record(out, (x,), lambda g: (scatter_add(_zeros(shape, g.dtype, g._be), dim, index, g),),
                  "Gather")


def scatter_add(x: Tensor, dim, index: Tensor, src: Tensor) -> Tensor:
    same_device(x, index, src)
    _check_index(index, "scatter_add")
    dim = norm_dim(dim, x.ndim)
    index = _bounds(index, x.shape[dim], dim)
    src = cast(src, x.dtype)
    out = wrap(x._be.scatter_add(x._data, dim, index._data, src._data), x._be)
    window = {d: (0, n, 1) for d, n in enumerate(index.shape)}
    return record(out, (x, src), lambda g: (g, slice_dims(gather(g, dim, index), window)),
                  "ScatterAdd")


def scatter(x: Tensor, dim, index: Tensor, src) -> Tensor:
    """Out-of-place scatter for unique indices (topk/max backward and users alike)."""
    mask = scatter_add(_zeros(tuple(x.shape), dt.int32, x._be), dim, index,
                       wrap(x._be.full(tuple(index.shape), 1, dt.int32), x._be))
    if not isinstance(src, Tensor):
        src = wrap(x._be.full(tuple(index.shape), src, x.dtype), x._be)
    placed = scatter_add(_zeros(tuple(x.shape), x.dtype, x._be), dim, index, src)
    from .elementwise import where
    return where(mask > 0, placed, x)


def index_select(x: Tensor, dim, index: Tensor) -> Tensor:
    same_device(x, index)
    if index.dtype not in (dt.int64, dt.int32):
        raise RuntimeError(f"index_select(): Expected dtype int32/int64 for index, got "
                           f"{index.dtype.name}")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    dim = norm_dim(dim, x.ndim)
    index = _bounds(cast(reshape(index, (-1,)), dt.int64), x.shape[dim] if x.ndim else 1, dim)
    if x.ndim == 0:
        return reshape(x, (1,)).expand((index.shape[0],)).clone().reshape(
            (index.shape[0],) if index.shape[0] != 1 else ())
    out = wrap(x._be.index_select(x._data, dim, index._data), x._be)
    shape = tuple(x.shape)

    def rule(g):
        idx_shape = [1] * g.ndim
        idx_shape[dim] = index.shape[0]
        full_index = expand(reshape(index, tuple(idx_shape)), tuple(g.shape))
        return (scatter_add(_zeros(shape, g.dtype, g._be), dim, full_index, g),)

    return record(out, (x,), rule, "IndexSelect")


def nonzero(x: Tensor, *, as_tuple=False):
    coords = wrap(x._be.nonzero(x._data), x._be)
    if not as_tuple:
        return coords
    if x.ndim == 0:
        return (wrap(x._be.full((coords.shape[0],), 0, dt.int64), x._be),)
    return tuple(reshape(slice_dims(coords, {1: (d, d + 1, 1)}), (-1,)) for d in range(x.ndim))


def masked_fill(x: Tensor, mask: Tensor, value) -> Tensor:
    from .elementwise import where
    if mask.dtype is not dt.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype.name}")
    v = value if isinstance(value, Tensor) else scalar_tensor(value, x.dtype, x._be)
    return where(mask, cast(v, x.dtype), x)


def slice_backward(g: Tensor, shape, slices) -> Tensor:
    """The gradient of a strided view: g written into zeros of the source shape."""
    out = _zeros(shape, g.dtype, g._be)
    out._be.assign(out._be.slice(out._data, slices), g._data)
    return out


# -- x[key] -------------------------------------------------------------------------------
def _expand_key(x: Tensor, key):
    if not isinstance(key, tuple):
        key = (key,)
    used = 0
    for k in key:
        if k is None or k is Ellipsis:
            continue
        used += k.ndim if isinstance(k, Tensor) and k.dtype in (dt.bool_, dt.uint8) else 1
    if sum(k is Ellipsis for k in key) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if used > x.ndim:
        raise IndexError(f"too many indices for tensor of dimension {x.ndim}")
    out = []
    for k in key:
        if k is Ellipsis:
            out.extend([slice(None)] * (x.ndim - used))
        else:
            out.append(k)
    if not any(k is Ellipsis for k in key):
        out.extend([slice(None)] * (x.ndim - used))
    return out


def _as_index_tensor(k, be):
    from .creation import tensor, to_device
    if isinstance(k, Tensor):  # index tensors may live on the cpu, as in torch
        return k if k._be is be else to_device(k, be.name)
    t = tensor(k, dtype=dt.int64) if isinstance(k, (list, tuple)) and len(k) == 0 else tensor(k)
    if t.dtype.is_floating_point:
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return t if be.name == "cpu" else t.to(be.name)


def getitem(x: Tensor, key) -> Tensor:
    key = _expand_key(x, key)
    view = x
    dim = 0
    advanced = []  # (dim in view, index tensor) after basic indexing
    for k in key:
        if k is None:
            view = view.unsqueeze(dim)
            dim += 1
        elif isinstance(k, slice):
            n = view.shape[dim]
            start, stop, step = k.indices(n)
            if step <= 0:
                raise ValueError("step must be greater than zero")
            stop = max(stop, start)
            view = slice_dims(view, {dim: (start, stop, step)})
            dim += 1
        elif isinstance(k, numbers.Integral) and not isinstance(k, bool):
            n = view.shape[dim]
            if not -n <= k < n:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size {n}")
            k %= n
            view = slice_dims(view, {dim: (k, k + 1, 1)}).squeeze(dim)
        elif isinstance(k, bool):
            view = view.unsqueeze(dim)
            advanced.append((dim, _as_index_tensor([0] if k else [], x._be)))
            dim += 1
        else:
            t = _as_index_tensor(k, x._be)
            if t.dtype in (dt.bool_, dt.uint8):
                for d in range(t.ndim):
                    if t.shape[d] != view.shape[dim + d]:
                        raise IndexError(
                            f"The shape of the mask {list(t.shape)} at index {d} does not match "
                            f"the shape of the indexed tensor {list(view.shape)} at index {dim + d}")
                for d, coords in enumerate(nonzero(t, as_tuple=True)):
                    advanced.append((dim + d, coords))
                dim += t.ndim
            else:
                if t.dtype.is_floating_point:
                    raise IndexError("tensors used as indices must be long, int, byte or bool "
                                     "tensors")
                advanced.append((dim, cast(t, dt.int64)))
                dim += 1
    if not advanced:
        return view if view is not x else alias(x)
    return _advanced(view, advanced)


def _advanced(view: Tensor, advanced) -> Tensor:
    dims = [d for d, _ in advanced]
    shape = broadcast_shapes(*(tuple(t.shape) for _, t in advanced))
    rest = [d for d in range(view.ndim) if d not in dims]
    moved = permute(view, dims + rest)
    sizes = [view.shape[d] for d in dims]
    linear = None
    for (d, t), size in zip(advanced, sizes):
        t = _bounds(t, size, d, IndexError)
        linear = t if linear is None else linear * size + t
    count = 1
    for s in sizes:
        count *= s
    flat = reshape(moved, (count,) + tuple(moved.shape[len(dims):]))
    picked = index_select(flat, 0, reshape(expand(linear, shape), (-1,)))
    out = reshape(picked, shape + tuple(moved.shape[len(dims):]))
    adjacent = dims == list(range(dims[0], dims[0] + len(dims)))
    if adjacent and dims[0] > 0:
        n = len(shape)
        order = list(range(n, n + dims[0])) + list(range(n)) + list(range(n + dims[0], out.ndim))
        out = permute(out, order)
    return out


def setitem(x: Tensor, key, value) -> None:
    from .elementwise import inplace
    if not isinstance(value, Tensor):
        value = scalar_tensor(value, x.dtype, x._be)
    same_device(x, value)
    tracking = is_grad_enabled() and (x.requires_grad or value.requires_grad)
    if tracking:
        if value._ver is x._ver:  # x[k] op= v hands back a view of x itself
            value = value.clone()
        inplace(x, lambda s, v: _put(s, key, v), value)
        return
    if _is_view_key(key):
        target = getitem(x.detach(), key)
        if broadcast_shapes(tuple(value.shape), tuple(target.shape)) != tuple(target.shape):
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(value.shape)} cannot "
                               f"be broadcast to indexing result of shape {list(target.shape)}")
        target._be.assign(target._data, cast(value, x.dtype)._data)
        x._bump()
        return
    inplace(x, lambda s, v: _put(s, key, v), value)


def _is_view_key(key) -> bool:
    keys = key if isinstance(key, tuple) else (key,)
    return all(k is None or k is Ellipsis or isinstance(k, slice) or
               (isinstance(k, numbers.Integral) and not isinstance(k, bool)) for k in keys)


def _put(x: Tensor, key, value: Tensor) -> Tensor:
    """Out-of-place ``x[key] = value`` with its backward rule."""
    from .creation import arange
    be = x._be
    positions = getitem(arange(x.numel(), device=be.name).reshape(tuple(x.shape)), key)
    v = cast(value, x.dtype)
    target_shape = tuple(positions.shape)
    if broadcast_shapes(tuple(v.shape), target_shape) != target_shape:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(v.shape)} cannot be "
                           f"broadcast to indexing result of shape {list(target_shape)}")
    data = be.copy(x._data)
    flat = be.reshape(data, (-1,))
    vals = be.contiguous(be.reshape(be.contiguous(be.expand(v._data, target_shape)), (-1,)))
    be.index_put(flat, be.reshape(be.contiguous(positions._data), (-1,)), vals, False)
    out = wrap(data, be)

    def rule(g):
        gx = _put(g, key, scalar_tensor(0, g.dtype, g._be))
        return gx, getitem(g, key)

    return record(out, (x, value), rule, "IndexPut")


def copy_slices(base: Tensor, view_fn, value: Tensor) -> Tensor:
    """The graph of ``base`` after ``view_fn(base)`` was overwritten in place with ``value``.

    Returns a tensor over base's storage (which already holds the new values) whose node sends
    the gradient of the overwritten region to ``value`` and the rest to the old ``base``."""
    from .creation import arange
    positions = view_fn(arange(base.numel(), device=base._be.name).reshape(tuple(base.shape)))
    out = wrap(base._data, base._be)

    def rule(g):
        flat = g._be.reshape(g._be.copy(g._data), (-1,))
        idx = g._be.reshape(g._be.contiguous(positions._data), (-1,))
        zero = g._be.full(g._be.shape(idx), 0, g.dtype)
        g._be.index_put(flat, idx, zero, False)
        return wrap(g._be.reshape(flat, tuple(g.shape)), g._be), view_fn(g)

    return record(out, (base, value), rule, "CopySlices", saved=False)
