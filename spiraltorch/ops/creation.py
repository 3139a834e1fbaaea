"""Creation ops, random numbers, device transfer and dtype conversion."""
from __future__ import annotations

import math
import numbers
import os

import numpy as np

from .. import dtypes as dt
from ..autograd import record
from ..tensor import Tensor
from .core import backend_for, cast, unsupported, wrap
from .shape import _shape_arg

_rng = {"seed": int.from_bytes(os.urandom(8), "little"), "count": 0}


def manual_seed(seed: int):
    """Seed every device's random numbers, as torch.manual_seed."""
    _rng["seed"] = int(seed) & (2**64 - 1)
    _rng["count"] = 0


def initial_seed() -> int:
    return _rng["seed"]


def _next_seed() -> int:
    _rng["count"] += 1
    return hash((_rng["seed"], _rng["count"])) & (2**63 - 1)


def _finish(data, be, requires_grad) -> Tensor:
    out = wrap(data, be)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _host_array(data):
    """Nested lists/scalars/arrays -> a NumPy array with torch's dtype inference."""
    if isinstance(data, Tensor):
        return data.detach()._host()
    if isinstance(data, np.ndarray):
        return data
    if hasattr(data, "__dlpack__") or hasattr(data, "__array__"):
        return np.asarray(data)
    shape = []
    _infer_shape(data, 0, shape)
    flat = []
    _flatten(data, flat)
    kinds = {type(v) for v in flat}
    if not flat:
        return np.zeros(shape, dtype=np.float32)
    if all(issubclass(k, (bool, np.bool_)) for k in kinds):
        npd = np.bool_
    elif all(issubclass(k, (bool, np.bool_, numbers.Integral)) for k in kinds):
        npd = np.int64
    else:
        npd = np.float64
    return np.array(flat, dtype=npd).reshape(shape)


def _infer_shape(data, depth, shape, leaf=None):
    """Fill ``shape`` from nested sequences; ragged nesting is torch's ValueError."""
    if isinstance(data, (list, tuple)):
        if leaf and depth >= leaf[0]:
            raise TypeError(f"'list' object cannot be interpreted as an integer: expected a "
                            f"number at dim {depth}, got a sequence of length {len(data)}")
        if len(shape) <= depth:
            shape.append(len(data))
        elif shape[depth] != len(data):
            raise ValueError(f"expected sequence of length {shape[depth]} at dim {depth} "
                             f"(got {len(data)})")
        leaf = leaf if leaf is not None else []
        for v in data:
            _infer_shape(v, depth + 1, shape, leaf)
    else:
        if isinstance(data, str):
            raise ValueError(f"too many dimensions 'str': can't make a tensor of {data!r}")
        if len(shape) > depth:
            raise ValueError(f"expected sequence of length {shape[depth]} at dim {depth} (got a "
                             f"{type(data).__name__})")
        if leaf is not None and not leaf:
            leaf.append(depth)


def _flatten(data, out):
    if isinstance(data, (list, tuple)):
        for v in data:
            _flatten(v, out)
    elif isinstance(data, Tensor):
        out.append(data.item())
    elif isinstance(data, (numbers.Number, np.generic)):
        out.append(data)
    else:
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")


def tensor(data, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    a = _host_array(data)
    d = dt.to_dtype(dtype) if dtype is not None else None
    if d is None:
        python_floats = isinstance(data, (list, tuple, numbers.Number)) and a.dtype == np.float64
        d = dt.default_float if python_floats else dt.from_numpy_dtype(a.dtype)
    be = backend_for(device if device is not None else
                     (data.device.type if isinstance(data, Tensor) else None))
    return _finish(be.from_numpy(np.array(a, dtype=d.np, copy=True, order="C")), be, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    if isinstance(data, Tensor):
        out = data if dtype is None else data.to(dtype)
        return out if device is None else out.to(device)
    if isinstance(data, np.ndarray) and device in (None, "cpu") and (
            dtype is None or dt.to_dtype(dtype).np == data.dtype):
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(a: np.ndarray) -> Tensor:
    if not isinstance(a, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(a).__name__})")
    dt.from_numpy_dtype(a.dtype)
    return wrap(a, backend_for("cpu"))


def from_dlpack(obj) -> Tensor:
    if hasattr(obj, "__dlpack_device__") and obj.__dlpack_device__()[0] != 1:
        raise RuntimeError(f"from_dlpack: only CPU (kDLCPU) DLPack tensors are zero-copy here; "
                           f"got device {obj.__dlpack_device__()}")
    return from_numpy(np.from_dlpack(obj))


def _fill(shape, value, dtype, device, requires_grad) -> Tensor:
    shape = _shape_arg(shape)
    for s in shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(shape)}")
    be = backend_for(device)
    return _finish(be.full(shape, value, dtype), be, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _fill(size, 0, dt.to_dtype(dtype or dt.default_float), device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _fill(size, 1, dt.to_dtype(dtype or dt.default_float), device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    d = dt.to_dtype(dtype) if dtype is not None else dt.result_type(fill_value)
    return _fill(size, fill_value, d, device, requires_grad)


def _like(x: Tensor, dtype, device):
    return (dt.to_dtype(dtype) if dtype is not None else x.dtype,
            device if device is not None else x.device.type)


def zeros_like(x, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    d, dev = _like(x, dtype, device)
    return _fill(tuple(x.shape), 0, d, dev, requires_grad)


def ones_like(x, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    d, dev = _like(x, dtype, device)
    return _fill(tuple(x.shape), 1, d, dev, requires_grad)


def empty_like(x, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return zeros_like(x, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(x, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    d, dev = _like(x, dtype, device)
    return _fill(tuple(x.shape), fill_value, d, dev, requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if end is None:
        start, end = 0, start
    args = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = args
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"upper bound and larger bound inconsistent with step sign: start="
                           f"{start}, end={end}, step={step}")
    d = dt.to_dtype(dtype) if dtype is not None else dt.result_type(*args)
    if d is dt.bool_:
        raise unsupported("arange_cpu", d)
    n = max(math.ceil((end - start) / step), 0)
    be = backend_for(device)
    if n == 0:
        return _finish(be.full((0,), 0, d), be, requires_grad)
    return _finish(be.arange(start, start + n * step, step, d), be, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if steps < 0:
        raise RuntimeError(f"linspace(): number of steps must be non-negative, got {steps}")
    d = dt.to_dtype(dtype or dt.default_float)
    values = np.linspace(float(start), float(end), int(steps), dtype=np.float64)
    if steps > 1:
        i = np.arange(steps)
        step = (float(end) - float(start)) / (steps - 1)
        values = np.where(i < steps // 2, start + i * step, end - (steps - 1 - i) * step)
    be = backend_for(device)
    return _finish(be.from_numpy(values.astype(d.np)), be, requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    m = n if m is None else m
    if n < 0 or m < 0:
        raise RuntimeError(f"n and m must be non-negative, got n={n}, m={m}")
    d = dt.to_dtype(dtype or dt.default_float)
    be = backend_for(device)
    return _finish(be.from_numpy(np.eye(n, m, dtype=d.np)), be, requires_grad)


def _random(kind, size, dtype, device, requires_grad, low=0, high=1) -> Tensor:
    shape = _shape_arg(size)
    d = dt.to_dtype(dtype or (dt.int64 if kind == "integers" else dt.default_float))
    if kind != "integers" and not d.is_floating_point:
        raise unsupported("check_uniform_bounds" if kind == "uniform" else "normal_kernel_cpu", d)
    be = backend_for(device)
    return _finish(be.random(kind, shape, d, _next_seed(), low, high), be, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _random("uniform", size, dtype, device, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _random("normal", size, dtype, device, requires_grad, 0, 1)


def randint(low, high=None, size=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    return _random("integers", size, dtype, device, requires_grad, low, high)


def rand_like(x, *, dtype=None, device=None) -> Tensor:
    d, dev = _like(x, dtype, device)
    return rand(tuple(x.shape), dtype=d, device=dev)


def randn_like(x, *, dtype=None, device=None) -> Tensor:
    d, dev = _like(x, dtype, device)
    return randn(tuple(x.shape), dtype=d, device=dev)


def randint_like(x, low, high=None, *, dtype=None, device=None) -> Tensor:
    d, dev = _like(x, dtype, device)
    return randint(low, high, tuple(x.shape), dtype=d, device=dev)


def to_device(x: Tensor, device) -> Tensor:
    dst = backend_for(device)
    if dst is x._be:
        return x
    src_name = x._be.name
    out = wrap(dst.from_numpy(np.array(x._be.to_numpy(x._data), copy=True, order="C")), dst)
    return record(out, (x,), lambda g: (to_device(g, src_name),), "ToDevice", saved=False)


def to(x: Tensor, *args, **kwargs) -> Tensor:
    """x.to(device), x.to(dtype), x.to(other), x.to(device, dtype)."""
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            device, dtype = a.device.type, a.dtype
        elif isinstance(a, dt.dtype) or a in (float, int, bool) or (
                not isinstance(a, str) and "dtype" in type(a).__name__):
            dtype = a
        else:
            device = a
    out = x
    if device is not None:
        from ..tensor import device as device_cls
        out = to_device(out, device_cls(device).type)
    if dtype is not None:
        out = cast(out, dt.to_dtype(dtype))
    if copy and out is x:
        out = x.clone()
    return out
