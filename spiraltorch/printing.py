"""A torch-like repr for tensors."""
from __future__ import annotations

import numpy as np


def tensor_repr(t) -> str:
    a = t.detach()._host()
    if a.dtype.kind == "f":
        body = np.array2string(a.astype(np.float64) if a.dtype == np.float16 else a,
                               separator=", ", precision=4, threshold=1000, edgeitems=3,
                               prefix="tensor(", floatmode="maxprec_equal")
    else:
        body = np.array2string(a, separator=", ", threshold=1000, edgeitems=3, prefix="tensor(")
    extras = []
    default = {"float32", "int64", "bool"}
    if t.dtype.name not in default or a.size == 0:
        extras.append(f"dtype=spiraltorch.{t.dtype.name}")
    if t.device.type != "cpu":
        extras.insert(0, f"device='{t.device.type}'")
    if t.grad_fn is not None:
        extras.append(f"grad_fn={t.grad_fn!r}")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    if a.size == 0 and a.ndim != 1:
        body = "[]"
        extras.insert(0, f"size={tuple(a.shape)}")
    return "tensor(" + ", ".join([body] + extras) + ")"
