"""Backend-level tests of the wgpu device: every primitive against NumPy/torch on fresh random data."""
from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from spiraltorch import backends
from spiraltorch import dtypes as dt
from spiraltorch.backends.base import BINARY_OPS, UNARY_OPS

RNG = np.random.default_rng()


@pytest.fixture(scope="module")
def be():
    ok, reason = backends.availability("wgpu")
    if not ok:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return backends.get("wgpu")


def floats(shape, specials=True, dtype=np.float32):
    a = RNG.standard_normal(shape).astype(dtype) * 3
    if specials and a.size >= 8:
        flat = a.reshape(-1)
        pos = RNG.choice(flat.size, 6, replace=False)
        flat[pos] = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1.0]
    return a


def big_ints(shape):
    return RNG.integers(-(2 ** 40), 2 ** 40, shape, dtype=np.int64)


def check(got, want, rtol=1e-5, atol=1e-6):
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    if want.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)


def strided(be, a):
    """A non-contiguous device view holding the values of ``a`` (transposed storage)."""
    t = be.from_numpy(np.ascontiguousarray(np.swapaxes(a, 0, -1)))
    dims = list(range(a.ndim))
    dims[0], dims[-1] = dims[-1], dims[0]
    view = be.permute(t, dims)
    assert not be.is_contiguous(view) or a.ndim < 2
    return view


# -- transfer and views ---------------------------------------------------------------------
@pytest.mark.parametrize("np_dtype", [np.float32, np.float16, np.int32, np.int64, np.uint8, np.bool_])
def test_roundtrip(be, np_dtype):
    if np_dtype == np.int64:
        a = big_ints((3, 5))
    elif np_dtype == np.bool_:
        a = RNG.random((4, 3)) < 0.5
    elif np.dtype(np_dtype).kind == "f":
        a = floats((5, 7), dtype=np_dtype)
    else:
        a = RNG.integers(0, 200, (5, 3)).astype(np_dtype)
    x = be.from_numpy(a)
    assert be.shape(x) == a.shape and be.dtype(x) is dt.from_numpy_dtype(a.dtype)
    check(be.to_numpy(x), a)
    check(be.to_numpy(be.from_numpy(a[::2, ::-1].T)), a[::2, ::-1].T)
    check(be.to_numpy(be.from_numpy(a[:0])), a[:0])


def test_float64_is_refused(be):
    with pytest.raises(TypeError, match="float64.*float32"):
        be.from_numpy(np.zeros(3))
    with pytest.raises(TypeError, match="float64"):
        be.full((2,), 1.0, dt.float64)


def test_full_arange(be):
    check(be.to_numpy(be.full((2, 3), 7, dt.int64)), np.full((2, 3), 7, np.int64))
    check(be.to_numpy(be.full((3,), -(2 ** 35), dt.int64)), np.full(3, -(2 ** 35), np.int64))
    check(be.to_numpy(be.full((), np.nan, dt.float32)), np.float32(np.nan) * np.ones((), np.float32))
    check(be.to_numpy(be.full((0, 4), 1, dt.bool_)), np.ones((0, 4), bool))
    check(be.to_numpy(be.arange(-3, 10, 2, dt.int32)), np.arange(-3, 10, 2, dtype=np.int32))
    check(be.to_numpy(be.arange(0, 1, 0.25, dt.float32)), np.arange(0, 1, 0.25, dtype=np.float32))


def test_views(be):
    a = floats((4, 5, 6))
    x = be.from_numpy(a)
    check(be.to_numpy(be.permute(x, (2, 0, 1))), a.transpose(2, 0, 1))
    s = be.slice(x, [(1, 4, 2), (0, 5, 1), (5, 6, 1)])
    check(be.to_numpy(s), a[1:4:2, :, 5:6])
    assert not be.is_contiguous(s) and be.is_contiguous(be.contiguous(s))
    e = be.expand(be.slice(x, [(0, 1, 1), (0, 5, 1), (0, 6, 1)]), (3, 4, 5, 6))
    check(be.to_numpy(e), np.broadcast_to(a[0:1], (3, 4, 5, 6)))
    check(be.to_numpy(be.reshape(x, (20, 6))), a.reshape(20, 6))
    t = be.slice(x, [(0, 4, 1), (1, 4, 1), (0, 6, 1)])  # merging its last two axes needs no copy
    r = be.reshape(t, (2, 2, 18))
    assert r.storage is x.storage and not be.is_contiguous(r)
    check(be.to_numpy(r), a[:, 1:4].reshape(2, 2, 18))
    r = be.reshape(be.permute(x, (2, 1, 0)), (30, 4))  # needs a copy
    check(be.to_numpy(r), a.transpose(2, 1, 0).reshape(30, 4))
    check(be.to_numpy(be.reshape(be.slice(x, [(0, 0, 1), (0, 5, 1), (0, 6, 1)]), (0, 3))),
          np.zeros((0, 3), np.float32))


def test_assign(be):
    a = floats((4, 6))
    x = be.from_numpy(a)
    dst = be.slice(x, [(0, 4, 2), (1, 6, 2)])
    src = floats((1, 3), specials=False)
    be.assign(dst, be.from_numpy(src))
    a[0:4:2, 1:6:2] = src
    check(be.to_numpy(x), a)
    be.assign(be.permute(x, (1, 0)), be.permute(x, (1, 0)))  # self-assign of an aliased view
    check(be.to_numpy(x), a)
    with pytest.raises(RuntimeError, match="single memory location"):
        be.assign(be.expand(be.slice(x, [(0, 1, 1), (0, 6, 1)]), (3, 6)), x)


def test_cat(be):
    parts = [floats((2, 3)), floats((2, 0)), floats((2, 4))]
    got = be.cat([be.from_numpy(parts[0]), be.from_numpy(parts[1]), strided(be, parts[2])], 1)
    check(be.to_numpy(got), np.concatenate(parts, 1))


# -- casts and element-wise ------------------------------------------------------------------
def test_cast(be):
    f = floats((6, 7))
    f[np.isnan(f) | np.isinf(f)] = 2.5
    f[0, :3] = [3e9, -3e10, 1.5e12]
    x = be.from_numpy(f)
    check(be.to_numpy(be.cast(x, dt.int64)), f.astype(np.int64))
    check(be.to_numpy(be.cast(x, dt.bool_)), f.astype(bool))
    with np.errstate(over="ignore"):
        check(be.to_numpy(be.cast(x, dt.float16)), f.astype(np.float16))
    small = np.clip(f, -1e9, 1e9)
    check(be.to_numpy(be.cast(be.from_numpy(small), dt.int32)), small.astype(np.int32))
    i = big_ints((4, 5))
    y = be.from_numpy(i)
    check(be.to_numpy(be.cast(y, dt.float32)), i.astype(np.float32), rtol=2e-7)
    check(be.to_numpy(be.cast(y, dt.int32)), i.astype(np.int32))
    check(be.to_numpy(be.cast(y, dt.uint8)), i.astype(np.uint8))
    check(be.to_numpy(be.cast(be.from_numpy(i.astype(np.int32)), dt.int64)), i.astype(np.int32)
          .astype(np.int64))
    b = RNG.random((3, 4)) < 0.5
    check(be.to_numpy(be.cast(strided(be, b), dt.float32)), b.astype(np.float32))


def _torch_unary(op, t):
    if op == "rsqrt":
        return torch.rsqrt(t)
    return getattr(torch, op)(t)


@pytest.mark.parametrize("op", [o for o in UNARY_OPS if o != "bitwise_not"])
def test_unary_float(be, op):
    a = floats((5, 8))
    want = _torch_unary(op, torch.from_numpy(a)).numpy()
    got = be.to_numpy(be.unary(op, strided(be, a)))
    check(got, want, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("op", ["neg", "abs", "sign", "relu", "bitwise_not", "logical_not"])
def test_unary_int(be, op):
    for a in (big_ints((3, 7)), RNG.integers(-50, 50, (4, 5)).astype(np.int32)):
        want = _torch_unary(op, torch.from_numpy(a)).numpy()
        check(be.to_numpy(be.unary(op, be.from_numpy(a))), want)


_TORCH_BINARY = {"maximum": torch.maximum, "minimum": torch.minimum, "pow": torch.pow,
                 "floor_divide": torch.floor_divide, "div": torch.true_divide}
_FLOAT_BINARY = [o for o in BINARY_OPS if not o.startswith("bitwise")]


def _torch_binary(op, a, b):
    fn = _TORCH_BINARY.get(op) or getattr(torch, op)
    return fn(torch.from_numpy(a), torch.from_numpy(b)).numpy()


@pytest.mark.parametrize("op", _FLOAT_BINARY)
def test_binary_float_broadcast(be, op):
    a = floats((4, 1, 6))
    b = floats((5, 1), specials=False)
    b[0, 0], b[1, 0] = 0.0, np.nan
    if op == "pow":
        a[0, 0, :3] = [-2.0, -0.5, 0.0]
        b[2:, 0] = [2.0, 3.0, -1.0]
    got = be.to_numpy(be.binary(op, strided(be, a), be.from_numpy(b)))
    tol = 1e-4 if op in ("fmod", "remainder", "pow") else 1e-5
    check(got, _torch_binary(op, a, b), rtol=tol, atol=tol)


@pytest.mark.parametrize("op", [o for o in BINARY_OPS if o != "pow"])
def test_binary_int64_beyond_32_bits(be, op):
    a = big_ints((3, 8))
    b = big_ints((1, 8))
    b[b == 0] = 7
    b[0, :2] = [-3, 5]
    a[0, 0] = b[0, 0]
    got = be.to_numpy(be.binary(op, be.from_numpy(a), be.from_numpy(b)))
    want = _torch_binary(op, a, b)
    if op == "div":
        want = want.astype(np.float32)
    check(got, want)


@pytest.mark.parametrize("op", ["add", "mul", "floor_divide", "remainder", "fmod", "lt",
                                "bitwise_xor", "maximum"])
def test_binary_int32_uint8_bool(be, op):
    a = RNG.integers(-100, 100, (6, 5)).astype(np.int32)
    b = RNG.integers(1, 9, (6, 5)).astype(np.int32) * RNG.choice([-1, 1], (6, 5)).astype(np.int32)
    check(be.to_numpy(be.binary(op, be.from_numpy(a), strided(be, b))), _torch_binary(op, a, b))
    u, v = (a % 256).astype(np.uint8), np.abs(b).astype(np.uint8)
    check(be.to_numpy(be.binary(op, be.from_numpy(u), be.from_numpy(v))), _torch_binary(op, u, v))
    if op in ("add", "mul", "lt", "bitwise_xor", "maximum"):
        p, q = RNG.random((3, 4)) < 0.5, RNG.random((3, 4)) < 0.5
        check(be.to_numpy(be.binary(op, be.from_numpy(p), be.from_numpy(q))),
              _torch_binary(op, p, q))


def test_pow_int(be):
    a = RNG.integers(-6, 6, (10,)).astype(np.int32)
    b = RNG.integers(0, 7, (10,)).astype(np.int32)
    check(be.to_numpy(be.binary("pow", be.from_numpy(a), be.from_numpy(b))), _torch_binary("pow", a, b))
    wrap, e = np.array([7, -3, 12345], np.int32), np.array([20, 31, 5], np.int32)  # past 2**31
    check(be.to_numpy(be.binary("pow", be.from_numpy(wrap), be.from_numpy(e))),
          _torch_binary("pow", wrap, e))
    la, lb = a.astype(np.int64) * 1000, b.astype(np.int64)
    check(be.to_numpy(be.binary("pow", be.from_numpy(la), be.from_numpy(lb))),
          _torch_binary("pow", la, lb))
    ones, neg = np.array([1, -1, -1, 1], np.int64), np.array([-3, -3, -2, -(2 ** 40)], np.int64)
    check(be.to_numpy(be.binary("pow", be.from_numpy(ones), be.from_numpy(neg))),
          np.array([1, -1, 1, 1], np.int64))


def test_where(be):
    c = RNG.random((4, 1, 5)) < 0.5
    a = floats((3, 5))
    b = floats((4, 3, 1))
    want = np.where(c, a, b)
    check(be.to_numpy(be.where(be.from_numpy(c), strided(be, a), be.from_numpy(b))), want)
    cu = c.astype(np.uint8) * 7
    ia, ib = big_ints((3, 5)), big_ints((1,))
    check(be.to_numpy(be.where(be.from_numpy(cu), be.from_numpy(ia), be.from_numpy(ib))),
          np.where(cu, ia, ib))


def test_float16(be):
    if "float16" not in be.caps.dtypes:
        pytest.skip("adapter without shader-f16")
    a = floats((6, 5), dtype=np.float16)
    b = floats((6, 5), specials=False, dtype=np.float16)
    x, y = be.from_numpy(a), be.from_numpy(b)
    check(be.to_numpy(be.binary("mul", x, y)), (torch.from_numpy(a) * torch.from_numpy(b)).numpy())
    check(be.to_numpy(be.reduce("sum", y, (1,), False)), b.sum(1, dtype=np.float32).astype(np.float16),
          rtol=1e-3, atol=1e-3)
    m = be.to_numpy(be.matmul(y, be.permute(y, (1, 0))))
    check(m, (b.astype(np.float32) @ b.T.astype(np.float32)).astype(np.float16), rtol=2e-3, atol=2e-2)


# -- reductions -----------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["sum", "prod", "max", "min", "any", "all"])
def test_reduce_float(be, op):
    a = floats((5, 6, 7), specials=op in ("max", "min", "any", "all"))
    if op == "prod":
        a = (a * 0.3).astype(np.float32)
    t = torch.from_numpy(a)
    x = strided(be, a)
    for axes in [(1,), (0, 2), (0, 1, 2), ()]:
        for keepdim in (False, True):
            if not axes:  # no axes: nothing is reduced, as with NumPy
                want = t != 0 if op in ("any", "all") else t
            elif op in ("max", "min"):
                want = t.amax(axes, keepdim) if op == "max" else t.amin(axes, keepdim)
            elif op in ("any", "all", "sum"):
                want = getattr(torch, op)(t, dim=axes, keepdim=keepdim)
            else:
                want = t
                for d in sorted(axes, reverse=True):
                    want = want.prod(d, keepdim=keepdim)
            got = be.to_numpy(be.reduce(op, x, axes, keepdim))
            check(got, want.numpy(), rtol=1e-4, atol=1e-5)


def test_reduce_long_split_and_empty(be):
    a = RNG.standard_normal((2, 150_000)).astype(np.float32)
    got = be.to_numpy(be.reduce("sum", be.from_numpy(a), (1,), True))
    check(got, a.astype(np.float64).sum(1, keepdims=True).astype(np.float32), rtol=1e-4, atol=1e-3)
    e = be.from_numpy(np.zeros((3, 0), np.float32))
    check(be.to_numpy(be.reduce("sum", e, (1,), False)), np.zeros(3, np.float32))
    check(be.to_numpy(be.reduce("prod", e, (1,), False)), np.ones(3, np.float32))
    check(be.to_numpy(be.reduce("all", e, (1,), False)), np.ones(3, bool))
    check(be.to_numpy(be.reduce("sum", e, (0,), False)), np.zeros(0, np.float32))


def test_reduce_int(be):
    i = big_ints((4, 9))
    x = be.from_numpy(i)
    for op, fn in [("sum", np.sum), ("max", np.max), ("min", np.min)]:
        check(be.to_numpy(be.reduce(op, x, (1,), False)), fn(i, 1))
    s = RNG.integers(-9, 9, (3, 4)).astype(np.int64)
    check(be.to_numpy(be.reduce("prod", be.from_numpy(s), (0,), False)), s.prod(0))
    j = RNG.integers(-2**20, 2**20, (5, 6)).astype(np.int32)
    check(be.to_numpy(be.reduce("sum", be.from_numpy(j), (0, 1), False)), j.sum(dtype=np.int32))


@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_arg_reduce(be, op):
    a = RNG.integers(-3, 3, (6, 40)).astype(np.float32)  # many ties
    a[1, 7] = a[1, 30] = np.nan
    a[2, 5], a[2, 6] = -0.0, 0.0
    for axis in (0, 1):
        want = getattr(torch, op)(torch.from_numpy(a), dim=axis).numpy()
        check(be.to_numpy(be.arg_reduce(op, strided(be, a), axis, False)), want)
    long = RNG.integers(-50, 50, (3, 3000)).astype(np.float32)  # ties far apart in one row
    long[1, 2900] = np.nan
    want = getattr(torch, op)(torch.from_numpy(long), dim=1).numpy()
    check(be.to_numpy(be.arg_reduce(op, be.from_numpy(long), 1, False)), want)
    i = big_ints((7, 3))
    i[3, 1] = i[5, 1] = i[:, 1].max() + 1
    i[3, 2] = i[5, 2] = i[:, 2].min() - 1
    check(be.to_numpy(be.arg_reduce(op, be.from_numpy(i), 0, True)),
          getattr(torch, op)(torch.from_numpy(i), dim=0, keepdim=True).numpy())


# -- matmul ---------------------------------------------------------------------------------
def test_matmul(be):
    a = floats((2, 1, 70, 33), specials=False)
    b = floats((3, 33, 65), specials=False)
    want = np.matmul(a.astype(np.float64), b).astype(np.float32)
    check(be.to_numpy(be.matmul(be.from_numpy(a), be.from_numpy(b))), want, rtol=1e-4, atol=1e-4)
    bt = be.permute(be.from_numpy(np.ascontiguousarray(b.transpose(0, 2, 1))), (0, 2, 1))
    check(be.to_numpy(be.matmul(be.from_numpy(a), bt)), want, rtol=1e-4, atol=1e-4)
    z = be.matmul(be.from_numpy(np.zeros((4, 0), np.float32)), be.from_numpy(np.zeros((0, 3), np.float32)))
    check(be.to_numpy(z), np.zeros((4, 3), np.float32))
    big = floats((2, 130, 77), specials=False)
    other = floats((77, 200), specials=False)
    check(be.to_numpy(be.matmul(be.from_numpy(big), be.from_numpy(other))),
          np.matmul(big.astype(np.float64), other).astype(np.float32), rtol=1e-4, atol=1e-4)
    n = floats((3, 3))
    check(be.to_numpy(be.matmul(be.from_numpy(n), be.from_numpy(n))),
          (torch.from_numpy(n) @ torch.from_numpy(n)).numpy(), rtol=1e-5, atol=1e-5)


def test_matmul_integers(be):
    a, b = big_ints((2, 5, 7)) >> 12, big_ints((7, 3)) >> 12
    check(be.to_numpy(be.matmul(be.from_numpy(a), be.from_numpy(b))),
          (torch.from_numpy(a) @ torch.from_numpy(b)).numpy())
    i, j = RNG.integers(-99, 99, (4, 6)).astype(np.int32), RNG.integers(-99, 99, (6, 5)).astype(np.int32)
    check(be.to_numpy(be.matmul(be.from_numpy(i), strided(be, j))), i @ j)
    u, v = i.astype(np.uint8), j.astype(np.uint8)
    check(be.to_numpy(be.matmul(be.from_numpy(u), be.from_numpy(v))),
          (torch.from_numpy(u) @ torch.from_numpy(v)).numpy())


# -- indexing -------------------------------------------------------------------------------
def test_gather_index_select(be):
    a = floats((5, 7))
    idx = RNG.integers(0, 7, (4, 6))
    want = torch.gather(torch.from_numpy(a)[:4], 1, torch.from_numpy(idx)).numpy()
    check(be.to_numpy(be.gather(strided(be, a), 1, be.from_numpy(idx))), want)
    i = big_ints((6, 3))
    rows = np.array([5, 0, 5, -1, 2])
    check(be.to_numpy(be.index_select(be.from_numpy(i), 0, be.from_numpy(rows))), i[rows])
    check(be.to_numpy(be.index_select(be.from_numpy(a), 1, be.from_numpy(np.zeros(0, np.int64)))),
          a[:, :0])


def test_scatter_add(be):
    x = floats((4, 6), specials=False)
    idx = RNG.integers(0, 6, (3, 9))
    src = floats((3, 9), specials=False)
    want = torch.from_numpy(x).scatter_add(1, torch.from_numpy(idx), torch.from_numpy(src)).numpy()
    got = be.to_numpy(be.scatter_add(be.from_numpy(x), 1, be.from_numpy(idx), be.from_numpy(src)))
    check(got, want, rtol=1e-6, atol=1e-6)
    again = be.to_numpy(be.scatter_add(be.from_numpy(x), 1, be.from_numpy(idx), be.from_numpy(src)))
    assert np.array_equal(got, again)  # deterministic
    xi = big_ints((5, 2))
    ii = RNG.integers(0, 5, (8, 2))
    si = big_ints((8, 2))
    want = torch.from_numpy(xi).scatter_add(0, torch.from_numpy(ii), torch.from_numpy(si)).numpy()
    check(be.to_numpy(be.scatter_add(be.from_numpy(xi), 0, be.from_numpy(ii), be.from_numpy(si))), want)


INDEX_PUT_DTYPES = (np.float32, np.float16, np.int32, np.int64, np.uint8, np.bool_)


def values_of(dtype, n):
    if dtype == np.bool_:
        return RNG.random(n) < 0.5
    if dtype in (np.float32, np.float16):
        return floats((n,), specials=False, dtype=dtype)
    if dtype == np.int64:
        return big_ints((n,))
    return RNG.integers(0, 200, n).astype(dtype)


def check_index_put(be, base, idx, vals):
    """index_put into copies of base: replacing (the last of repeated indices wins, as in NumPy)
    and, but for bool, accumulating (against torch)."""
    x = be.from_numpy(base)
    be.index_put(x, be.from_numpy(idx), be.from_numpy(vals), False)
    want = base.copy()
    want[idx] = vals
    check(be.to_numpy(x), want)
    if base.dtype != np.bool_:
        x = be.from_numpy(base)
        be.index_put(x, be.from_numpy(idx), be.from_numpy(vals), True)
        want = torch.from_numpy(base).index_put_((torch.from_numpy(idx),), torch.from_numpy(vals),
                                                 accumulate=True)
        f16 = base.dtype == np.float16
        check(be.to_numpy(x), want.numpy(), *((1e-2, 2e-2) if f16 else (1e-6, 1e-6)))


@pytest.mark.parametrize("dtype", INDEX_PUT_DTYPES, ids=lambda d: np.dtype(d).name)
def test_index_put(be, dtype):
    """Repeated indices: the last occurrence wins, or all add; negative indices wrap; x may be a
    window of a larger buffer."""
    if np.dtype(dtype).name not in be.caps.dtypes:
        pytest.skip("adapter without shader-f16")
    base = values_of(dtype, 300)
    idx = RNG.integers(-300, 300, 700)
    vals = values_of(dtype, 700)
    for index_dtype in (np.int64, np.int32):
        x = be.slice(be.from_numpy(np.concatenate([base, base])), [(300, 600, 1)])
        be.index_put(x, be.from_numpy(idx.astype(index_dtype)), be.from_numpy(vals), False)
        want = base.copy()
        want[idx] = vals
        check(be.to_numpy(x), want)
    check_index_put(be, base, idx, vals)
    x = be.from_numpy(base)
    be.index_put(x, be.from_numpy(idx[:5]), be.from_numpy(vals[:1]), False)  # one value, broadcast
    want = base.copy()
    want[idx[:5]] = vals[0]
    check(be.to_numpy(x), want)


def test_nonzero(be):
    a = floats((4, 5))
    a[RNG.random((4, 5)) < 0.4] = 0.0
    check(be.to_numpy(be.nonzero(strided(be, a))), np.argwhere(a).astype(np.int64))
    big = RNG.random((300, 7, 3)) < 0.3  # several blocks of 256
    check(be.to_numpy(be.nonzero(strided(be, big))), np.argwhere(big).astype(np.int64))
    check(be.to_numpy(be.nonzero(be.from_numpy(np.ones((), np.int64)))), np.zeros((1, 0), np.int64))
    check(be.to_numpy(be.nonzero(be.from_numpy(np.zeros((0, 3), np.int32)))), np.zeros((0, 2), np.int64))


# -- random and sort ------------------------------------------------------------------------
def test_random(be):
    seed = int(RNG.integers(0, 2 ** 63))
    u = be.to_numpy(be.random("uniform", (200_000,), dt.float32, seed, -2.0, 3.0))
    assert u.min() >= -2.0 and u.max() < 3.0 and abs(u.mean() - 0.5) < 0.02
    assert np.array_equal(u, be.to_numpy(be.random("uniform", (200_000,), dt.float32, seed, -2.0, 3.0)))
    assert not np.array_equal(u, be.to_numpy(be.random("uniform", (200_000,), dt.float32, seed + 1,
                                                       -2.0, 3.0)))
    z = be.to_numpy(be.random("normal", (200_000,), dt.float32, seed, 1.0, 2.0))
    assert abs(z.mean() - 1.0) < 0.03 and abs(z.std() - 2.0) < 0.03
    k = be.to_numpy(be.random("integers", (100_000,), dt.int64, seed, -(2 ** 40), -(2 ** 40) + 10))
    counts = np.bincount(k + 2 ** 40, minlength=10)
    assert counts.size == 10 and counts.min() > 9000


def widest_binding(be, monkeypatch) -> list:
    """A list that holds the largest storage binding of every dispatch recorded from now on."""
    widest = [0]
    record = be.ctx._record

    def spy(pipeline, bindings, groups, uniform):
        sizes = [b[2] if isinstance(b, tuple) else b.size for b in bindings if b is not None]
        widest[0] = max(widest[0], *sizes)
        return record(pipeline, bindings, groups, uniform)

    monkeypatch.setattr(be.ctx, "_record", spy)
    return widest


def test_random_past_the_binding_limit_gives_the_same_numbers(be, monkeypatch):
    """Blocks of the output past one storage binding: the counter-based draw is unchanged."""
    seed = int(RNG.integers(0, 2 ** 63))
    draws = [("uniform", dt.float32, -1.0, 2.0), ("normal", dt.float32, 0.0, 1.0),
             ("integers", dt.int64, -5, 1000), ("integers", dt.int32, 0, 7),
             ("integers", dt.bool_, 0, 2)]
    if "float16" in be.caps.dtypes:
        draws.append(("uniform", dt.float16, 0.0, 1.0))
    whole = [be.to_numpy(be.random(kind, (5001,), dtype, seed, lo, hi))
             for kind, dtype, lo, hi in draws]
    monkeypatch.setattr(be.ctx, "binding_limit", 4096)  # 1024 32-bit elements a block
    widest = widest_binding(be, monkeypatch)
    for want, (kind, dtype, lo, hi) in zip(whole, draws):
        got = be.to_numpy(be.random(kind, (5001,), dtype, seed, lo, hi))
        np.testing.assert_array_equal(got, want, err_msg=f"{kind} {dtype.name}")
    assert 0 < widest[0] <= 4096


@pytest.mark.parametrize("descending", [False, True])
def test_sort(be, descending):
    a = RNG.integers(0, 6, (5, 37)).astype(np.float32)  # many ties
    a[0, 3] = a[0, 9] = np.nan
    a[1, 2], a[1, 5] = -0.0, 0.0
    a[2, 0] = -np.inf
    tv, ti = torch.sort(torch.from_numpy(a), dim=0, descending=descending, stable=True)
    v, i = be.sort(strided(be, a), 0, descending, True)
    check(be.to_numpy(i), ti.numpy())
    check(be.to_numpy(v), tv.numpy())
    b = big_ints((3, 20))
    b[1, :5] = b[1, 5]
    tv, ti = torch.sort(torch.from_numpy(b), dim=1, descending=descending, stable=True)
    v, i = be.sort(be.from_numpy(b), 1, descending, True)
    check(be.to_numpy(i), ti.numpy())
    check(be.to_numpy(v), tv.numpy())


# -- device machinery -----------------------------------------------------------------------
def test_pool_does_not_grow(be):
    ctx = be.ctx
    x = be.from_numpy(floats((16,), specials=False))
    y = be.from_numpy(np.zeros(16, np.float32))
    for _ in range(100):
        y = be.binary("add", y, x)
    before = ctx.allocated_buffers
    for _ in range(10_000):
        y = be.binary("add", y, x)
    be.to_numpy(y)
    assert ctx.allocated_buffers - before <= 2


def test_two_dimensional_grid(be, monkeypatch):
    from spiraltorch.backends.wgpu import device
    monkeypatch.setattr(device, "MAX_GROUPS", 3)  # 10 workgroups spread over x and y
    a = floats((2560,))
    check(be.to_numpy(be.unary("neg", be.from_numpy(a))), -a)
    gx, gy, _ = device.grid(10)
    assert gx <= 3 and gy <= 3 * gx and gx * gy >= 10


def test_operands_past_the_binding_limit_are_windowed(be, monkeypatch):
    monkeypatch.setattr(be.ctx, "binding_limit", 2048)
    widest = widest_binding(be, monkeypatch)
    a = floats((50, 40))
    b = floats((40,))
    check(be.to_numpy(be.binary("add", strided(be, a), be.from_numpy(b))), a + b)
    i = big_ints((30, 12))
    check(be.to_numpy(be.binary("mul", be.from_numpy(i), be.from_numpy(i))), i * i)
    x = be.from_numpy(np.zeros((60, 30), np.float32))
    be.assign(be.slice(x, [(1, 60, 2), (0, 30, 3)]), be.from_numpy(a[:30, :10]))
    want = np.zeros((60, 30), np.float32)
    want[1:60:2, 0:30:3] = a[:30, :10]
    check(be.to_numpy(x), want)
    h = floats((3, 700), dtype=np.float16)  # one row alone is wider than a binding
    check(be.to_numpy(be.unary("abs", be.from_numpy(h))), np.abs(h))
    assert 0 < widest[0] <= 2048


def test_compile_failure_names_kernel_and_adapter(be):
    with pytest.raises(RuntimeError, match="broken_kernel.*llvmpipe|broken_kernel"):
        be.ctx.pipeline("broken_kernel", "fn main( {")


def test_adapter_selection_error(monkeypatch):
    from spiraltorch.backends.wgpu import device
    monkeypatch.setenv("SPIRAL_WGPU_ADAPTER", "no-such-adapter-xyz")
    with pytest.raises(RuntimeError, match="no-such-adapter-xyz.*found"):
        device.WgpuContext.create()


def test_lost_device_raises(be):
    from spiraltorch.backends.wgpu import WgpuBackend
    from spiraltorch.backends.wgpu.device import WgpuContext
    other = WgpuBackend(WgpuContext.create())
    x = other.from_numpy(np.ones(8, np.float32))
    other.ctx.device.destroy()
    with pytest.raises(RuntimeError, match="wgpu"):
        other.to_numpy(other.unary("neg", x))


def test_subgroups_switch(monkeypatch):
    from spiraltorch.backends.wgpu.device import WgpuContext
    monkeypatch.setenv("SPIRAL_WGPU_SUBGROUPS", "0")
    caps = WgpuContext.create().caps
    assert not caps.subgroups and caps.subgroup_size == 0


def test_caps(be):
    caps = be.caps
    assert caps.device == "wgpu" and caps.name and caps.api
    assert "float64" not in caps.dtypes and {"float32", "int64", "bool"} <= set(caps.dtypes)
    assert caps.max_binding_size > 0 and caps.max_workgroup_size >= 256
    if "subgroup" in caps.extra["features"] and os.environ.get("SPIRAL_WGPU_SUBGROUPS") != "0":
        assert caps.subgroups and caps.subgroup_size in (4, 8, 16, 32, 64, 128)


def test_reductions_past_the_binding_limit_run_in_blocks(be, monkeypatch):
    rng = np.random.default_rng()
    a = rng.standard_normal((50, 300)).astype(np.float32)
    x = be.from_numpy(a)
    monkeypatch.setattr(be.ctx, "binding_limit", 16384)  # 6 rows a block
    widest = widest_binding(be, monkeypatch)
    for op, fn in (("sum", np.sum), ("max", np.max), ("min", np.min)):
        for axes in ((0,), (1,), (0, 1)):
            for keepdim in (False, True):
                got = be.to_numpy(be.reduce(op, x, axes, keepdim))
                want = fn(a, axis=axes, keepdims=keepdim)
                assert got.shape == want.shape, (op, axes, keepdim)
                np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)
    assert 0 < widest[0] <= 16384
    monkeypatch.setattr(be.ctx, "binding_limit", 1024)
    with pytest.raises(RuntimeError, match="1200 bytes"):
        be.reduce("sum", x, (0,), False)


def test_arg_reductions_and_sort_past_the_binding_limit_run_in_blocks(be, monkeypatch):
    """Blocks along a dim other than the reduced or sorted one; ties and NaN keep torch's rule
    (lowest index; NaN wins the arg-reductions and sorts last ascending)."""
    rng = np.random.default_rng()
    a = rng.integers(-3, 4, (30, 6, 40)).astype(np.float32)
    a[rng.random(a.shape) < 0.03] = np.nan
    t = torch.from_numpy(a)
    x = be.from_numpy(a)
    monkeypatch.setattr(be.ctx, "binding_limit", 24576)  # a is 28800 bytes
    widest = widest_binding(be, monkeypatch)
    for axis in (0, 1, 2):
        for keepdim in (False, True):
            for op in ("argmax", "argmin"):
                got = be.to_numpy(be.arg_reduce(op, x, axis, keepdim))
                want = getattr(torch, op)(t, dim=axis, keepdim=keepdim).numpy()
                np.testing.assert_array_equal(got, want, err_msg=f"{op} {axis} {keepdim}")
        for descending in (False, True):
            values, indices = be.sort(x, axis, descending, True)
            want = torch.sort(t, dim=axis, descending=descending, stable=True)
            np.testing.assert_array_equal(be.to_numpy(values), want.values.numpy())
            np.testing.assert_array_equal(be.to_numpy(indices), want.indices.numpy())
    assert 0 < widest[0] <= 24576
    # the input fits one binding but the sort's (key, index) slots do not: blocks all the same
    monkeypatch.setattr(be.ctx, "binding_limit", 40000)
    widest[0] = 0
    cut = []
    blocks = be._blocks
    monkeypatch.setattr(be, "_blocks", lambda x, op, *args, **kw: cut.append(op) or
                        blocks(x, op, *args, **kw))
    values, indices = be.sort(x, 2, False, True)
    want = torch.sort(t, dim=2, stable=True)
    assert cut == ["sort"]
    np.testing.assert_array_equal(be.to_numpy(values), want.values.numpy())
    np.testing.assert_array_equal(be.to_numpy(indices), want.indices.numpy())
    assert 0 < widest[0] <= 40000
    monkeypatch.setattr(be.ctx, "binding_limit", 1024)
    with pytest.raises(RuntimeError, match="960 bytes"):
        be.arg_reduce("argmax", be.from_numpy(a[:2]), 1, False)


def test_indexing_past_the_binding_limit_runs_in_blocks(be, monkeypatch):
    """gather, scatter_add and index_select in blocks along a dim other than the indexed one,
    with index and source tensors shorter than the input along the blocked dim."""
    rng = np.random.default_rng()
    a = rng.standard_normal((40, 9, 20)).astype(np.float32)  # 28800 bytes
    t = torch.from_numpy(a)
    x = be.from_numpy(a)
    monkeypatch.setattr(be.ctx, "binding_limit", 16384)
    widest = widest_binding(be, monkeypatch)
    for dim in (0, 1, 2):
        shape = list(a.shape)
        shape[dim] = 13
        shape[(dim + 1) % 3] -= 3  # shorter than the input along another dim
        idx = rng.integers(0, a.shape[dim], shape)
        src = rng.standard_normal(shape).astype(np.float32)
        ti, ts = torch.from_numpy(idx), torch.from_numpy(src)
        bi, bs = be.from_numpy(idx), be.from_numpy(src)
        np.testing.assert_array_equal(be.to_numpy(be.gather(x, dim, bi)),
                                      torch.gather(t, dim, ti).numpy())
        np.testing.assert_allclose(be.to_numpy(be.scatter_add(x, dim, bi, bs)),
                                   t.scatter_add(dim, ti, ts).numpy(), rtol=1e-5, atol=1e-5)
        sel = rng.integers(0, a.shape[dim], 17)
        np.testing.assert_array_equal(
            be.to_numpy(be.index_select(x, dim, be.from_numpy(sel))),
            torch.index_select(t, dim, torch.from_numpy(sel)).numpy())
    assert 0 < widest[0] <= 16384


def test_1d_arg_reductions_indexing_and_nonzero_past_the_binding_limit(be, monkeypatch):
    rng = np.random.default_rng()
    a = rng.integers(-3, 4, 7000).astype(np.float32)  # many ties
    monkeypatch.setattr(be.ctx, "binding_limit", 4096)  # 512 elements a block
    widest = widest_binding(be, monkeypatch)
    for nan_at in (None, 5000, 12):
        if nan_at is not None:
            a[nan_at] = np.nan
            a[nan_at + 600] = np.nan
        x = be.from_numpy(a)
        for op in ("argmax", "argmin"):
            for keepdim in (False, True):
                got = be.to_numpy(be.arg_reduce(op, x, 0, keepdim))
                want = getattr(torch, op)(torch.from_numpy(a), dim=0, keepdim=keepdim).numpy()
                np.testing.assert_array_equal(got, want, err_msg=f"{op} {nan_at} {keepdim}")
    idx = rng.integers(0, 7000, 3000)
    idx[:2] = (0, 6999)
    x = be.from_numpy(a)
    bi = be.from_numpy(idx)
    np.testing.assert_array_equal(be.to_numpy(be.index_select(x, 0, bi)), a[idx])
    np.testing.assert_array_equal(be.to_numpy(be.gather(x, 0, bi)), a[idx])
    base = rng.standard_normal(7000).astype(np.float32)
    base[[0, 512, 1024]] = -0.0  # first elements of blocks keep their sign
    src = rng.standard_normal(3100).astype(np.float32)
    want = torch.from_numpy(base).scatter_add(0, torch.from_numpy(idx), torch.from_numpy(src))
    got = be.to_numpy(be.scatter_add(be.from_numpy(base), 0, bi, be.from_numpy(src)))
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-5, atol=1e-5)
    assert np.array_equal(np.signbit(got), np.signbit(want.numpy()))
    small = be.from_numpy(a[:300])  # fits one binding, but the index and source do not
    np.testing.assert_array_equal(be.to_numpy(be.gather(small, 0, be.from_numpy(idx % 300))),
                                  a[idx % 300])
    np.testing.assert_array_equal(
        be.to_numpy(be.index_select(small, 0, be.from_numpy(idx % 300))), a[idx % 300])
    got = be.to_numpy(be.scatter_add(be.from_numpy(base[:300]), 0, be.from_numpy(idx % 300),
                                     be.from_numpy(src)))
    want = torch.from_numpy(base[:300]).scatter_add(0, torch.from_numpy(idx % 300),
                                                    torch.from_numpy(src))
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-5, atol=1e-5)
    for shape, dtype in (((7000,), np.float32), ((70, 3, 40), np.int64), ((300, 20), np.bool_)):
        v = (rng.random(shape) < 0.3).astype(dtype)
        got = be.to_numpy(be.nonzero(be.from_numpy(v)))
        np.testing.assert_array_equal(got, np.argwhere(v).astype(np.int64))
    assert 0 < widest[0] <= 4096


@pytest.mark.parametrize("dtype", INDEX_PUT_DTYPES, ids=lambda d: np.dtype(d).name)
def test_1d_sort_and_index_put_past_the_binding_limit(be, dtype, monkeypatch):
    """Sorted blocks merged by rank; index_put by blocks of x and by pieces of the index list.
    No dispatch binds more than the limit."""
    if np.dtype(dtype).name not in be.caps.dtypes:
        pytest.skip("adapter without shader-f16")
    n = 5000
    a = values_of(dtype, n)
    if dtype in (np.float32, np.float16):
        a[RNG.choice(n, n // 2)] = RNG.integers(-2, 3, n // 2)  # ties
        a[RNG.choice(n, 40)] = [np.nan, np.inf, -np.inf, -0.0, 0.0] * 8
    elif dtype == np.int64:
        a[RNG.choice(n, n // 2)] = RNG.integers(-2, 3, n // 2)
    x = be.from_numpy(a)
    widest = widest_binding(be, monkeypatch)
    monkeypatch.setattr(be.ctx, "binding_limit", 8192)
    for descending in (False, True):
        v, i = be.sort(x, 0, descending, True)
        want = torch.sort(torch.from_numpy(a), descending=descending, stable=True)
        check(be.to_numpy(i), want.indices.numpy())
        check(be.to_numpy(v), want.values.numpy())
    check_index_put(be, a, RNG.integers(-n, n, 3000), values_of(dtype, 3000))
    assert 0 < widest[0] <= 8192


def test_matmul_past_the_binding_limit_runs_in_blocks(be, monkeypatch):
    rng = np.random.default_rng()
    a = rng.standard_normal((40, 100)).astype(np.float32)
    b = rng.standard_normal((100, 7)).astype(np.float32)
    a3 = rng.standard_normal((6, 20, 16)).astype(np.float32)
    b3 = rng.standard_normal((6, 16, 5)).astype(np.float32)
    xa, xb, xa3, xb3 = (be.from_numpy(v) for v in (a, b, a3, b3))
    monkeypatch.setattr(be.ctx, "binding_limit", 4096)  # a: 5 rows a block; a3: 1 batch a block
    widest = widest_binding(be, monkeypatch)
    np.testing.assert_allclose(be.to_numpy(be.matmul(xa, xb)), a @ b, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(be.to_numpy(be.matmul(xa3, xb3)), a3 @ b3, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(be.to_numpy(be.matmul(xa3, be.from_numpy(b3[0]))), a3 @ b3[0],
                               rtol=1e-4, atol=1e-4)
    wide = rng.standard_normal((100, 50)).astype(np.float32)  # second operands past the limit
    wide3 = rng.standard_normal((6, 16, 70)).astype(np.float32)
    xw, xw3 = be.from_numpy(wide), be.from_numpy(wide3)
    small = rng.standard_normal((3, 100)).astype(np.float32)
    row = rng.standard_normal((1, 16)).astype(np.float32)
    np.testing.assert_allclose(be.to_numpy(be.matmul(be.from_numpy(small), xw)), small @ wide,
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(be.to_numpy(be.matmul(be.from_numpy(row), xw3)), row @ wide3,
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(be.to_numpy(be.matmul(xa3, xw3)), a3 @ wide3, rtol=1e-4, atol=1e-4)
    assert 0 < widest[0] <= 4096
    monkeypatch.setattr(be.ctx, "binding_limit", 256)
    with pytest.raises(RuntimeError, match="400 bytes"):
        be.matmul(xa, xb)
