"""Shape and movement: views where the device can, with their backward rules."""
from __future__ import annotations

import numbers

from ..autograd import record
from ..tensor import Tensor
from .core import cast, norm_dim, norm_dims, same_device, view_of, wrap


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    out = []
    for s in shape:
        if isinstance(s, Tensor):
            s = int(s)
        if not isinstance(s, numbers.Integral) or isinstance(s, bool):
            raise TypeError(f"shape must be a sequence of ints, got {shape!r}")
        out.append(int(s))
    return tuple(out)


def broadcast_shapes(*shapes) -> tuple:
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for i, s in enumerate(shapes):
        for d in range(1, len(s) + 1):
            a, b = out[-d], s[-d]
            if a == b or b == 1:
                continue
            if a == 1:
                out[-d] = b
            else:
                raise RuntimeError(
                    f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                    f"non-singleton dimension {ndim - d}")
    return tuple(out)


def infer_shape(shape, numel: int) -> tuple:
    shape = list(shape)
    free = [i for i, s in enumerate(shape) if s == -1]
    if len(free) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if any(s < -1 for s in shape):
        raise RuntimeError(f"invalid shape dimension {min(shape)}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if free:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape[free[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


def _view_strides(old_shape, old_strides, new_shape):
    """Strides that give ``new_shape`` over the same memory, or None when a copy is needed."""
    numel = 1
    for s in old_shape:
        numel *= s
    if numel == 0 or not old_shape:
        return True
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    base = old_strides[-1]
    tensor_numel = view_numel = 1
    for d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[d]
        if d == 0 or (old_shape[d - 1] != 1 and old_strides[d - 1] != tensor_numel * base):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * base
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                base = old_strides[d - 1]
                tensor_numel = view_numel = 1
    return new_strides if view_d == -1 else None


def reshape(x: Tensor, *shape) -> Tensor:
    shape = infer_shape(_shape_arg(shape), x.numel())
    old = tuple(x.shape)
    if shape == old:
        return alias(x)
    out = view_of(x, x._be.reshape(x._data, shape), lambda t: reshape(t, shape))
    return record(out, (x,), lambda g: (reshape(g, old),), "Reshape", saved=False)


def view(x: Tensor, *shape) -> Tensor:
    from .. import dtypes as dt

    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, numbers.Integral)):
        d = dt.to_dtype(shape[0])
        if d is x.dtype:
            return alias(x)
        raise RuntimeError(f"view({d}) of a {x.dtype} tensor is not supported; use .to({d})")
    shape = infer_shape(_shape_arg(shape), x.numel())
    if _view_strides(tuple(x.shape), x.stride(), shape) is None:
        raise RuntimeError(
            f"view size is not compatible with input tensor's size and stride (input size "
            f"{list(x.shape)}, stride {list(x.stride())}, requested {list(shape)}): at least one "
            "dimension spans across two contiguous subspaces. Use .reshape(...) instead.")
    return reshape(x, shape)


def alias(x: Tensor) -> Tensor:
    out = view_of(x, x._data, alias)
    return record(out, (x,), lambda g: (g,), "Alias", saved=False)


def flatten(x: Tensor, start_dim=0, end_dim=-1) -> Tensor:
    if x.ndim == 0:
        return reshape(x, (1,))
    s, e = norm_dim(start_dim, x.ndim), norm_dim(end_dim, x.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = tuple(x.shape)
    n = 1
    for v in shape[s:e + 1]:
        n *= v
    return reshape(x, shape[:s] + (n,) + shape[e + 1:])


def squeeze(x: Tensor, dim=None) -> Tensor:
    dims = norm_dims(dim, x.ndim)
    shape = tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1))
    return reshape(x, shape)


def unsqueeze(x: Tensor, dim) -> Tensor:
    dim = norm_dim(dim, x.ndim + 1)
    shape = list(x.shape)
    shape.insert(dim, 1)
    return reshape(x, tuple(shape))


def permute(x: Tensor, *dims) -> Tensor:
    dims = _shape_arg(dims)
    if len(dims) != x.ndim:
        raise RuntimeError(
            f"permute(): number of dimensions in the tensor input does not match the length of "
            f"the desired ordering of dimensions i.e. input.dim() = {x.ndim} is not equal to "
            f"len(dims) = {len(dims)}")
    dims = tuple(norm_dim(d, x.ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"permute(): duplicate dims are not allowed: {list(dims)}")
    inverse = tuple(sorted(range(len(dims)), key=dims.__getitem__))
    out = view_of(x, x._be.permute(x._data, dims), lambda t: permute(t, dims))
    return record(out, (x,), lambda g: (permute(g, inverse),), "Permute", saved=False)


def transpose(x: Tensor, dim0, dim1) -> Tensor:
    if x.ndim == 0:
        norm_dim(dim0, 0), norm_dim(dim1, 0)
        return alias(x)
    d0, d1 = norm_dim(dim0, x.ndim), norm_dim(dim1, x.ndim)
    dims = list(range(x.ndim))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return permute(x, dims)


def t(x: Tensor) -> Tensor:
    if x.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return transpose(x, 0, 1) if x.ndim == 2 else alias(x)


def T(x: Tensor) -> Tensor:
    return permute(x, tuple(reversed(range(x.ndim))))


def mT(x: Tensor) -> Tensor:
    if x.ndim < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {x.ndim}-D tensor.")
    return transpose(x, -2, -1)


def expand(x: Tensor, *sizes) -> Tensor:
    sizes = _shape_arg(sizes)
    old = tuple(x.shape)
    if len(sizes) < len(old):
        raise RuntimeError(
            f"expand(size={list(sizes)}): the number of sizes provided ({len(sizes)}) must be "
            f"greater or equal to the number of dimensions in the tensor ({len(old)})")
    lead = len(sizes) - len(old)
    target = list(sizes)
    for i, s in enumerate(sizes):
        have = old[i - lead] if i >= lead else None
        if s == -1:
            if have is None:
                raise RuntimeError(f"expand: -1 is not allowed in a leading, non-existing "
                                   f"dimension {i}")
            target[i] = have
        elif have is not None and have != 1 and have != s:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({have}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                f"{list(old)}")
    target = tuple(target)
    if target == old:
        return alias(x)
    out = view_of(x, x._be.expand(x._data, target), lambda t: expand(t, target))
    return record(out, (x,), lambda g: (sum_to(g, old),), "Expand", saved=False)


def expand_as(x: Tensor, other: Tensor) -> Tensor:
    return expand(x, tuple(other.shape))


def broadcast_to(x: Tensor, shape) -> Tensor:
    return expand(x, tuple(shape))


def broadcast_tensors(*tensors):
    shape = broadcast_shapes(*(tuple(t.shape) for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


def sum_to(g: Tensor, shape) -> Tensor:
    """Sum a gradient down to ``shape`` (undoing broadcasting)."""
    shape = tuple(shape)
    gshape = tuple(g.shape)
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and gshape[i + lead] != 1)
    data = g._be.reduce("sum", g._data, axes, False) if axes else g._data
    return wrap(g._be.reshape(data, shape), g._be)


def contiguous(x: Tensor) -> Tensor:
    if x.is_contiguous():
        return x
    out = wrap(x._be.contiguous(x._data), x._be)
    return record(out, (x,), lambda g: (g,), "Contiguous", saved=False)


def clone(x: Tensor) -> Tensor:
    out = wrap(x._be.copy(x._data), x._be)
    return record(out, (x,), lambda g: (g,), "Clone", saved=False)


def narrow(x: Tensor, dim, start, length) -> Tensor:
    dim = norm_dim(dim, x.ndim)
    n = x.shape[dim]
    if start < 0:
        start += n
    if not (0 <= start <= n and 0 <= length and start + length <= n):
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return slice_dims(x, {dim: (start, start + length, 1)})


def slice_dims(x: Tensor, spec: dict) -> Tensor:
    """A strided view: ``spec`` maps dim -> (start, stop, step) with step > 0, normalised."""
    shape = tuple(x.shape)
    slices = [spec.get(d, (0, s, 1)) for d, s in enumerate(shape)]
    out = view_of(x, x._be.slice(x._data, slices), lambda t: slice_dims(t, spec))

    def rule(g):
        from .indexing import slice_backward
        return (slice_backward(g, shape, slices),)

    return record(out, (x,), rule, "Slice", saved=False)


def cat(tensors, dim=0) -> Tensor:
    from .. import dtypes as dt

    tensors = list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    be = same_device(*tensors)
    kept = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or tensors[:1]
    ref = kept[0]
    if ref.ndim == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    dim = norm_dim(dim, ref.ndim)
    for i, t in enumerate(kept):
        if t.ndim != ref.ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ref.ndim} and {t.ndim}")
        for d in range(ref.ndim):
            if d != dim and t.shape[d] != ref.shape[d]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {dim}. Expected size "
                    f"{ref.shape[d]} but got size {t.shape[d]} for tensor number {i} in the list.")
    out_dtype = kept[0].dtype
    for t in kept[1:]:
        out_dtype = dt.promote_types(out_dtype, t.dtype)
    kept = [cast(t, out_dtype) for t in kept]
    out = wrap(be.cat([t._data for t in kept], dim), be)
    sizes = [t.shape[dim] for t in kept]

    def rule(g):
        grads, start = [], 0
        for n in sizes:
            grads.append(narrow(g, dim, start, n))
            start += n
        return tuple(grads)

    return record(out, tuple(kept), rule, "Cat", saved=False)


def stack(tensors, dim=0) -> Tensor:
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors[1:], 1):
        if tuple(t.shape) != tuple(tensors[0].shape):
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} at "
                f"entry 0 and {list(t.shape)} at entry {i}")
    dim = norm_dim(dim, tensors[0].ndim + 1)
    return cat([unsqueeze(t, dim) for t in tensors], dim)


def split(x: Tensor, split_size_or_sections, dim=0):
    dim = norm_dim(dim, x.ndim)
    n = x.shape[dim]
    if isinstance(split_size_or_sections, numbers.Integral):
        size = int(split_size_or_sections)
        if size < 0 or (size == 0 and n != 0):
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        sizes = [min(size, n - s) for s in range(0, n, size)] if size else [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                f"at dimension {dim}), but got split_sizes={sizes}")
    out, start = [], 0
    for s in sizes:
        out.append(narrow(x, dim, start, s))
        start += s
    return tuple(out)


def chunk(x: Tensor, chunks: int, dim=0):
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    dim = norm_dim(dim, x.ndim)
    n = x.shape[dim]
    size = -(-n // chunks)
    return split(x, size if size else 1, dim) if n else split(x, [0] * 1, dim)


def movedim(x: Tensor, source, destination) -> Tensor:
    src = [norm_dim(d, x.ndim) for d in (source if isinstance(source, (list, tuple)) else [source])]
    dst = [norm_dim(d, x.ndim) for d in
           (destination if isinstance(destination, (list, tuple)) else [destination])]
    order = [d for d in range(x.ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(x, order)
