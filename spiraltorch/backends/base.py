"""The contract every device implements, and DeviceCaps.

A backend owns its array type and implements the primitives below; everything else in the Tensor
API is composed from them in ``spiraltorch.ops``. Arrays carry shape, strides and dtype; movement
primitives return views where the device can. Dtypes are ``spiraltorch.dtypes.dtype`` objects.
Callers have already checked arguments and promoted dtypes: a primitive may assume its operands
are valid and on this device.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DeviceCaps:
    """What a device can do; the heuristics clamp Choices to it and the tuner keys tables on it."""

    device: str  # "cpu" | "cuda" | "wgpu" | "mps"
    dtypes: tuple  # dtype names the device computes in
    subgroups: bool = False
    subgroup_size: int = 0  # 0 when the device has no subgroups
    max_workgroup_size: int = 1
    max_workgroup_memory: int = 0  # bytes
    max_buffer_size: int = 0  # bytes; 0 = no device limit
    max_binding_size: int = 0  # bytes; 0 = no device limit
    threads: int = 1  # CPU worker threads, or compute units for a GPU
    vendor: str = ""
    name: str = ""
    driver: str = ""
    api: str = ""  # Vulkan, Metal, D3D12, CUDA, ...
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @abstractmethod
    def identity(self) -> dict:
        return {"device": self.device, "vendor": self.vendor, "name": self.name,
                "driver": self.driver, "api": self.api}


# Names of the element-wise and reduction primitives, shared by every backend.
UNARY_OPS = ("neg", "abs", "exp", "log", "log1p", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid",
             "relu", "sign", "floor", "ceil", "round", "isnan", "isinf", "isfinite", "logical_not",
             "bitwise_not")
BINARY_OPS = ("add", "sub", "mul", "div", "pow", "maximum", "minimum", "fmod", "remainder",
              "floor_divide", "eq", "ne", "lt", "le", "gt", "ge",
              "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor")
COMPARE_OPS = ("eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor",
               "isnan", "isinf", "isfinite", "logical_not")
REDUCE_OPS = ("sum", "prod", "max", "min", "any", "all")
ARG_REDUCE_OPS = ("argmax", "argmin")


class Backend(ABC):
    """The primitive set. Each method's docstring is the contract."""

    name = "base"
    # Backend-specific Choice fields and their legal inclusive ranges, e.g. {"alg": (0, 1)}.
    choice_fields: dict = {}

    @property
    @abstractmethod
    def caps(self) -> DeviceCaps:
        ...

    # -- allocation and transfer ------------------------------------------------------------
    @abstractmethod
    def from_numpy(self, a):
        """A device array with the values of the NumPy array ``a`` (any strides).

        The cpu device shares ``a``'s memory; callers that need a copy pass one."""
        ...

    @abstractmethod
    def to_numpy(self, x):
        """A NumPy array with the values of ``x`` (a copy for devices other than cpu)."""
        ...

    @abstractmethod
    def shape(self, x) -> tuple:
        ...

    @abstractmethod
    def strides(self, x) -> tuple:
        """Strides in elements."""
        ...

    @abstractmethod
    def dtype(self, x):
        ...

    @abstractmethod
    def full(self, shape, value, dtype):
        ...

    @abstractmethod
    def arange(self, start, stop, step, dtype):
        ...

    @abstractmethod
    def random(self, kind, shape, dtype, seed, low=0, high=1):
        """kind: "uniform" [low, high), "normal" (mean low, std high), "integers" [low, high)."""
        ...

    # -- movement: views where possible -----------------------------------------------------
    @abstractmethod
    def reshape(self, x, shape):
        ...

    @abstractmethod
    def permute(self, x, dims):
        ...

    @abstractmethod
    def expand(self, x, shape):
        ...

    @abstractmethod
    def slice(self, x, slices):
        """``slices``: one (start, stop, step) per axis, already normalised, step > 0."""
        ...

    @abstractmethod
    def contiguous(self, x):
        ...

    @abstractmethod
    def is_contiguous(self, x) -> bool:
        ...

    def copy(self, x):
        """A new contiguous array with the values of ``x``."""
        out = self.full(self.shape(x), 0, self.dtype(x))
        self.assign(out, x)
        return out

    @abstractmethod
    def assign(self, dst, src):
        """Write ``src`` (broadcastable, same dtype) into the view ``dst`` in place."""
        ...

    # -- compute ----------------------------------------------------------------------------
    @abstractmethod
    def cast(self, x, dtype):
        ...

    @abstractmethod
    def unary(self, op, x):
        """op in UNARY_OPS; same dtype out, except bool for the COMPARE_OPS."""
        ...

    @abstractmethod
    def binary(self, op, a, b):
        """op in BINARY_OPS; a and b share a dtype and broadcast; bool out for COMPARE_OPS."""
        ...

    @abstractmethod
    def where(self, cond, a, b):
        """cond bool or uint8; a and b share a dtype; all three broadcast."""
        ...

    @abstractmethod
    def reduce(self, op, x, axes, keepdim):
        """op in REDUCE_OPS over a tuple of axes; sum/prod keep the dtype they are given."""
        ...

    @abstractmethod
    def arg_reduce(self, op, x, axis, keepdim):
        """op in ARG_REDUCE_OPS; int64 out; NaN wins; ties take the lowest index."""
        ...

    @abstractmethod
    def matmul(self, a, b):
        """Batched matmul with broadcasting over leading dims; both at least 2-D."""
        ...

    @abstractmethod
    def gather(self, x, dim, index):
        ...

    @abstractmethod
    def scatter_add(self, x, dim, index, src):
        """A new array: x with src added at index along dim."""
        ...

    @abstractmethod
    def index_select(self, x, dim, index):
        ...

    @abstractmethod
    def index_put(self, x, index, values, accumulate):
        """In place on contiguous 1-D ``x``: x[index] = values (or +=). index int64 1-D."""
        ...

    @abstractmethod
    def nonzero(self, x):
        """int64 array (n, ndim) of the coordinates of non-zero elements, in row-major order."""
        ...

    @abstractmethod
    def cat(self, xs, dim):
        ...

    @abstractmethod
    def topk(self, x, k, largest, sorted, choice):
        """x is 2-D (rows, cols), any strides. Returns (values, int64 indices), each (rows, k).

        NaN ranks above +inf, -0.0 equals +0.0, equal keys rank by ascending index; with
        largest=False the order is ascending with NaN last. ``choice`` is a heuristics Choice:
        it changes speed, never the result."""
        ...

    @abstractmethod
    def sort(self, x, dim, descending, stable):
        """(values, int64 indices) along dim, NaN treated as the largest value; ties by index."""
        ...
