"""The wgpu device: every primitive of the backend contract as WGSL compute shaders.

Arrays are ``WgpuArray`` views of pooled GPU buffers (``array.py``); ``device.py`` documents the
context every kernel module launches through.
"""
from __future__ import annotations

import math
import numpy as np

from ... import dtypes as dt
from ..base import COMPARE_OPS, Backend
from . import elementwise as ew
from . import views
from .array import WgpuArray, storage_itemsize
from .device import get_context
from .transfer import from_numpy, to_numpy


# Integer division and remainder by zero raise, as torch does, instead of returning garbage.
INT_DIVISION_OPS = ("floor_divide", "remainder", "fmod")


class WgpuBackend(Backend):
    name = "wgpu"
    # sg: 1 = the subgroup variant of TopK's select kernel where the device has subgroups; sr, rw,
    # fs: TopK by one subgroup, one invocation, or a whole-row sort per row; rs: the winners'
    # sort by radix on subgroups instead of bitonic; hk: the whole TopK in one dispatch with each
    # row's keys held in registers; fc: long rows' keys above a floor of the k-th, then hk over
    # them; fd: twice the candidate slots of fc; fr: fc's rows whose floor fails selected in a
    # dispatch of their own; fg: the filtered select's buffer sorted on subgroups; hr: the held
    # keys' first radix digit fitted to the row's key range; hw: the held keys' winners sorted as
    # words of a key field and a position where pairs do not pack; hb: the held keys' winners put
    # in rank order by counting over buckets of their keys, not sorted (backends/wgpu/topk.py).
    choice_fields = {"sg": (0, 1), "rw": (0, 1), "fs": (0, 1), "sr": (0, 1), "rs": (0, 1),
                     "hk": (0, 1), "fc": (0, 1), "fd": (0, 1), "fr": (0, 1), "fg": (0, 1),
                     "hr": (0, 1), "hw": (0, 1), "hb": (0, 1)}

    def __init__(self, ctx):
        self.ctx = ctx

    @property
    def caps(self):
        return self.ctx.caps

    # -- allocation and transfer ------------------------------------------------------------
    def from_numpy(self, a):
        return from_numpy(self.ctx, a)

    def to_numpy(self, x):
        return to_numpy(x)

    def shape(self, x):
        return x.shape

    def strides(self, x):
        return x.strides

    def dtype(self, x):
        return x.dtype

    def empty(self, shape, dtype):
        ew.check_dtype(self.ctx, dtype)
        return WgpuArray.empty(self.ctx, shape, dtype)

    def full(self, shape, value, dtype):
        ew.check_dtype(self.ctx, dtype)
        with np.errstate(all="ignore"):  # out-of-range values wrap, as in torch
            fill = np.asarray(value).astype(dtype.np).reshape(1)
        out = WgpuArray.empty(self.ctx, shape, dtype)
        return self.assign(out, from_numpy(self.ctx, fill).view((), (), 0))

    def arange(self, start, stop, step, dtype):
        ew.check_dtype(self.ctx, dtype)
        return from_numpy(self.ctx, np.arange(start, stop, step, dtype=np.float64).astype(dtype.np))

    def random(self, kind, shape, dtype, seed, low=0, high=1):
        from .random import random
        return random(self.ctx, kind, shape, dtype, seed, low, high)

    # -- movement ---------------------------------------------------------------------------
    def reshape(self, x, shape):
        return views.reshape(x, shape)

    def permute(self, x, dims):
        return views.permute(x, dims)

    def expand(self, x, shape):
        return views.expand(x, shape)

    def slice(self, x, slices):
        return views.slice_view(x, slices)

    def contiguous(self, x):
        return views.contiguous(x)

    def copy(self, x):
        return views.copy(x)

    def is_contiguous(self, x):
        return x.is_contiguous()

    def assign(self, dst, src):
        if any(s == 0 and n > 1 for n, s in zip(dst.shape, dst.strides)):
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor refers to "
                "a single memory location. Please clone() the tensor before performing the "
                "operation.")
        if src.storage is dst.storage:
            src = views.copy(src)
        if src.dtype is not dst.dtype:
            src = self.cast(src, dst.dtype)
        return ew.launch(self.ctx, "x0", dst, [views.expand(src, dst.shape)])

    # -- compute ----------------------------------------------------------------------------
    def cast(self, x, dtype):
        ew.check_dtype(self.ctx, dtype)
        out = WgpuArray.empty(self.ctx, x.shape, dtype)
        return ew.launch(self.ctx, ew.cast_expr(x.dtype, dtype), out, [x])

    def _expr(self, table, op, dtype):
        ew.check_dtype(self.ctx, dtype)
        expr = ew.op_expr(table, op, dtype)
        if expr is None:
            raise TypeError(f"'{op}' is not implemented for dtype {dtype.name} on wgpu; "
                            "cast the operands to float32 first")
        return expr

    def unary(self, op, x):
        if op in ew.FLOAT_ONLY and x.dtype.category != 2:
            x = self.cast(x, dt.float32)
        expr = self._expr(ew.UNARY, op, x.dtype)
        out = WgpuArray.empty(self.ctx, x.shape, dt.bool_ if op in COMPARE_OPS else x.dtype)
        return ew.launch(self.ctx, expr, out, [x])

    def binary(self, op, a, b):
        if op == "div" and a.dtype.category != 2:
            a, b = self.cast(a, dt.float32), self.cast(b, dt.float32)
        if op in INT_DIVISION_OPS and a.dtype.category != 2 and self._has_zero(b):
            raise RuntimeError("ZeroDivisionError")
        expr = self._expr(ew.BINARY, op, a.dtype)
        shape = views.broadcast_shapes(a.shape, b.shape)
        out = WgpuArray.empty(self.ctx, shape, dt.bool_ if op in COMPARE_OPS else a.dtype)
        return ew.launch(self.ctx, expr, out, [views.expand(a, shape), views.expand(b, shape)])

    def _has_zero(self, x) -> bool:
        """Whether integer ``x`` holds a 0 (one reduction and a 1-byte read: a sync, paid only by
        integer division, which torch refuses by a zero)."""
        if math.prod(x.shape) == 0:
            return False
        flat = self.reshape(views.contiguous(x), (math.prod(x.shape),))
        return not bool(to_numpy(self.reduce("all", flat, (0,), False)))

    def where(self, cond, a, b):
        ew.check_dtype(self.ctx, a.dtype)
        if cond.dtype not in (dt.bool_, dt.uint8):
            cond = self.cast(cond, dt.bool_)
        shape = views.broadcast_shapes(cond.shape, a.shape, b.shape)
        out = WgpuArray.empty(self.ctx, shape, a.dtype)
        ins = [views.expand(t, shape) for t in (cond, a, b)]
        return ew.launch(self.ctx, "select(x2, x1, x0 != 0u)", out, ins)

    def reduce(self, op, x, axes, keepdim):
        from .reduce import reduce
        if x.ndim and x.buffer.size > self.ctx.binding_limit:
            return self._reduce_by_blocks(op, x, tuple(axes), keepdim)
        return reduce(self.ctx, op, x, axes, keepdim)

    def _reduce_by_blocks(self, op, x, axes, keepdim):
        """A reduction of an input larger than one storage binding: blocks along dim 0 reduce
        on their own, then (every reduction being associative) their results combine."""
        parts = [self.reduce(op, block, axes, True) for block, _ in self._blocks(x, op)]
        out = self.cat(parts, 0)
        if 0 in axes:
            out = self.reduce(op, out, (0,), True)
        if keepdim:
            return out
        return self.reshape(out, tuple(s for d, s in enumerate(out.shape) if d not in axes))

    def arg_reduce(self, op, x, axis, keepdim):
        from .reduce import arg_reduce
        if x.ndim > 1 and x.buffer.size > self.ctx.binding_limit:
            # blocks along another dim hold whole lines along `axis`: their results concatenate
            dim = 1 if axis == 0 else 0
            parts = [self.arg_reduce(op, block, axis, keepdim)
                     for block, _ in self._blocks(x, op, dim)]
            return self.cat(parts, dim if keepdim or dim < axis else dim - 1)
        if x.ndim == 1 and x.buffer.size > self.ctx.binding_limit:
            return self._arg_reduce_by_blocks(op, x, keepdim)
        return arg_reduce(self.ctx, op, x, axis, keepdim)

    def _arg_reduce_by_blocks(self, op, x, keepdim):
        """argmax/argmin of a 1-D x past one binding: each block's winner and its value, then
        the winner among those; blocks are in order, so ties and NaN keep the lowest index."""
        winners, values = [], []
        for block, rows in self._blocks(x, op):
            i = self.arg_reduce(op, block, 0, True)
            values.append(self.index_select(block, 0, i))
            winners.append(self.binary("add", i, self.full((1,), rows.start, dt.int64)))
        best = self.arg_reduce(op, self.cat(values, 0), 0, True)
        out = self.index_select(self.cat(winners, 0), 0, best)
        return out if keepdim else self.reshape(out, ())

    def matmul(self, a, b):
        from .matmul import matmul
        if a.buffer.size > self.ctx.binding_limit and a.ndim >= b.ndim:
            return self._matmul_by_blocks(a, b)
        if b.buffer.size > self.ctx.binding_limit and b.ndim >= 2:
            # blocks of b's columns give blocks of the output's columns
            parts = [self.matmul(a, block) for block, _ in self._blocks(b, "matmul", b.ndim - 1)]
            return self.cat(parts, parts[0].ndim - 1)
        return matmul(self.ctx, a, b)

    def _matmul_by_blocks(self, a, b):
        """a @ b for an ``a`` larger than one storage binding: blocks of a along dim 0 (its rows,
        or its batches with b's matching ones)."""
        paired = b.ndim == a.ndim > 2 and b.shape[0] == a.shape[0] > 1
        parts = [self.matmul(block, self._rows(b, rows) if paired else b)
                 for block, rows in self._blocks(a, "matmul")]
        return self.cat(parts, 0)

    def gather(self, x, dim, index):
        from .indexing import gather
        if x.ndim == 1 and self._long_index(x, index):
            return self.cat([self.gather(x, 0, piece)
                             for piece, _ in self._blocks(self.cast(index, dt.int64), "gather")], 0)
        if x.ndim == 1 and x.buffer.size > self.ctx.binding_limit:
            return self._take_1d_by_blocks("gather", x, index)
        if self._past_binding(x, index):
            return self._along_other_dim("gather", x, dim, lambda blk, i: self.gather(blk, dim, i),
                                         index)
        return gather(self.ctx, x, dim, index)

    def scatter_add(self, x, dim, index, src):
        from .indexing import scatter_add
        if x.ndim == 1 and self._long_index(x, index, src):
            # pieces of the index list in order, each adding to the sum of the ones before
            index = self.cast(index, dt.int64)
            src = self.slice(src, [(0, index.shape[0], 1)])
            for piece, rows in self._blocks(index, "scatter_add", also=(src,)):
                x = self.scatter_add(x, 0, piece, self.copy(self._rows(src, rows)))
            return x
        if x.ndim == 1 and x.buffer.size > self.ctx.binding_limit:
            return self._scatter_add_1d_by_blocks(x, index, src)
        if self._past_binding(x, index, src):
            return self._along_other_dim(
                "scatter_add", x, dim, lambda blk, i, v: self.scatter_add(blk, dim, i, v),
                index, src)
        return scatter_add(self.ctx, x, dim, index, src)

    def index_select(self, x, dim, index):
        from .indexing import index_select
        if x.ndim == 1 and self._long_index(x, index):
            return self.cat([self.index_select(x, 0, piece) for piece, _ in
                             self._blocks(self.cast(index, dt.int64), "index_select")], 0)
        if x.ndim == 1 and x.buffer.size > self.ctx.binding_limit:
            return self._take_1d_by_blocks("index_select", x, index)
        if self._past_binding(x):
            return self._along_other_dim("index_select", x, dim,
                                         lambda blk: self.index_select(blk, dim, index))
        return index_select(self.ctx, x, dim, index)

    def _long_index(self, x, index, *others) -> bool:
        """Whether a 1-D index (or the output or source of its length), or a buffer it or the
        source views, exceeds one binding."""
        entry = max(storage_itemsize(a.dtype) for a in (x, index, *others))
        return (index.shape[0] * entry > self.ctx.binding_limit
                or any(a.buffer.size > self.ctx.binding_limit for a in (index, *others)))

    def _take_1d_by_blocks(self, op, x, index):
        """x[index] for a 1-D x past one storage binding: each block of x answers the indices
        that fall inside it."""
        if index.dtype is not dt.int64:
            index = self.cast(index, dt.int64)
        out = self.full(index.shape, 0, x.dtype)
        for block, rows in self._blocks(x, op):
            inside, local = self._in_block(index, rows)
            out = self.where(inside, self.gather(block, 0, local), out)
        return out

    def _in_block(self, index, rows):
        """(which int64 indices fall in ``rows``, their positions in the block or 0)."""
        start = self.full((), rows.start, dt.int64)
        inside = self.binary("logical_and", self.binary("ge", index, start),
                             self.binary("lt", index, self.full((), rows.stop, dt.int64)))
        local = self.where(inside, self.binary("sub", index, start), self.full((), 0, dt.int64))
        return inside, local

    def _scatter_add_1d_by_blocks(self, x, index, src):
        """scatter_add into a 1-D x past one storage binding: each block of x takes the sources
        whose indices fall inside it; the others add -0.0 (or 0) to its first element, which
        changes nothing, -0.0 included."""
        if index.dtype is not dt.int64:
            index = self.cast(index, dt.int64)
        src = self.slice(src, [(0, index.shape[0], 1)])
        nothing = self.full((), -0.0 if x.dtype.category == 2 else 0, x.dtype)
        parts = []
        for block, rows in self._blocks(x, "scatter_add"):
            inside, local = self._in_block(index, rows)
            parts.append(self.scatter_add(block, 0, local, self.where(inside, src, nothing)))
        return self.cat(parts, 0)

    def _past_binding(self, x, *others) -> bool:
        """Whether x (of two or more dims) or an array indexed with it exceeds one binding."""
        return x.ndim > 1 and any(a.buffer.size > self.ctx.binding_limit for a in (x, *others))

    def _along_other_dim(self, op, x, dim, fn, *others):
        """``fn`` over blocks of x along a dim other than ``dim``, each with the same rows of
        ``others`` (copies, cut to their own length), results concatenated along that dim: how
        the indexing ops handle arrays past one storage binding."""
        along = 1 if dim == 0 else 0
        parts = []
        for block, rows in self._blocks(x, op, along, others):
            subs = [self.copy(self._rows(o, range(min(rows.start, o.shape[along]),
                                                  min(rows.stop, o.shape[along])), along))
                    for o in others]
            parts.append(fn(block, *subs))
        return self.cat(parts, along)

    def index_put(self, x, index, values, accumulate):
        from .indexing import index_put
        limit = self.ctx.binding_limit
        if index.dtype is not dt.int64:
            index = self.cast(index, dt.int64)
        values = self.contiguous(self.expand(values, index.shape))
        if max(index.buffer.size, values.buffer.size) > limit:
            # pieces of the index list in order: later pieces overwrite, or add to, earlier ones
            for piece, rows in self._blocks(index, "index_put", also=(values,)):
                self.index_put(x, piece, self.copy(self._rows(values, rows)), accumulate)
            return x
        if max(x.buffer.size, 4 * x.size) > limit:  # x, or the kernel's 4-byte claim per slot
            # blocks of x, each taking the indices inside it; the others name its end: nothing
            n = self.full((), x.shape[0], dt.int64)
            index = self.where(self.binary("lt", index, self.full((), 0, dt.int64)),
                               self.binary("add", index, n), index)
            for block, rows in self._blocks(x, "index_put", slab_bytes=4):
                inside, local = self._in_block(index, rows)
                local = self.where(inside, local, self.full((), len(rows), dt.int64))
                self.assign(self._rows(x, rows), index_put(self.ctx, block, local, values,
                                                           accumulate))
            return x
        return index_put(self.ctx, x, index, values, accumulate)

    def nonzero(self, x):
        from .indexing import nonzero
        limit = self.ctx.binding_limit
        # per element: a 4-byte mask in the kernel and up to ndim int64 coordinates out
        per_element = max(4, 8 * x.ndim)
        if x.ndim and max(x.buffer.size, per_element * math.prod(x.shape)) > limit:
            row_bytes = per_element * math.prod(x.shape[1:])
            if x.ndim > 1 and row_bytes > limit // 2:
                return self._nonzero_by_positions(x)
            # blocks of the mask along dim 0, their row coordinates shifted by the block's first
            # row
            mask = x if x.dtype is dt.bool_ else self.cast(x, dt.bool_)
            parts = []
            for block, rows in self._blocks(mask, "nonzero", slab_bytes=row_bytes):
                found = self.nonzero(block)
                if rows.start:
                    shift = self.from_numpy(np.array([[rows.start] + [0] * (x.ndim - 1)],
                                                     np.int64))
                    found = self.binary("add", found, shift)
                parts.append(found)
            return self.cat(parts, 0)
        return nonzero(self.ctx, x)

    def _nonzero_by_positions(self, x):
        """nonzero of x whose slices along dim 0 are too large for one binding: the positions in
        the flattened tensor, then each dimension's coordinate from them."""
        found = self.nonzero(self.reshape(self.contiguous(x), (math.prod(x.shape),)))
        count = found.shape[0]
        positions = self.reshape(found, (count,))
        coords = []
        for d, size in enumerate(x.shape):
            stride = self.from_numpy(np.array(math.prod(x.shape[d + 1:]), np.int64))
            coord = self.binary("floor_divide", positions, stride)
            if d:
                coord = self.binary("remainder", coord, self.from_numpy(np.array(size, np.int64)))
            coords.append(self.reshape(coord, (count, 1)))
        return self.cat(coords, 1)

    def cat(self, xs, dim):
        shape = list(xs[0].shape)
        shape[dim] = sum(x.shape[dim] for x in xs)
        out = WgpuArray.empty(self.ctx, shape, xs[0].dtype)
        start = 0
        for x in xs:
            stop = start + x.shape[dim]
            if stop > start:
                window = [(0, n, 1) for n in shape]
                window[dim] = (start, stop, 1)
                self.assign(views.slice_view(out, window), x)
            start = stop
        return out

    def topk_scratch_per_row(self, x, k, sorted, choice) -> int:
        """Bytes a row of ``topk(x, ...)`` takes in its largest scratch buffer."""
        from .topk_layout import scratch_per_row
        cols = x.shape[1]
        if x.dtype is dt.int64:
            return 8 * (1 << max(cols - 1, 0).bit_length())  # the sort's (key, index) slots
        return scratch_per_row(self.ctx, cols, k, sorted, choice, 8 * storage_itemsize(x.dtype))

    def topk_in_blocks(self, x, k, sorted, choice) -> bool:
        """Whether ``topk(x, ...)`` runs in blocks of rows: its input or scratch exceeds one
        storage binding."""
        per_row = self.topk_scratch_per_row(x, k, sorted, choice)
        return max(x.buffer.size, x.shape[0] * per_row) > self.ctx.binding_limit

    def topk(self, x, k, largest, sorted, choice):
        if self.topk_in_blocks(x, k, sorted, choice):
            return self._topk_by_row_blocks(x, k, largest, sorted, choice,
                                            self.topk_scratch_per_row(x, k, sorted, choice))
        if x.dtype is dt.int64:
            # 64-bit keys: the exact (key, index) sort, then the first k of each row.
            from .sort import sort
            values, indices = sort(self.ctx, x, 1, largest)
            window = ((0, x.shape[0], 1), (0, k, 1))
            return self.slice(values, window), self.slice(indices, window)
        from .topk import topk
        return topk(self.ctx, x, k, largest, sorted, choice)

    def _topk_by_row_blocks(self, x, k, largest, sorted, choice, per_row):
        """TopK of an input, or of its scratch pairs (``per_row`` bytes a row), larger than one
        storage binding: rows are independent."""
        values, indices = [], []
        for block, _ in self._blocks(x, "topk", slab_bytes=per_row):
            v, i = self.topk(block, k, largest, sorted, choice)
            values.append(v)
            indices.append(i)
        return self.cat(values, 0), self.cat(indices, 0)

    def _rows(self, x, rows, dim=0):
        """The view of x with indices rows.start:rows.stop along ``dim``."""
        window = [(0, s, 1) for s in x.shape]
        window[dim] = (rows.start, rows.stop, 1)
        return self.slice(x, window)

    def _blocks(self, x, op, dim=0, also=(), slab_bytes=0):
        """(copy of a block of x along ``dim``, its range) for blocks that fit half a storage
        binding each (pool buckets round sizes up), as do the same rows of the arrays in
        ``also`` and the op's own scratch of ``slab_bytes`` per index along ``dim``: how ops on
        arrays past one binding run."""
        rest = [n for d, n in enumerate(x.shape) if d != dim]
        slab = max([slab_bytes] + [math.prod(a.shape) // max(a.shape[dim], 1)
                                   * storage_itemsize(a.dtype) for a in (x, *also)])
        per_block = (self.ctx.binding_limit // 2) // max(slab, 1)
        if per_block == 0:
            raise RuntimeError(
                f"{op} on wgpu: one slice along dim {dim} of shape {rest} ({slab} bytes) "
                f"does not fit half of the device's storage-binding limit "
                f"({self.ctx.binding_limit} bytes)")
        for start in range(0, x.shape[dim], per_block):
            rows = range(start, min(x.shape[dim], start + per_block))
            yield self.copy(self._rows(x, rows, dim)), rows

    def sort(self, x, dim, descending, stable):
        from .sort import sort
        n = x.shape[dim] if x.ndim else 1
        keys = math.prod(x.shape) // max(n, 1) * (1 << max(n - 1, 0).bit_length()) * 8
        if x.ndim == 1 and max(x.buffer.size, keys) > self.ctx.binding_limit:
            return self._sort_1d_by_blocks(x, descending, stable)
        if x.ndim > 1 and max(x.buffer.size, keys) > self.ctx.binding_limit:
            # blocks along another dim hold whole lines along `dim`: they sort on their own
            along = 1 if dim == 0 else 0
            parts = [self.sort(block, dim, descending, stable)
                     for block, _ in self._blocks(x, "sort", along,
                                                  slab_bytes=keys // max(x.shape[along], 1))]
            return (self.cat([v for v, _ in parts], along),
                    self.cat([i for _, i in parts], along))
        return sort(self.ctx, x, dim, descending)

    def _sort_1d_by_blocks(self, x, descending, stable):
        """sort of a 1-D x, or of its (key, index) slots, past one storage binding: blocks sorted
        on their own; each element's place in the whole is its place in its block plus the
        elements of the other blocks that come before it (binary searches); then each block of
        the output takes the elements whose places fall inside it."""
        from .sort import add_ranks
        # a block's slots: 8-byte keys and 4-byte indices, up to twice the block (power of two)
        runs = []
        for block, rows in self._blocks(x, "sort", slab_bytes=24):
            values, indices = self.sort(block, 0, descending, stable)
            runs.append((values, self.binary("add", indices, self.full((), rows.start, dt.int64)),
                         rows))
        places = []
        for b, (values, _, rows) in enumerate(runs):
            place = WgpuArray.empty(self.ctx, (len(rows),), dt.int64)
            others = [r for r in range(len(runs)) if r != b]
            for r in others:
                add_ranks(self.ctx, place, runs[r][0], values, descending, r < b, r == others[0])
            places.append(place)
        out_values, out_indices = [], []
        for _, _, rows in runs:
            vals = WgpuArray.empty(self.ctx, (len(rows),), x.dtype)
            idx = WgpuArray.empty(self.ctx, (len(rows),), dt.int64)
            for (values, indices, _), place in zip(runs, places):
                inside, local = self._in_block(place, rows)
                local = self.where(inside, local, self.full((), len(rows), dt.int64))
                self.index_put(vals, local, values, False)
                self.index_put(idx, local, indices, False)
            out_values.append(vals)
            out_indices.append(idx)
        return self.cat(out_values, 0), self.cat(out_indices, 0)


def create() -> WgpuBackend:
    return WgpuBackend(get_context())
