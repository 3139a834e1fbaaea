"""SpiralTorch: a Torch-like tensor library whose kernels tune themselves.

``import spiraltorch as st`` gives torch's names and semantics: ``st.tensor``, ``st.randn``,
``st.topk``, ``x.backward()``, ``st.no_grad()``... on the devices "cpu" and "wgpu".
"""
from __future__ import annotations

from . import dtypes as _dt
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .dtypes import dtype, promote_types, result_type
from .tensor import Size, Tensor, device
from . import ops as _ops
from .ops.creation import (arange, as_tensor, empty, empty_like, eye, from_dlpack, from_numpy,
                           full, full_like, initial_seed, linspace, manual_seed, ones, ones_like,
                           rand, rand_like, randint, randint_like, randn, randn_like, tensor, zeros,
                           zeros_like)
from .ops.elementwise import (abs, add, bitwise_and, bitwise_not, bitwise_or, bitwise_xor, ceil,
                              clamp, cos, div, eq, exp, floor, floor_divide, fmod, ge, gt, isfinite,
                              isinf, isnan, le, log, log1p, logical_and, logical_not, logical_or,
                              logical_xor, lt, maximum, minimum, mul, ne, neg, pow, relu, remainder,
                              round, rsqrt, sigmoid, sign, sin, sqrt, sub, tanh, where)
from .ops.indexing import gather, index_select, masked_fill, nonzero, scatter, scatter_add
from .ops.linalg import bmm, matmul, mm
from .ops.reduction import (all, amax, amin, any, argmax, argmin, log_softmax, logsumexp, max,
                            mean, min, prod, softmax, std, sum, var)
from .ops.selection import argsort, sort, top_k, topk
from .ops.shape import (broadcast_shapes, broadcast_tensors, broadcast_to, cat, chunk, clone,
                        flatten, movedim, narrow, permute, reshape, split, squeeze, stack, t,
                        transpose, unsqueeze)

__version__ = "0.1.0"

bool = _dt.bool_
uint8 = _dt.uint8
int32 = _dt.int32
int64 = _dt.int64
float16 = _dt.float16
float32 = _dt.float32
float64 = _dt.float64
half, float, double, int, long = float16, float32, float64, int32, int64
concat = concatenate = cat
clip = clamp
negative = neg


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(x: Tensor) -> int:
    return x.numel()


def get_default_dtype():
    return _dt.default_float


del _ops
