"""Tensor: a device array with a dtype, a device and autograd state.

Methods and operators delegate to ``spiraltorch.ops``; they are attached at the end of
``ops/__init__.py`` so that this file holds only the Tensor's own state.
"""
from __future__ import annotations

from . import autograd
from . import backends as _backends


class Size(tuple):
    """A tensor's shape: a tuple that prints like torch.Size."""

    def __repr__(self):
        return f"spiraltorch.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n


class device:
    """A device name, e.g. ``device("wgpu")``; compares equal to its name."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        name, _, idx = str(type).partition(":")
        if name not in _backends.DEVICES:
            raise RuntimeError(
                f"Expected one of {', '.join(_backends.DEVICES)} device type at start of device "
                f"string: {type}")
        self.type = name
        self.index = int(idx) if idx else index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type

    def __hash__(self):
        return hash(self.type)

    def __str__(self):
        return self.type

    def __repr__(self):
        return f"device(type='{self.type}')"


class Tensor:
    __slots__ = ("_data", "_be", "_node", "requires_grad", "_grad", "_ver", "_base", "_view_fn",
                 "__weakref__")

    def __init__(self, data, backend, ver=None, requires_grad=False):
        self._data = data
        self._be = backend
        self._node = None
        self._grad = None
        self._ver = ver if ver is not None else [0]  # shared by every view of one storage
        self._base = None  # for a view: the tensor that owns the storage
        self._view_fn = None  # for a view: makes the same view of any tensor shaped like _base
        self.requires_grad = requires_grad

    # -- attributes -----------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._be.shape(self._data))

    def size(self, dim=None):
        if dim is None:
            return self.shape
        from .ops.core import norm_dim
        return self.shape[norm_dim(dim, self.ndim)]

    @property
    def dtype(self):
        return self._be.dtype(self._data)

    @property
    def device(self) -> device:
        return device(self._be.name)

    @property
    def ndim(self) -> int:
        return len(self._be.shape(self._data))

    def dim(self) -> int:
        return self.ndim

    def numel(self) -> int:
        return self.shape.numel()

    nelement = numel

    def element_size(self) -> int:
        return self.dtype.itemsize

    def stride(self, dim=None):
        s = tuple(self._be.strides(self._data))
        return s if dim is None else s[dim]

    def is_contiguous(self) -> bool:
        return self._be.is_contiguous(self._data)

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    @property
    def grad_fn(self):
        return self._node

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if tuple(value.shape) != tuple(self.shape):
                raise RuntimeError(f"assigned grad has data of a different size: "
                                   f"{list(value.shape)} vs {list(self.shape)}")
        self._grad = value

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def retain_grad(self):
        if self._node is not None:
            self._node.retained = self

    def requires_grad_(self, requires_grad=True):
        if requires_grad and not self.dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point dtype can require gradients, "
                               f"got {self.dtype.name}")
        if not requires_grad and self._node is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables.")
        self.requires_grad = bool(requires_grad)
        return self

    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        autograd.backward(self, gradient)

    def detach(self):
        return Tensor(self._data, self._be, self._ver)

    def detach_(self):
        self._node = None
        self.requires_grad = False
        return self

    def _bump(self):
        self._ver[0] += 1

    # -- conversion -----------------------------------------------------------------------
    def numpy(self):
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if self._be.name != "cpu":
            raise TypeError(f"can't convert {self._be.name} device type tensor to numpy. Use "
                            "Tensor.cpu() to copy the tensor to host memory first.")
        return self._be.to_numpy(self._data)

    def _host(self):
        """A NumPy array of the values, whatever the device (a copy off the cpu)."""
        return self._be.to_numpy(self._data)

    def __array__(self, dtype=None, copy=None):
        a = self.detach()._host()
        return a if dtype is None else a.astype(dtype)

    def item(self):
        n = self.numel()
        if n != 1:
            raise RuntimeError(f"a Tensor with {n} elements cannot be converted to Scalar")
        return self._host().reshape(()).item()

    def tolist(self):
        return self._host().tolist()

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __bool__(self):
        n = self.numel()
        if n != 1:
            raise RuntimeError(f"Boolean value of Tensor with {n} values is ambiguous")
        return bool(self.item())

    def __int__(self):
        return int(self.item())

    def __float__(self):
        return float(self.item())

    def __index__(self):
        if self.dtype.category == 2 or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __hash__(self):
        return id(self)

    def __dlpack__(self, *args, **kwargs):
        if self._be.name != "cpu":
            raise BufferError(f"__dlpack__ is not supported for {self._be.name} tensors; "
                              "call .cpu() first")
        return self._host().__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        if self._be.name != "cpu":
            raise BufferError(f"__dlpack_device__ is not supported for {self._be.name} tensors")
        return self._host().__dlpack_device__()

    def __repr__(self):
        from .printing import tensor_repr
        return tensor_repr(self)

    __str__ = __repr__
