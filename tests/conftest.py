"""Shared test fixtures: the device list, matched random inputs, and a torch comparison.

Devices under test: "cpu" always, "wgpu" when its backend is available; the environment variable
SPIRAL_TEST_DEVICES (e.g. "cpu,wgpu") replaces that list. Under CI (env CI set) "wgpu" is always
listed. A listed device that is not available skips its tests, except under CI, where they fail
with the reason.
"""
from __future__ import annotations

import os
import secrets

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, settings

from spiraltorch import backends

# Settings for this suite's property tests: the ``device`` fixture is function-scoped (its value
# never changes between examples), and lavapipe can be slow to answer the first call.
property_settings = settings(
    max_examples=40, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _device_names() -> list[str]:
    listed = os.environ.get("SPIRAL_TEST_DEVICES")
    if listed:
        return [d.strip() for d in listed.split(",") if d.strip()]
    names = ["cpu"]
    # Under CI the wgpu device must be there (lavapipe): its absence fails the run.
    if os.environ.get("CI") or backends.availability("wgpu")[0]:
        names.append("wgpu")
    return names


DEVICES = _device_names()


@pytest.fixture(params=DEVICES)
def device(request) -> str:
    name = request.param
    if name != "cpu":
        ok, why = backends.availability(name)
        if not ok:
            if os.environ.get("CI"):
                pytest.fail(f"device {name} is under test but not available: {why}")
            pytest.skip(f"device {name} not available: {why}")
    return name


def device_dtypes(device: str) -> tuple:
    return tuple(backends.get(device).caps.dtypes)


def has_dtypes(device: str, *dtypes) -> bool:
    """Whether the device computes in every one of ``dtypes`` (for hypothesis.assume: a skip
    inside a property test would skip all of its examples)."""
    have = device_dtypes(device)
    return all(dtype_name(d) in have for d in dtypes)


def need_dtypes(device: str, *dtypes) -> None:
    """Skip this combination when the device does not compute in one of ``dtypes``."""
    have = device_dtypes(device)
    for d in dtypes:
        name = dtype_name(d)
        if name not in have:
            pytest.skip(f"device {device} has no {name} (it has {', '.join(have)})")


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh generator per test; the seed is printed (shown on failure) and can be pinned
    with SPIRAL_TEST_SEED."""
    seed = int(os.environ.get("SPIRAL_TEST_SEED") or secrets.randbits(32))
    print(f"SPIRAL_TEST_SEED={seed}")
    return np.random.default_rng(seed)


def dtype_name(d) -> str:
    """'float32' for st.float32, torch.float32, np.float32 or 'float32'."""
    if isinstance(d, str):
        return d.split(".")[-1]
    if isinstance(d, torch.dtype):
        return str(d).split(".")[-1]
    if isinstance(d, (type, np.dtype)):
        return np.dtype(d).name
    return d.name


FLOAT_DTYPES = ("float16", "float32", "float64")
INT_DTYPES = ("uint8", "int32", "int64")
ALL_DTYPES = ("bool",) + INT_DTYPES + FLOAT_DTYPES


def make(rng, shape, dtype="float32", low=None, high=None, special=False):
    """A random NumPy array. Floats are normal (or uniform in [low, high)); integers are uniform
    in [low, high) (defaults keep products small); ``special`` sprinkles NaN, +-inf, -0.0, 0."""
    shape = tuple(shape)
    dtype = dtype_name(dtype)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype in INT_DTYPES:
        lo = (0 if dtype == "uint8" else -9) if low is None else low
        hi = 10 if high is None else high
        return rng.integers(lo, hi, size=shape).astype(dtype)
    if low is None:
        a = rng.standard_normal(shape)
    else:
        a = rng.uniform(low, high, size=shape)
    if special and a.size:
        flat = a.reshape(-1)
        picks = rng.integers(0, flat.size, size=max(1, flat.size // 5))
        flat[picks] = rng.choice([np.nan, np.inf, -np.inf, -0.0, 0.0], size=picks.size)
    return a.astype(dtype)


def pair(a, device="cpu", requires_grad=False):
    """The same values as a SpiralTorch tensor on ``device`` and a torch tensor on the CPU."""
    import spiraltorch as st

    a = np.asarray(a)
    s = st.tensor(a, device=device, requires_grad=requires_grad)
    t = torch.tensor(a, requires_grad=requires_grad)
    return s, t


_TOL = {"float16": (2e-3, 2e-3), "float32": (2e-5, 2e-5), "float64": (1e-10, 1e-12)}


def host(s) -> np.ndarray:
    """The values of a SpiralTorch tensor as a NumPy array, from any device."""
    return np.asarray(s.detach().cpu().numpy())


def check(s, t, rtol=None, atol=None, device=None, exact=False):
    """Assert that SpiralTorch tensor ``s`` matches torch tensor ``t``: dtype name, shape and
    values (exact for integers and bools, ``rtol``/``atol`` for floats, NaN and inf positions
    equal). ``device`` also checks where ``s`` lives."""
    import spiraltorch as st

    assert isinstance(s, st.Tensor), f"expected a spiraltorch Tensor, got {type(s).__name__}"
    sd, td = dtype_name(s.dtype), dtype_name(t.dtype)
    assert sd == td, f"dtype: expected {td}, got {sd}"
    assert tuple(s.shape) == tuple(t.shape), f"shape: expected {tuple(t.shape)}, got {tuple(s.shape)}"
    if device is not None:
        assert str(s.device).split(":")[0] == device, f"device: expected {device}, got {s.device}"
    got = host(s)
    want = t.detach().cpu().numpy()
    assert got.dtype == want.dtype, f"numpy dtype: expected {want.dtype}, got {got.dtype}"
    if exact or td not in _TOL:
        np.testing.assert_array_equal(got, want, err_msg=f"{td} values differ")
        return
    r, a = _TOL[td]
    if str(s.device).split(":")[0] != "cpu":
        r, a = r * 10, a * 10
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64),
                               rtol=r if rtol is None else rtol, atol=a if atol is None else atol,
                               equal_nan=True, err_msg=f"{td} values differ")


def torch_error_type(fn) -> type:
    """The builtin exception type torch raises from ``fn()`` (fails if torch raises nothing)."""
    try:
        fn()
    except Exception as e:  # the type is what the test wants
        for cls in type(e).__mro__:
            if cls.__module__ == "builtins":
                return cls
        return type(e)
    raise AssertionError("torch raised no error: the test case is wrong")


def check_any(s, t, **tol):
    """check() over tensors, tuples/lists of them (e.g. named tuples) and Python scalars."""
    if isinstance(t, torch.Tensor):
        check(s, t, **tol)
    elif isinstance(t, (tuple, list)):
        assert isinstance(s, (tuple, list)), f"expected a sequence, got {type(s).__name__}"
        assert len(s) == len(t), f"length: expected {len(t)}, got {len(s)}"
        for a, b in zip(s, t):
            check_any(a, b, **tol)
    else:
        assert type(s) is type(t), f"type: expected {type(t).__name__}, got {type(s).__name__}"
        np.testing.assert_allclose(s, t, rtol=1e-6, equal_nan=True)


def same_as_torch(fn, **tol):
    """``fn(module)`` with module = spiraltorch and torch: the same result, or torch's error type."""
    import spiraltorch as st

    try:
        want = fn(torch)
    except Exception:  # the oracle's error is the expected outcome
        with pytest.raises(torch_error_type(lambda: fn(torch))):
            fn(st)
        return
    check_any(fn(st), want, **tol)


class OnDevice:
    """The spiraltorch module with its creation functions defaulting to ``device``, so one
    ``fn(module, ...)`` can build index tensors for torch (cpu) and for any device under test."""

    _CREATION = frozenset({"tensor", "zeros", "ones", "full", "empty", "arange", "linspace", "eye",
                           "rand", "randn", "randint"})

    def __init__(self, device: str):
        import spiraltorch

        self._st = spiraltorch
        self._device = device

    def __getattr__(self, name):
        attr = getattr(self._st, name)
        if name not in self._CREATION:
            return attr
        device = self._device

        def create(*args, **kwargs):
            kwargs.setdefault("device", device)
            return attr(*args, **kwargs)
        return create


def to_device(obj, device):
    """``obj`` with every spiraltorch tensor inside (tuples and lists too) moved to ``device``."""
    import spiraltorch as st

    if isinstance(obj, st.Tensor):
        return obj.to(device)
    if isinstance(obj, (tuple, list)):
        return type(obj)(to_device(o, device) for o in obj)
    return obj


VIEW_KINDS = ("contiguous", "stepped", "transposed", "expanded")


def view_pair(rng, shape, dtype="float32", kind="contiguous", device="cpu", **make_kw):
    """(spiraltorch, torch) views of ``shape`` with the same values, laid out as ``kind``:
    contiguous, stepped (every other element of a wider base), transposed (all dims reversed)
    or expanded (a size-1 leading dim broadcast, so repeated rows)."""
    shape = tuple(shape)
    if kind == "stepped" and shape:
        s, t = pair(make(rng, shape[:-1] + (2 * shape[-1],), dtype, **make_kw), device)
        return s[..., ::2], t[..., ::2]
    if kind == "transposed" and len(shape) >= 2:
        rev = tuple(range(len(shape) - 1, -1, -1))
        s, t = pair(make(rng, shape[::-1], dtype, **make_kw), device)
        return s.permute(rev), t.permute(rev)
    if kind == "expanded" and shape:
        s, t = pair(make(rng, (1,) + shape[1:], dtype, **make_kw), device)
        return s.expand(shape), t.expand(shape)
    return pair(make(rng, shape, dtype, **make_kw), device)


@pytest.fixture
def clean_heuristics(monkeypatch, tmp_path):
    """No user program or table leaks in; the table folder is an empty temporary one."""
    from spiraltorch import heuristics

    monkeypatch.delenv("SPIRAL_HEUR_K", raising=False)
    monkeypatch.delenv("SPIRAL_HEUR_TABLE", raising=False)
    monkeypatch.setenv("SPIRAL_TABLE_DIR", str(tmp_path / "tables"))
    heuristics.reload()
    yield
    heuristics.reload()
