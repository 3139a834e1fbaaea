"""Reductions over all dims, one dim, several dims, with keepdim; compared with torch."""
import warnings

import numpy as np
import pytest
import torch
from conftest import (ALL_DTYPES, FLOAT_DTYPES, VIEW_KINDS, check, check_any, has_dtypes, make, need_dtypes,
                      pair, property_settings, same_as_torch, view_pair)
from hypothesis import assume, given
from hypothesis import strategies as hs
from hypothesis.extra.numpy import array_shapes

import spiraltorch as st

FLOAT_REDUCTIONS = ["sum", "mean", "prod", "amax", "amin", "var", "std", "logsumexp"]
DIMS = [None, 0, 1, -1, (0, 2), (-1, 0), (0, 1, 2)]


def _call(x, name, dim, keepdim):
    if dim is None:
        if name == "logsumexp":
            return x.logsumexp(dim=tuple(range(x.ndim)), keepdim=keepdim)
        return getattr(x, name)()
    return getattr(x, name)(dim=dim, keepdim=keepdim)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("name", FLOAT_REDUCTIONS)
def test_float_reductions(device, rng, name, dim, keepdim):
    a = make(rng, (3, 4, 5), low=0.5 if name == "prod" else None, high=1.5)
    s, t = pair(a, device)
    same_as_torch(lambda m: _call(s if m is st else t, name, dim, keepdim))


@pytest.mark.parametrize("name", FLOAT_REDUCTIONS + ["max", "min", "argmax", "argmin", "all", "any"])
def test_reductions_of_non_contiguous_views(device, rng, name):
    a = make(rng, (6, 8), low=0.5, high=1.5)
    s, t = pair(a, device)
    for view in (lambda x: x.T, lambda x: x[::2, 1::3], lambda x: x[:, :1].expand(6, 4)):
        same_as_torch(lambda m: getattr(view(s if m is st else t), name)(dim=0))
        same_as_torch(lambda m: getattr(view(s if m is st else t), name)())


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("name", ["sum", "prod", "mean", "amax", "amin", "max", "min", "argmax",
                                  "argmin", "all", "any", "logsumexp", "var"])
def test_reduction_result_dtypes(device, rng, name, dtype):
    need_dtypes(device, dtype)
    a = make(rng, (4, 5), dtype, low=0 if dtype == "uint8" else -3, high=4)
    if name == "prod" and dtype == "float16":
        # partial products past 65504 overflow or not depending on the order of multiplication
        a = (a / 4).astype(np.float16)
    s, t = pair(a, device)
    same_as_torch(lambda m: getattr(s if m is st else t, name)())
    same_as_torch(lambda m: getattr(s if m is st else t, name)(1))
    same_as_torch(lambda m: getattr(s if m is st else t, name)(dim=0, keepdim=True))


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_with_dim_return_named_tuple(device, rng, name, dim, keepdim):
    a = make(rng, (5, 6), "int32", low=-3, high=3)  # many ties: the first index must win
    s, t = pair(a.astype(np.float32), device)
    got, want = getattr(s, name)(dim, keepdim), getattr(t, name)(dim, keepdim)
    check(got.values, want.values)
    check(got.indices, want.indices)
    values, indices = got
    check(values, want[0])
    check(indices, want[1])
    check_any(getattr(st, name)(s, dim=dim, keepdim=keepdim), tuple(getattr(torch, name)(t, dim, keepdim)))


@pytest.mark.parametrize("name", ["max", "min", "argmax", "argmin", "amax", "amin"])
def test_nan_wins_max_min(device, rng, name):
    a = make(rng, (4, 7))
    a[1, 3] = np.nan
    a[2, 0] = np.nan
    a[2, 5] = np.nan
    a[3] = [np.inf, -np.inf, 1.0, np.inf, -np.inf, 0.0, -0.0]
    s, t = pair(a, device)
    same_as_torch(lambda m: getattr(s if m is st else t, name)(dim=1))
    same_as_torch(lambda m: getattr(s if m is st else t, name)())


def test_argmax_ties_and_flattened_index(device):
    a = np.array([[1.0, 5.0, 5.0], [5.0, 0.0, 5.0]], dtype=np.float32)
    s, t = pair(a, device)
    check(s.argmax(), t.argmax())
    check(s.argmax(dim=1), t.argmax(dim=1))
    check(s.argmin(dim=0, keepdim=True), t.argmin(dim=0, keepdim=True))
    check(st.argmax(s), torch.argmax(t))


@pytest.mark.parametrize("kwargs", [{}, {"unbiased": False}, {"correction": 0}, {"correction": 2},
                                    {"dim": 1}, {"dim": 0, "unbiased": False, "keepdim": True}],
                         ids=str)
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_corrections(device, rng, name, kwargs):
    s, t = pair(make(rng, (5, 6), "float64" if device == "cpu" else "float32"), device)
    check(getattr(s, name)(**kwargs), getattr(t, name)(**kwargs))
    check(getattr(st, name)(s, **kwargs), getattr(torch, name)(t, **kwargs))


def test_logsumexp_stable_with_large_and_infinite_values(device):
    a = np.array([[1000.0, 1000.0, -1000.0], [-np.inf, -np.inf, -np.inf], [np.inf, 1.0, 2.0],
                  [-1e4, -1e4 + 1, -1e4 + 2]], dtype=np.float32)
    s, t = pair(a, device)
    check(s.logsumexp(1), t.logsumexp(1))
    check(st.logsumexp(s, dim=0), torch.logsumexp(t, dim=0))


@pytest.mark.parametrize("name", ["sum", "prod", "mean", "amax", "amin", "logsumexp", "all", "any",
                                  "var", "max", "argmax"])
@pytest.mark.parametrize("shape,dim", [((0, 3), 0), ((0, 3), 1), ((2, 0), 1), ((0,), None),
                                       ((0, 3), None)], ids=str)
def test_empty_reductions(device, name, shape, dim):
    s, t = st.zeros(shape, device=device), torch.zeros(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dim is None:
            same_as_torch(lambda m: getattr(s if m is st else t, name)())
        else:
            same_as_torch(lambda m: getattr(s if m is st else t, name)(dim))


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "amax", "max", "argmin", "all", "std"])
def test_zero_dim_reductions(device, name):
    s, t = pair(np.array(2.5, dtype=np.float32), device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_as_torch(lambda m: getattr(s if m is st else t, name)())
        same_as_torch(lambda m: getattr(s if m is st else t, name)(0))
        same_as_torch(lambda m: getattr(s if m is st else t, name)(dim=-1, keepdim=True))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_sum_mean_large_rows(device, rng, dtype):
    need_dtypes(device, dtype)
    a = make(rng, (3, 5000), dtype, low=0, high=1)
    s, t = pair(a, device)
    rtol = 1e-2 if dtype == "float16" else None
    check(s.sum(1), t.sum(1), rtol=rtol)
    check(s.mean(), t.mean(), rtol=rtol)


def test_all_any_on_masks(device, rng):
    a = make(rng, (4, 6), "bool")
    a[0] = True
    a[1] = False
    s, t = pair(a, device)
    for fn in ("all", "any"):
        check(getattr(s, fn)(), getattr(t, fn)())
        check(getattr(s, fn)(dim=1), getattr(t, fn)(dim=1))
        check(getattr(st, fn)(s, 0), getattr(torch, fn)(t, 0))


def test_module_level_functions(device, rng):
    s, t = pair(make(rng, (3, 4)), device)
    for name in ("sum", "mean", "prod", "amax", "amin", "std", "var"):
        check(getattr(st, name)(s, dim=1), getattr(torch, name)(t, dim=1))
        check(getattr(st, name)(s), getattr(torch, name)(t))
    check(st.max(s), torch.max(t))
    check(st.min(s), torch.min(t))


@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "logsumexp"])
def test_float16_reductions_accumulate_in_float32(device, name):
    """As torch: intermediate results beyond float16's range or precision do not leak out."""
    need_dtypes(device, "float16")
    rows = [np.full(4096, 1.0), np.array([300.0, 300.0, 0.001] + [1.0] * 5), np.full(8, 250.0)]
    for row in rows:
        s, t = pair(row.astype(np.float16), device)
        check(getattr(s, name)(0), getattr(t, name)(0), rtol=2e-3)


PROPERTY_REDUCTIONS = ["sum", "mean", "prod", "amax", "amin", "max", "min", "argmax", "argmin", "all", "any",
                       "logsumexp", "var", "std"]


@property_settings
@given(shape=array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4), data=hs.data(),
       name=hs.sampled_from(PROPERTY_REDUCTIONS), dtype=hs.sampled_from(ALL_DTYPES),
       kind=hs.sampled_from(VIEW_KINDS), keepdim=hs.booleans(), seed=hs.integers(0, 2**32 - 1))
def test_reduction_property(device, shape, data, name, dtype, kind, keepdim, seed):
    """Random shapes (empty and 0-d too), dtypes, layouts and dims: value, dtype and errors as torch."""
    assume(has_dtypes(device, dtype))
    ndim = max(len(shape), 1)
    single = name in ("max", "min", "argmax", "argmin")
    dim = data.draw(hs.integers(-ndim, ndim - 1) if single else
                    hs.lists(hs.integers(-ndim, ndim - 1), min_size=1, max_size=ndim,
                             unique_by=lambda d: d % ndim).map(tuple),
                    label="dim")
    s, t = view_pair(np.random.default_rng(seed), shape, dtype, kind, device, low=0.5, high=1.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_as_torch(lambda m: getattr(s if m is st else t, name)(dim=dim, keepdim=keepdim), rtol=1e-4)
