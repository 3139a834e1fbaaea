"""topk / top_k (against the exact reference: torch's tie order differs), sort, argsort, where,
nonzero, softmax, log_softmax."""
import numpy as np
import pytest
import torch
from conftest import (check, check_any, has_dtypes, host, make, need_dtypes, pair, property_settings,
                      same_as_torch)
from hypothesis import assume, given
from hypothesis import strategies as hs
from topk_reference import reference_sort, reference_topk

import spiraltorch as st


def _along(fn, a, dim):
    """Apply a last-axis 2-D reference ``fn(rows) -> (values, indices)`` along ``dim`` of ``a``."""
    moved = np.moveaxis(a, dim, -1)
    lead = moved.shape[:-1]
    v, i = fn(np.ascontiguousarray(moved).reshape(-1, moved.shape[-1]))
    return (np.moveaxis(v.reshape(lead + v.shape[-1:]), -1, dim),
            np.moveaxis(i.reshape(lead + i.shape[-1:]), -1, dim))


def _bits_equal(got, want, what):
    assert got.dtype == want.dtype and got.shape == want.shape, \
        f"{what}: expected {want.dtype}{want.shape}, got {got.dtype}{got.shape}"
    if got.dtype.kind == "f":
        g, w = got.view(f"u{got.itemsize}"), want.view(f"u{want.itemsize}")
        nan = np.isnan(want)
        assert np.array_equal(np.isnan(got), nan), f"{what}: NaN positions differ"
        assert np.array_equal(g[~nan], w[~nan]), f"{what}: values differ\n{got}\nvs\n{want}"
    else:
        assert np.array_equal(got, want), f"{what}: values differ\n{got}\nvs\n{want}"


def check_topk(result, a, k, dim=-1, largest=True):
    """values and indices equal the reference bit for bit; dtypes as torch (indices int64)."""
    values, indices = result
    assert result.values is values and result.indices is indices
    want_v, want_i = _along(lambda r: reference_topk(r, k, largest), a, dim)
    assert str(values.dtype).split(".")[-1] == a.dtype.name
    assert str(indices.dtype).split(".")[-1] == "int64"
    _bits_equal(host(indices), want_i, "indices")
    _bits_equal(host(values), want_v, "values")


def tie_heavy(rng, shape, dtype):
    """Few distinct values with ties, -0.0/+0.0, NaN and infinities for floats."""
    if np.dtype(dtype).kind == "f":
        pool = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1.0, -1.0, 2.5, -2.5, 1e-3])
        return rng.choice(pool, size=shape).astype(dtype)
    return make(rng, shape, dtype, low=0 if dtype == "uint8" else -3, high=4)


@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("k", [0, 1, 3, 17, 40])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int32", "int64", "uint8"])
def test_topk_matches_reference(device, rng, dtype, k, largest):
    need_dtypes(device, dtype)
    for a in (make(rng, (6, 40), dtype, low=0 if dtype == "uint8" else None, high=255),
              tie_heavy(rng, (6, 40), dtype)):
        s = st.tensor(a, device=device)
        check_topk(st.topk(s, k, largest=largest), a, k, largest=largest)
        check_topk(s.topk(k, -1, largest), a, k, largest=largest)


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -3])
def test_topk_any_dim(device, rng, dim):
    a = tie_heavy(rng, (5, 6, 7), "float32")
    k = min(4, a.shape[dim])
    for largest in (True, False):
        check_topk(st.topk(st.tensor(a, device=device), k, dim=dim, largest=largest), a, k, dim, largest)


def test_topk_non_contiguous_inputs(device, rng):
    base = tie_heavy(rng, (12, 30), "float32")
    s = st.tensor(base, device=device)
    views = [(s.T, base.T), (s[::3, 1::2], base[::3, 1::2]),
             (s[:, 5:6].expand(12, 9), base[:, 5:6].repeat(9, 1)), (s.T[2:20:5], base.T[2:20:5])]
    for view, arr in views:
        for k in (1, 3, arr.shape[-1]):
            check_topk(st.topk(view, k), arr, k)
            k0 = min(k, arr.shape[0])
            check_topk(st.topk(view, k0, dim=0, largest=False), arr, k0, 0, False)


def test_topk_unsorted_returns_the_same_set(device, rng):
    a = tie_heavy(rng, (8, 50), "float32")
    s = st.tensor(a, device=device)
    for largest in (True, False):
        values, indices = st.topk(s, 11, largest=largest, sorted=False)
        _, want_i = reference_topk(a, 11, largest)
        got_i = host(indices)
        assert np.array_equal(np.sort(got_i, 1), np.sort(want_i, 1))
        _bits_equal(host(values), np.take_along_axis(a, got_i, 1), "values at the returned indices")


def test_top_k_alias(device, rng):
    a = tie_heavy(rng, (3, 9), "float32")
    check_topk(st.top_k(st.tensor(a, device=device), 2), a, 2)


def test_topk_values_equal_torch(device, rng):
    a = make(rng, (4, 33), special=True)
    s, t = pair(a, device)
    got, want = st.topk(s, 5), torch.topk(t, 5)
    check(got.values, want.values)
    check(st.topk(s, 5, largest=False).values, torch.topk(t, 5, largest=False).values)


@pytest.mark.parametrize("shape,k", [((0, 5), 2), ((3, 0), 0), ((0,), 0), ((), 1), ((1,), 1),
                                     ((7,), 7)], ids=str)
def test_topk_edge_shapes(device, rng, shape, k):
    s, t = pair(make(rng, shape), device)
    same_as_torch(lambda m: tuple(m.topk(s if m is st else t, k)))


def test_topk_long_rows(device, rng):
    a = make(rng, (2, 70000))
    a[0, ::7] = 3.0
    for k in (1, 64, 600, 4096):
        check_topk(st.topk(st.tensor(a, device=device), k), a, k)


@property_settings
@given(rows=hs.integers(1, 6), cols=hs.integers(1, 80), data=hs.data(), largest=hs.booleans(),
       dtype=hs.sampled_from(["float32", "float16", "int32"]), seed=hs.integers(0, 2**32 - 1))
def test_topk_property(device, rows, cols, data, largest, dtype, seed):
    assume(has_dtypes(device, dtype))
    k = data.draw(hs.integers(0, cols), label="k")
    a = tie_heavy(np.random.default_rng(seed), (rows, cols), dtype)
    check_topk(st.topk(st.tensor(a, device=device), k, largest=largest), a, k, largest=largest)


# -- sort / argsort --------------------------------------------------------------------------

@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "uint8", "bool"])
def test_sort_stable_matches_torch_and_reference(device, rng, dtype, dim, descending):
    need_dtypes(device, dtype)
    a = tie_heavy(rng, (5, 9), dtype) if dtype != "bool" else make(rng, (5, 9), "bool")
    s, t = pair(a, device)
    got = s.sort(dim=dim, descending=descending, stable=True)
    want = torch.sort(t, dim=dim, descending=descending, stable=True)
    check(got.values, want.values)
    check(got.indices, want.indices)
    if dtype != "bool":
        ref_v, ref_i = _along(lambda r: reference_sort(r, descending), a, dim)
        _bits_equal(host(got.indices), ref_i, "indices")
    check_any(tuple(st.sort(s, dim, descending)[0:1]), (want.values,))


def test_sort_default_is_a_valid_permutation(device, rng):
    a = tie_heavy(rng, (4, 20), "float32")
    s, t = pair(a, device)
    v, i = st.sort(s)
    check(v, torch.sort(t).values)
    _bits_equal(np.sort(host(i), 1), np.tile(np.arange(20), (4, 1)), "index permutation")
    _bits_equal(host(v), np.take_along_axis(a, host(i), 1), "values at indices")


@pytest.mark.parametrize("descending", [False, True])
def test_argsort(device, rng, descending):
    a = tie_heavy(rng, (6, 11), "float32")
    s, t = pair(a, device)
    check(s.argsort(dim=0, descending=descending, stable=True),
          t.argsort(dim=0, descending=descending, stable=True))
    check(st.argsort(s, stable=True, descending=descending),
          torch.argsort(t, stable=True, descending=descending))
    got = host(st.argsort(s, descending=descending))
    _bits_equal(np.take_along_axis(a, got, 1), host(s.sort(descending=descending).values), "sorted values")


def test_sort_non_contiguous_and_edge(device, rng):
    s, t = pair(tie_heavy(rng, (8, 6), "float32"), device)
    check_any(tuple(s.T[:, ::2].sort(stable=True)), tuple(t.T[:, ::2].sort(stable=True)))
    for shape in [(), (0,), (3, 0)]:
        e, te = pair(make(rng, shape), device)
        check_any(tuple(e.sort()), tuple(te.sort()))


# -- where / nonzero ------------------------------------------------------------------------

WHERE_CASES = [
    ("same_shape", (3, 4), (3, 4), (3, 4)), ("bcast_cond", (4,), (3, 4), (3, 4)),
    ("bcast_all", (3, 1), (1, 4), (4,)), ("scalar_x", (3, 4), None, (3, 4)),
    ("scalar_y", (3, 4), (3, 4), None), ("both_scalars", (2, 3), None, None),
    ("zero_d", (), (3,), ()), ("empty", (0, 4), (4,), (1, 4)),
]


@pytest.mark.parametrize("name,cs,xs,ys", WHERE_CASES, ids=[c[0] for c in WHERE_CASES])
def test_where(device, rng, name, cs, xs, ys):
    (sc, tc) = pair(make(rng, cs, "bool"), device)
    sx, tx = pair(make(rng, xs), device) if xs is not None else (1.5, 1.5)
    sy, ty = pair(make(rng, ys), device) if ys is not None else (-2, -2)
    check(st.where(sc, sx, sy), torch.where(tc, tx, ty), device=device)


@pytest.mark.parametrize("dx,dy", [("int32", "float32"), ("int64", "int32"), ("float16", "float64"),
                                   ("bool", "uint8"), ("int32", None), ("float16", None), ("bool", None)])
def test_where_promotes_like_torch(device, rng, dx, dy):
    need_dtypes(device, dx, *([dy] if dy else []))
    (sc, tc) = pair(make(rng, (5,), "bool"), device)
    sx, tx = pair(make(rng, (5,), dx), device)
    sy, ty = pair(make(rng, (5,), dy), device) if dy else (2.5, 2.5)
    check(st.where(sc, sx, sy), torch.where(tc, tx, ty))
    check(sx.where(sc, sy), tx.where(tc, ty))


def test_where_non_contiguous(device, rng):
    (sa, ta) = pair(make(rng, (6, 5)), device)
    check(st.where(sa.T > 0, sa.T, sa[:, :1].T.expand(5, 6)),
          torch.where(ta.T > 0, ta.T, ta[:, :1].T.expand(5, 6)))
    check(st.where(sa[::2] > 0, sa[::2], 0.0), torch.where(ta[::2] > 0, ta[::2], 0.0))


def test_where_nan_and_signed_zero_pass_through(device):
    a = np.array([np.nan, -0.0, np.inf, 1.0], dtype=np.float32)
    (sa, ta) = pair(a, device)
    cond = st.tensor([True, True, True, False], device=device)
    got = host(st.where(cond, sa, st.zeros(4, device=device)))
    want = torch.where(torch.tensor([True, True, True, False]), ta, torch.zeros(4)).numpy()
    _bits_equal(got, want, "where")


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (0, 3), ()], ids=str)
def test_nonzero_and_one_argument_where(device, rng, shape):
    a = make(rng, shape, "int32", low=-1, high=2)
    s, t = pair(a, device)
    check(s.nonzero(), t.nonzero())
    check(st.nonzero(s), torch.nonzero(t))
    check_any(tuple(st.nonzero(s, as_tuple=True)), tuple(torch.nonzero(t, as_tuple=True)))
    check_any(tuple(st.where(s != 0)), tuple(torch.where(t != 0)))


# -- softmax / log_softmax ------------------------------------------------------------------

@pytest.mark.parametrize("dim", [0, 1, -1, 2])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax(device, rng, name, dim):
    s, t = pair(make(rng, (3, 4, 5)), device)
    check(getattr(s, name)(dim), getattr(t, name)(dim))
    check(getattr(st, name)(s, dim=dim), getattr(torch, name)(t, dim=dim))
    check(getattr(s.transpose(0, 2), name)(dim), getattr(t.transpose(0, 2), name)(dim))


@pytest.mark.parametrize("dtype", ["float16", "float64"])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_dtypes(device, rng, name, dtype):
    need_dtypes(device, dtype)
    s, t = pair(make(rng, (4, 6), dtype), device)
    check(getattr(st, name)(s, -1), getattr(torch, name)(t, -1))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_numerically_stable(device, name):
    a = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1e4, -999.0], [np.inf, 0.0, 1.0],
                  [-np.inf, -np.inf, 0.0], [88.0, 89.0, -88.0], [-np.inf, -np.inf, -np.inf]],
                 dtype=np.float32)
    s, t = pair(a, device)
    check(getattr(s, name)(1), getattr(t, name)(1))


@pytest.mark.parametrize("shape,dim", [((0, 3), 1), ((3, 0), 1), ((), 0), ((1,), 0)], ids=str)
def test_softmax_edge_shapes(device, rng, shape, dim):
    s, t = pair(make(rng, shape), device)
    check(s.softmax(dim), t.softmax(dim))
    check(s.log_softmax(dim), t.log_softmax(dim))
