"""The op families, and the Tensor methods and operators that delegate to them."""
from __future__ import annotations

import numbers

from ..tensor import Tensor
from . import creation, elementwise, indexing, linalg, reduction, selection, shape
from .core import cast
from .elementwise import inplace


def _operand_ok(b) -> bool:
    return isinstance(b, (Tensor, numbers.Number))


def _operator(fn):
    """An operator method: NotImplemented for operands that are not tensors or numbers."""
    return lambda a, b: fn(a, b) if _operand_ok(b) else NotImplemented


def _reflect(fn):
    return lambda a, b: fn(b, a) if _operand_ok(b) else NotImplemented


def _inplace(fn):
    def method(self, *args, **kwargs):
        return inplace(self, lambda s, *a: fn(s, *a, **kwargs), *args)
    return method


def _dtype_method(d):
    from .. import dtypes as dt
    return lambda self: cast(self, getattr(dt, d))


def _invert(x):
    from .. import dtypes as dt
    return elementwise.logical_not(x) if x.dtype is dt.bool_ else elementwise.bitwise_not(x)


_METHODS = {
    # elementwise
    **{name: getattr(elementwise, name) for name in (
        "neg", "abs", "exp", "log", "log1p", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid",
        "relu", "sign", "floor", "ceil", "round", "isnan", "isinf", "isfinite", "logical_not",
        "bitwise_not", "add", "sub", "mul", "div", "pow", "maximum", "minimum", "fmod",
        "remainder", "floor_divide", "clamp", "clamp_min", "clamp_max", "eq", "ne", "lt", "le",
        "gt", "ge", "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or",
        "bitwise_xor", "fill_", "zero_", "copy_")},
    "where": lambda self, condition, other: elementwise.where(condition, self, other),
    "negative": elementwise.neg, "subtract": elementwise.sub, "multiply": elementwise.mul,
    "divide": elementwise.div, "true_divide": elementwise.div, "clip": elementwise.clamp,
    "greater": elementwise.gt, "less": elementwise.lt, "greater_equal": elementwise.ge,
    "less_equal": elementwise.le, "not_equal": elementwise.ne,
    # reductions
    **{name: getattr(reduction, name) for name in (
        "sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std",
        "logsumexp", "softmax", "log_softmax", "all", "any")},
    # linear algebra
    "matmul": linalg.matmul, "mm": linalg.mm, "bmm": linalg.bmm,
    # shape
    **{name: getattr(shape, name) for name in (
        "reshape", "view", "flatten", "squeeze", "unsqueeze", "permute", "transpose", "t",
        "expand", "expand_as", "broadcast_to", "contiguous", "clone", "narrow", "split", "chunk",
        "movedim")},
    "T": property(shape.T), "mT": property(shape.mT),
    # indexing and selection
    **{name: getattr(indexing, name) for name in (
        "gather", "scatter_add", "scatter", "index_select", "nonzero", "masked_fill")},
    "topk": selection.topk, "top_k": selection.topk, "sort": selection.sort,
    "argsort": selection.argsort,
    "__getitem__": indexing.getitem, "__setitem__": indexing.setitem,
    # conversion
    "to": creation.to, "cpu": lambda self: creation.to(self, "cpu"),
    "type_as": lambda self, other: creation.to(self, other.dtype),
    **{name: _dtype_method(d) for name, d in (
        ("float", "float32"), ("half", "float16"), ("double", "float64"), ("int", "int32"),
        ("long", "int64"), ("bool", "bool_"), ("byte", "uint8"))},
    # operators
    "__add__": _operator(elementwise.add), "__radd__": _reflect(elementwise.add),
    "__sub__": _operator(elementwise.sub), "__rsub__": _reflect(elementwise.sub),
    "__mul__": _operator(elementwise.mul), "__rmul__": _reflect(elementwise.mul),
    "__truediv__": _operator(elementwise.div), "__rtruediv__": _reflect(elementwise.div),
    "__floordiv__": _operator(elementwise.floor_divide), "__rfloordiv__": _reflect(elementwise.floor_divide),
    "__mod__": _operator(elementwise.remainder), "__rmod__": _reflect(elementwise.remainder),
    "__pow__": _operator(elementwise.pow), "__rpow__": _reflect(elementwise.pow),
    "__matmul__": _operator(linalg.matmul), "__rmatmul__": _reflect(linalg.matmul),
    "__neg__": elementwise.neg, "__pos__": elementwise.positive, "__abs__": elementwise.abs,
    "__invert__": _invert,
    "__and__": _operator(elementwise.bitwise_and), "__rand__": _reflect(elementwise.bitwise_and),
    "__or__": _operator(elementwise.bitwise_or), "__ror__": _reflect(elementwise.bitwise_or),
    "__xor__": _operator(elementwise.bitwise_xor), "__rxor__": _reflect(elementwise.bitwise_xor),
    **{f"__{name}__": _operator(getattr(elementwise, name))
       for name in ("eq", "ne", "lt", "le", "gt", "ge")},
}

_INPLACE = {
    "add_": elementwise.add, "sub_": elementwise.sub, "mul_": elementwise.mul,
    "div_": elementwise.div, "pow_": elementwise.pow, "clamp_": elementwise.clamp,
    "neg_": elementwise.neg, "abs_": elementwise.abs, "exp_": elementwise.exp,
    "log_": elementwise.log, "sqrt_": elementwise.sqrt, "relu_": elementwise.relu,
    "sigmoid_": elementwise.sigmoid, "tanh_": elementwise.tanh, "floor_": elementwise.floor,
    "ceil_": elementwise.ceil, "round_": elementwise.round, "masked_fill_": indexing.masked_fill,
    "__iadd__": elementwise.add, "__isub__": elementwise.sub, "__imul__": elementwise.mul,
    "__itruediv__": elementwise.div, "__ipow__": elementwise.pow,
    "__iand__": elementwise.bitwise_and, "__ior__": elementwise.bitwise_or,
    "__ixor__": elementwise.bitwise_xor,
}

for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)
for _name, _fn in _INPLACE.items():
    setattr(Tensor, _name, _inplace(_fn))
# NumPy scalars and arrays on the left of an operator defer to the Tensor's reflected method.
Tensor.__array_ufunc__ = None
