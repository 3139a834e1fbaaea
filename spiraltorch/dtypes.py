"""dtype objects and torch's type-promotion rules."""
from __future__ import annotations

import numpy as np


class dtype:
    """A tensor element type, named and compared like ``torch.float32``."""

    __slots__ = ("name", "np", "itemsize", "category")

    def __init__(self, name: str, np_dtype, category: int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self.category = category  # 0 bool, 1 integer, 2 floating

    @property
    def is_floating_point(self) -> bool:
        return self.category == 2

    @property
    def is_signed(self) -> bool:
        return self.name not in ("bool", "uint8")

    def __repr__(self) -> str:
        return f"spiraltorch.{self.name}"

    def __reduce__(self):
        return (to_dtype, (self.name,))


bool_ = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)

ALL = (bool_, uint8, int32, int64, float16, float32, float64)
BY_NAME = {d.name: d for d in ALL}
BY_NAME.update({"float": float32, "double": float64, "half": float16, "int": int32, "long": int64})
_BY_NP = {d.np: d for d in ALL}

default_float = float32

# Promotion lattice: the result of promoting two dtypes is the lowest that holds both.
_RANK = {bool_: 0, uint8: 1, int32: 2, int64: 3, float16: 4, float32: 5, float64: 6}


def to_dtype(x) -> dtype:
    """Accept a spiraltorch dtype, a name, a NumPy dtype, a torch dtype or a Python type."""
    if isinstance(x, dtype):
        return x
    if x is bool:
        return bool_
    if x is int:
        return int64
    if x is float:
        return default_float
    if isinstance(x, str):
        name = x.split(".")[-1]
        if name in BY_NAME:
            return BY_NAME[name]
    else:
        name = str(x).split(".")[-1]
        if name in BY_NAME:
            return BY_NAME[name]
        try:
            npd = np.dtype(x)
        except TypeError:
            npd = None
        if npd is not None and npd in _BY_NP:
            return _BY_NP[npd]
    raise TypeError(f"unsupported dtype {x!r}; spiraltorch has {', '.join(d.name for d in ALL)}")


def from_numpy_dtype(npd) -> dtype:
    npd = np.dtype(npd)
    if npd in _BY_NP:
        return _BY_NP[npd]
    raise TypeError(
        f"can't convert np.ndarray of type numpy.{npd.name}. The only supported types are: "
        + ", ".join(d.name for d in ALL)
    )


def promote_types(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    if {a, b} == {uint8, bool_}:
        return uint8
    return a if _RANK[a] >= _RANK[b] else b


def _scalar_dtype(v) -> dtype:
    if isinstance(v, (bool, np.bool_)):
        return bool_
    if isinstance(v, (int, np.integer)):
        return int64
    if isinstance(v, (float, np.floating)):
        return default_float
    raise TypeError(f"unsupported scalar type {type(v).__name__}")


def _combine(higher, lower):
    """torch's combine_categories: a lower-priority tier only raises the category."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.category == 2:
        return higher
    if higher is bool_ or lower.category == 2:
        return promote_types(higher, lower)
    return higher


def result_type(*operands) -> dtype:
    """torch.result_type over tensors (anything with .dtype and .ndim) and Python scalars.

    Dimensioned tensors decide the width; 0-d tensors and scalars may raise the category
    (bool < integer < floating) but never the width within it."""
    dim = zero = wrapped = None
    for o in operands:
        if hasattr(o, "dtype") and hasattr(o, "ndim"):
            d = o.dtype
            if o.ndim > 0:
                dim = d if dim is None else promote_types(dim, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
        else:
            d = _scalar_dtype(o)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
    out = _combine(dim, _combine(zero, wrapped))
    if out is None:
        raise TypeError("result_type needs at least one operand")
    return out
