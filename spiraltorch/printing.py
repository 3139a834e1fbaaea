"""A torch-like repr for tensors."""
from __future__ import annotations

import numpy as np

_DEFAULT_DTYPES = ("float32", "int64", "bool")


def _float_formatter(a: np.ndarray):
    finite = a[np.isfinite(a)]
    if finite.size and np.all(finite == np.round(finite)) and np.abs(finite).max() < 1e8:
        return lambda v: f"{v:.0f}." if np.isfinite(v) else repr(float(v))
    big = finite.size and (np.abs(finite).max() >= 1e8 or
                           0 < np.abs(finite[finite != 0]).min(initial=1) < 1e-4)
    if big:
        return lambda v: f"{v:.4e}" if np.isfinite(v) else repr(float(v))
    return lambda v: f"{v:.4f}" if np.isfinite(v) else repr(float(v))


def tensor_repr(t) -> str:
    a = t.detach()._host()
    if a.dtype.kind == "f":
        a64 = a.astype(np.float64)
        fmt = _float_formatter(a64)
        width = max((len(fmt(v)) for v in a64.ravel()[:2000]), default=0)
        body = np.array2string(a64, separator=", ", threshold=1000, edgeitems=3, prefix="tensor(",
                               formatter={"float_kind": lambda v: fmt(v).rjust(width)})
    else:
        body = np.array2string(a, separator=", ", threshold=1000, edgeitems=3, prefix="tensor(")
    extras = []
    if a.size == 0 and a.ndim != 1:
        body = "[]"
        extras.append(f"size={tuple(a.shape)}")
    if t.device.type != "cpu":
        extras.insert(0, f"device='{t.device.type}'")
    if t.dtype.name not in _DEFAULT_DTYPES or (a.size == 0 and t.dtype.name != "float32"):
        extras.append(f"dtype=spiraltorch.{t.dtype.name}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn={t.grad_fn!r}")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + ", ".join([body] + extras) + ")"
