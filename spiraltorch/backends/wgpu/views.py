"""Movement primitives on WgpuArray: views where the strides allow it, copies otherwise."""
from __future__ import annotations

import math

from .array import WgpuArray, contiguous_strides
from .elementwise import launch


def broadcast_shapes(*shapes) -> tuple:
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for d in range(ndim):
        sizes = {s[d - ndim + len(s)] for s in shapes if d - ndim + len(s) >= 0} - {1}
        if len(sizes) > 1:
            raise RuntimeError(f"shapes {', '.join(str(tuple(s)) for s in shapes)} "
                               "cannot be broadcast together")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def expand(x: WgpuArray, shape) -> WgpuArray:
    shape = tuple(shape)
    lead = len(shape) - x.ndim
    if lead < 0:
        raise RuntimeError(f"cannot expand shape {x.shape} to {shape}")
    strides = [0] * lead
    for d, (n, s) in enumerate(zip(x.shape, x.strides)):
        target = shape[lead + d]
        if n == target:
            strides.append(s)
        elif n == 1:
            strides.append(0)
        else:
            raise RuntimeError(f"the expanded size {target} must match the existing size {n} "
                               f"at non-singleton dimension {lead + d}; target sizes {shape}")
    return x.view(shape, strides, x.offset)


def permute(x: WgpuArray, dims) -> WgpuArray:
    return x.view(tuple(x.shape[d] for d in dims), tuple(x.strides[d] for d in dims), x.offset)


def slice_view(x: WgpuArray, slices) -> WgpuArray:
    offset, shape, strides = x.offset, [], []
    for (start, stop, step), n, s in zip(slices, x.shape, x.strides):
        length = max(0, -(-(stop - start) // step))
        if length:
            offset += start * s
        shape.append(length)
        strides.append(s * step)
    return x.view(shape, strides, offset)


def copy(x: WgpuArray) -> WgpuArray:
    out = WgpuArray.empty(x.ctx, x.shape, x.dtype)
    return launch(x.ctx, "x0", out, [x])


def contiguous(x: WgpuArray) -> WgpuArray:
    return x if x.is_contiguous() else copy(x)


def _view_strides(shape, strides, new_shape):
    """Strides that give ``new_shape`` over the same memory without a copy, or None."""
    old = [(n, s) for n, s in zip(shape, strides) if n != 1]
    oshape = [n for n, _ in old]
    ostr = [s for _, s in old]
    nz = [d for d, n in enumerate(new_shape) if n != 1]
    new = [0] * len(new_shape)
    oi = ni = 0
    while ni < len(nz) and oi < len(oshape):
        nprod, oprod = new_shape[nz[ni]], oshape[oi]
        nj, oj = ni + 1, oi + 1
        while nprod != oprod:
            if nprod < oprod:
                nprod *= new_shape[nz[nj]]
                nj += 1
            else:
                oprod *= oshape[oj]
                oj += 1
        # the old axes oi..oj-1 must form one contiguous run to be re-split
        if any(ostr[k] != oshape[k + 1] * ostr[k + 1] for k in range(oi, oj - 1)):
            return None
        new[nz[nj - 1]] = ostr[oj - 1]
        for k in range(nj - 1, ni, -1):
            new[nz[k - 1]] = new[nz[k]] * new_shape[nz[k]]
        ni, oi = nj, oj
    return new


def reshape(x: WgpuArray, shape) -> WgpuArray:
    shape = tuple(int(n) for n in shape)
    if -1 in shape:  # one inferred size, as in NumPy
        known = math.prod(n for n in shape if n != -1)
        shape = tuple(x.size // known if n == -1 and known else n for n in shape)
    if math.prod(shape) != x.size:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {x.size}")
    if x.is_contiguous() or x.size == 0:
        return x.view(shape, contiguous_strides(shape), x.offset)
    strides = _view_strides(x.shape, x.strides, shape)
    if strides is not None:
        return x.view(shape, strides, x.offset)
    y = copy(x)
    return y.view(shape, contiguous_strides(shape), 0)
