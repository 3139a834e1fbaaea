"""WgpuArray: a strided view of a pooled GPU buffer.

Views share one ``Storage``; when the last view goes away the buffer returns to the pool.
Shape, strides and offset are in elements of the dtype's storage layout (``STORAGE_ITEMSIZE``).
"""
from __future__ import annotations

import math
import weakref

# Bytes one element occupies in a buffer. bool and uint8 take a whole u32 so that kernels write
# them without read-modify-write races; int64 is a (lo, hi) pair of u32.
STORAGE_ITEMSIZE = {"bool": 4, "uint8": 4, "int32": 4, "float32": 4, "float16": 2, "int64": 8}


def storage_itemsize(dtype) -> int:
    size = STORAGE_ITEMSIZE.get(dtype.name)
    if size is None:
        raise TypeError(f"the wgpu device does not support dtype {dtype.name}; "
                        "use float32 (or move the tensor to the cpu device)")
    return size


def contiguous_strides(shape) -> tuple:
    strides, acc = [], 1
    for n in reversed(shape):
        strides.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(strides))


class Storage:
    """Owns one pooled buffer; returns it to the pool when garbage-collected."""

    __slots__ = ("buffer", "ctx", "nbytes", "__weakref__")

    def __init__(self, buffer, ctx, nbytes: int | None = None):
        self.buffer = buffer
        self.ctx = ctx
        self.nbytes = buffer.size if nbytes is None else nbytes
        weakref.finalize(self, ctx.release, buffer)


class WgpuArray:
    __slots__ = ("storage", "shape", "strides", "offset", "dtype")

    def __init__(self, buffer, shape, strides, offset, dtype, ctx=None):
        if not isinstance(buffer, Storage):
            buffer = Storage(buffer, ctx)
        self.storage = buffer
        self.shape = tuple(int(n) for n in shape)
        self.strides = tuple(int(s) for s in strides)
        self.offset = int(offset)
        self.dtype = dtype

    @classmethod
    def empty(cls, ctx, shape, dtype) -> WgpuArray:
        shape = tuple(int(n) for n in shape)
        nbytes = max(math.prod(shape), 1) * storage_itemsize(dtype)
        nbytes += -nbytes % 4
        return cls(Storage(ctx.buffer(nbytes), ctx, nbytes), shape, contiguous_strides(shape), 0,
                   dtype)

    @property
    def buffer(self):
        return self.storage.buffer

    @property
    def ctx(self):
        return self.storage.ctx

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def itemsize(self) -> int:
        return STORAGE_ITEMSIZE[self.dtype.name]

    def is_contiguous(self) -> bool:
        expected = 1
        for n, s in zip(reversed(self.shape), reversed(self.strides)):
            if n != 1 and s != expected:
                return False
            expected *= n
        return True

    def view(self, shape, strides, offset) -> WgpuArray:
        return WgpuArray(self.storage, shape, strides, offset, self.dtype)

    def __repr__(self) -> str:
        return (f"WgpuArray(shape={self.shape}, strides={self.strides}, offset={self.offset}, "
                f"dtype={self.dtype.name})")


__all__ = ["WgpuArray", "Storage", "STORAGE_ITEMSIZE", "storage_itemsize", "contiguous_strides"]
