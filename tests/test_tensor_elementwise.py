"""Element-wise ops, operators and in-place methods, compared with torch."""
import operator

import numpy as np
import pytest
import torch
from conftest import (ALL_DTYPES, FLOAT_DTYPES, INT_DTYPES, VIEW_KINDS, check, has_dtypes, host, make,
                      need_dtypes, pair, property_settings, same_as_torch, view_pair)
from hypothesis import assume, given
from hypothesis import strategies as hs
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import spiraltorch as st

# (name, domain (low, high) for random inputs or None for normal)
UNARY_FLOAT = [
    ("neg", None), ("abs", None), ("exp", None), ("log", (0.01, 5)), ("log1p", (-0.9, 5)),
    ("sqrt", (0, 5)), ("rsqrt", (0.05, 5)), ("sin", None), ("cos", None), ("tanh", None),
    ("sigmoid", None), ("relu", None), ("sign", None), ("floor", None), ("ceil", None),
    ("round", None),
]
UNARY_NAMES = [n for n, _ in UNARY_FLOAT]
SPECIALS = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5,
                     1e-30, 80.0, -80.0, 3.0])


def _views(device, a):
    """(name, st tensor, torch tensor) for a contiguous tensor and non-contiguous views of it."""
    s, t = pair(a, device)
    out = [("contiguous", s, t)]
    if a.ndim >= 2:
        out.append(("transposed", s.transpose(0, 1), t.transpose(0, 1)))
        out.append(("stepped", s[::2, 1::2], t[::2, 1::2]))
    if a.ndim >= 1 and a.shape[-1] > 0:
        out.append(("expanded", s[..., :1].expand(*a.shape[:-1], 3), t[..., :1].expand(*a.shape[:-1], 3)))
    return out


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("name,domain", UNARY_FLOAT, ids=UNARY_NAMES)
def test_unary_float(device, rng, name, domain, dtype):
    need_dtypes(device, dtype)
    low, high = domain or (None, None)
    a = make(rng, (6, 7), dtype, low=low, high=high)
    for view, s, t in _views(device, a):
        check(getattr(s, name)(), getattr(t, name)(), device=device)
        check(getattr(st, name)(s), getattr(torch, name)(t), device=device)


@pytest.mark.parametrize("name", UNARY_NAMES + ["isnan", "isinf", "isfinite"])
def test_unary_special_values(device, name):
    s, t = pair(SPECIALS.astype(np.float32), device)
    check(getattr(st, name)(s), getattr(torch, name)(t))


@pytest.mark.parametrize("dtype", INT_DTYPES + ("bool",))
@pytest.mark.parametrize("name", ["abs", "exp", "log", "sqrt", "sin", "sigmoid", "tanh", "sign",
                                  "floor", "ceil", "round", "relu", "neg", "isnan", "isfinite"])
def test_unary_integer_and_bool_inputs(device, rng, name, dtype):
    """Integer inputs: exp/log/... give float32; floor/abs/... keep the dtype; errors as torch."""
    need_dtypes(device, dtype)
    a = make(rng, (4, 5), dtype, low=0 if dtype == "uint8" else -9, high=10)
    s, t = pair(a, device)
    try:
        want = getattr(torch, name)(t)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            getattr(st, name)(s)
        return
    check(getattr(st, name)(s), want)


@pytest.mark.parametrize("shape", [(), (0,), (0, 3), (1,)], ids=str)
@pytest.mark.parametrize("name", ["exp", "neg", "sigmoid", "isnan"])
def test_unary_empty_and_0d(device, rng, shape, name):
    s, t = pair(make(rng, shape), device)
    check(getattr(st, name)(s), getattr(torch, name)(t))


BROADCAST_SHAPES = [
    ((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 1, 4), (3, 1)), ((), (2, 3)),
    ((2, 3), ()), ((0, 3), (1, 3)), ((5,), (0, 1)), ((1,), ()), ((4, 1, 1), (2, 3)),
]
BINARY_FNS = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "ne", "lt", "le", "gt",
              "ge", "logical_and", "logical_or", "logical_xor"]


@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
@pytest.mark.parametrize("name", BINARY_FNS)
def test_binary_broadcasting_float(device, rng, name, shapes):
    a = make(rng, shapes[0])
    b = make(rng, shapes[1])
    if name == "pow":
        a = np.abs(a) + 0.1
    b = np.where(rng.random(b.shape) < 0.2, a.reshape(-1)[0] if a.size else b, b).astype(b.dtype)
    (sa, ta), (sb, tb) = pair(a, device), pair(b, device)
    check(getattr(st, name)(sa, sb), getattr(torch, name)(ta, tb), device=device)
    check(getattr(sa, name)(sb), getattr(ta, name)(tb))


@pytest.mark.parametrize("dtype", INT_DTYPES + ("float16", "float64", "bool"))
@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "maximum", "minimum", "lt", "eq",
                                  "logical_and", "pow"])
def test_binary_same_dtype(device, rng, name, dtype):
    need_dtypes(device, dtype)
    a = make(rng, (5, 6), dtype, low=0 if dtype == "uint8" else -5, high=6)
    b = make(rng, (6,), dtype, low=0, high=4)
    (sa, ta), (sb, tb) = pair(a, device), pair(b, device)
    try:
        want = getattr(torch, name)(ta, tb)
    except RuntimeError:
        with pytest.raises(RuntimeError):
            getattr(st, name)(sa, sb)
        return
    check(getattr(st, name)(sa, sb), want)


def test_binary_non_contiguous(device, rng):
    a, b = make(rng, (6, 8)), make(rng, (8, 6))
    (sa, ta), (sb, tb) = pair(a, device), pair(b, device)
    check(sa[::2] * sb.T[1::2], ta[::2] * tb.T[1::2])
    check(sa[:, :1].expand(6, 8) - sb.T, ta[:, :1].expand(6, 8) - tb.T)
    check(st.maximum(sa.T, sb), torch.maximum(ta.T, tb))


def test_binary_special_values(device):
    a = SPECIALS.astype(np.float32)
    b = np.roll(a, 3)
    (sa, ta), (sb, tb) = pair(a, device), pair(b, device)
    for name in ["add", "sub", "mul", "div", "maximum", "minimum", "pow", "eq", "lt", "ge"]:
        check(getattr(st, name)(sa, sb), getattr(torch, name)(ta, tb))


OPERATORS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
             operator.floordiv, operator.mod, operator.eq, operator.ne, operator.lt, operator.le,
             operator.gt, operator.ge]


@pytest.mark.parametrize("op", OPERATORS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_operators_with_tensors_and_scalars(device, rng, op, dtype):
    a = make(rng, (3, 4), dtype, low=1, high=6)
    b = make(rng, (4,), dtype, low=1, high=4)
    (sa, ta), (sb, tb) = pair(a, device), pair(b, device)
    check(op(sa, sb), op(ta, tb))
    for scalar in (2, 2.5, True):
        same_as_torch(lambda m: op(sa if m is st else ta, scalar))
        same_as_torch(lambda m: op(scalar, sa if m is st else ta))



def test_unary_operators(device, rng):
    s, t = pair(make(rng, (3, 4)), device)
    check(-s, -t)
    check(abs(s), abs(t))
    check(+s, +t)
    si, ti = pair(make(rng, (5,), "int32"), device)
    check(-si, -ti)
    check(~(si > 0), ~(ti > 0))


def test_true_division_of_integers_gives_float(device):
    s, t = pair(np.array([7, -7, 0, 1], dtype=np.int64), device)
    d, dt = pair(np.array([2, 2, 3, 0], dtype=np.int64), device)
    check(s / d, t / dt)
    check(s // st.tensor([2, 2, 3, 5], device=device), t // torch.tensor([2, 2, 3, 5]))
    check(s % st.tensor([2, 3, 3, 5], device=device), t % torch.tensor([2, 3, 3, 5]))


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8"])
@pytest.mark.parametrize("fn", ["floor_divide", "remainder", "fmod"])
def test_integer_division_by_zero_raises_like_torch(device, rng, fn, dtype):
    a = rng.integers(1, 9, (3, 4)).astype(dtype)
    b = rng.integers(1, 9, (3, 4)).astype(dtype)
    b[2 * int(rng.integers(0, 2)), 1 + int(rng.integers(0, 2))] = 0  # inside b[::2, 1:3]
    for x, y in ((a, b), (a, b[1:2] * 0), (a[0, 0], b[::2, 1:3])):  # broadcast, views, 0-d
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            getattr(torch, fn)(torch.from_numpy(np.asarray(x)), torch.from_numpy(y))
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            getattr(st, fn)(st.tensor(x, device=device), st.tensor(y, device=device))
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        st.tensor(a, device=device) // 0
    b[b == 0] = 3
    check(getattr(st, fn)(st.tensor(a, device=device), st.tensor(b, device=device)),
          getattr(torch, fn)(torch.from_numpy(a), torch.from_numpy(b)))


@pytest.mark.parametrize("kwargs", [{"min": -0.5, "max": 0.5}, {"min": 0.0}, {"max": -0.1},
                                    {"min": 1.0, "max": -1.0}])
def test_clamp(device, rng, kwargs):
    a = make(rng, (4, 6), special=True)
    s, t = pair(a, device)
    check(s.clamp(**kwargs), t.clamp(**kwargs))
    check(st.clamp(s, **kwargs), torch.clamp(t, **kwargs))
    args = (kwargs.get("min"), kwargs.get("max"))
    check(s.clamp(*args), t.clamp(*args))


def test_clamp_integer_and_tensor_bounds(device, rng):
    s, t = pair(make(rng, (10,), "int32"), device)
    check(s.clamp(-2, 3), t.clamp(-2, 3))
    check(s.clamp(min=0.5), t.clamp(min=0.5))
    a, lo = make(rng, (3, 5)), make(rng, (5,))
    (sa, ta), (sl, tl) = pair(a, device), pair(lo, device)
    check(st.clamp(sa, min=sl), torch.clamp(ta, min=tl))


def test_pow_forms(device, rng):
    a = np.abs(make(rng, (3, 4))) + 0.1
    s, t = pair(a, device)
    for e in (2, 0.5, -1, 0, 3.0):
        check(s ** e, t ** e)
        check(st.pow(s, e), torch.pow(t, e))
    check(2 ** s, 2 ** t)
    check(st.pow(2.0, s), torch.pow(2.0, t))
    si, ti = pair(make(rng, (6,), "int64", low=-3, high=4), device)
    check(si ** 2, ti ** 2)
    check(si ** 0.5, ti ** 0.5)
    check(si.pow(st.tensor([0, 1, 2, 3, 1, 2], device=device)), ti.pow(torch.tensor([0, 1, 2, 3, 1, 2])))


def test_round_half_to_even(device):
    a = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, 2.5001], dtype=np.float32)
    s, t = pair(a, device)
    check(s.round(), t.round())


def test_logical_ops_on_non_bool(device, rng):
    a, b = make(rng, (4, 5), "int32", low=-1, high=2), make(rng, (5,), high=1, low=-1)
    a[0, :] = 0
    b[0] = 0.0
    (sa, ta), (sb, tb) = pair(a, device), pair(b, device)
    for name in ("logical_and", "logical_or", "logical_xor"):
        check(getattr(st, name)(sa, sb), getattr(torch, name)(ta, tb))
    check(st.logical_not(sb), torch.logical_not(tb))
    check(sa.logical_not(), ta.logical_not())


def test_sigmoid_tanh_stable_at_extremes(device):
    a = np.array([-1e4, -100.0, -30.0, 0.0, 30.0, 100.0, 1e4], dtype=np.float32)
    s, t = pair(a, device)
    check(s.sigmoid(), t.sigmoid())
    check(s.tanh(), t.tanh())
    assert np.isfinite(host(s.sigmoid())).all()


# -- in place --------------------------------------------------------------------------------

def _module(x):
    return st if isinstance(x, st.Tensor) else torch


INPLACE_OPS = [
    ("iadd", lambda x, y: x.__iadd__(y)), ("isub", lambda x, y: x.__isub__(y)),
    ("imul", lambda x, y: x.__imul__(y)), ("itruediv", lambda x, y: x.__itruediv__(y)),
    ("add_", lambda x, y: x.add_(y)), ("sub_", lambda x, y: x.sub_(y)),
    ("mul_", lambda x, y: x.mul_(y)), ("div_", lambda x, y: x.div_(y)),
    ("copy_", lambda x, y: x.copy_(y if hasattr(y, "shape") else _module(x).tensor(y))),
]


@pytest.mark.parametrize("other", ["tensor", "row", "scalar"])
@pytest.mark.parametrize("name,fn", INPLACE_OPS, ids=[n for n, _ in INPLACE_OPS])
def test_inplace_ops_mutate_same_object(device, rng, name, fn, other):
    a = make(rng, (3, 4))
    s, t = pair(a, device)
    if other == "scalar":
        os_, ot = 1.5, 1.5
    else:
        b = make(rng, (3, 4) if other == "tensor" else (4,))
        os_, ot = pair(b, device)
    before = s
    out_s, out_t = fn(s, os_), fn(t, ot)
    assert out_s is before, f"{name} must return the tensor it changed"
    check(s, t)
    check(out_s, out_t)


def test_operator_inplace_rebinds_to_same_object(device, rng):
    s, t = pair(make(rng, (4,)), device)
    ident = id(s)
    s += 1
    s *= 3
    s -= 0.5
    s /= 2
    t += 1
    t *= 3
    t -= 0.5
    t /= 2
    assert id(s) == ident
    check(s, t)


def test_inplace_on_view_updates_base(device, rng):
    a = make(rng, (4, 6))
    s, t = pair(a, device)
    s[1:3].mul_(10)
    t[1:3].mul_(10)
    s[:, ::2] += 1
    t[:, ::2] += 1
    s.T[0].zero_()
    t.T[0].zero_()
    check(s, t)


def test_zero_and_fill(device, rng):
    s, t = pair(make(rng, (3, 5)), device)
    assert s.zero_() is s
    t.zero_()
    check(s, t)
    assert s.fill_(2.5) is s
    check(s, t.fill_(2.5))
    si, ti = pair(make(rng, (4,), "int32"), device)
    check(si.fill_(3.9), ti.fill_(3.9))


def test_inplace_keeps_dtype_with_promoting_operand(device, rng):
    need_dtypes(device, "float16", "float64")
    s, t = pair(make(rng, (5,), "float16"), device)
    s.add_(st.ones(5, dtype=st.float64, device=device))
    t.add_(torch.ones(5, dtype=torch.float64))
    check(s, t)
    si, ti = pair(make(rng, (5,), "int32"), device)
    si *= 3
    ti *= 3
    check(si, ti)


def test_copy_casts_and_broadcasts(device, rng):
    s, t = pair(make(rng, (3, 4)), device)
    src = make(rng, (4,), "int64")
    s.copy_(st.tensor(src, device=device))
    t.copy_(torch.tensor(src))
    check(s, t)


def test_inplace_on_broadcast_operand_shape(device, rng):
    s, t = pair(make(rng, (1, 4)), device)
    with pytest.raises(RuntimeError):
        t.add_(torch.ones(3, 4))
    with pytest.raises(RuntimeError) as e:
        s.add_(st.ones(3, 4, device=device))
    assert "3" in str(e.value) and "4" in str(e.value)


def test_signed_zero_bits_match_torch(device):
    """-0.0 survives where IEEE says it does (max/min/relu of +-0 are implementation-defined)."""
    a = np.array([-0.0, 0.0, -0.4, 0.4, -1e-30, -0.5, 0.5, -1.5], dtype=np.float32)
    b = np.array([0.0, -0.0, 1.0, -1.0, -0.0, 0.0, -2.0, 2.0], dtype=np.float32)
    (sa, ta), (sb, tb) = pair(a, device), pair(b, device)
    results = [(st.neg(sa), -ta), (sa.abs(), ta.abs()), (sa.floor(), ta.floor()), (sa.ceil(), ta.ceil()),
               (sa.round(), ta.round()), (sa.sign(), ta.sign()), (sa.sin(), ta.sin()), (sa * sb, ta * tb),
               (sa / sb.abs().clamp(min=1.0), ta / tb.abs().clamp(min=1.0)), (sa + sb, ta + tb),
               (sa - sb, ta - tb), (sa.clone(), ta.clone()),
               (st.where(sb > 0, sb, sa), torch.where(tb > 0, tb, ta))]
    for i, (s, t) in enumerate(results):
        assert np.array_equal(np.signbit(host(s)), np.signbit(t.numpy())), f"result {i}: {host(s)} vs {t}"


def test_floor_division_and_remainder_of_negative_floats(device, rng):
    (sa, ta) = pair(make(rng, (20,), low=-6, high=6), device)
    (sb, tb) = pair(np.array([-2.5, -1.0, 0.75, 3.0] * 5, dtype=np.float32), device)
    check(sa // sb, ta // tb)
    check(sa % sb, ta % tb)
    check(sa % 2, ta % 2)
    check(-7.5 // sb, -7.5 // tb)


PROPERTY_UNARY = ["neg", "abs", "exp", "log", "sqrt", "sin", "tanh", "sigmoid", "relu", "floor", "round",
                  "sign", "isnan", "isfinite", "logical_not"]
PROPERTY_BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "lt", "eq", "logical_or"]


@property_settings
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4),
       op=hs.sampled_from(PROPERTY_BINARY), dtypes=hs.tuples(*[hs.sampled_from(ALL_DTYPES)] * 2),
       kinds=hs.tuples(*[hs.sampled_from(VIEW_KINDS)] * 2), seed=hs.integers(0, 2**32 - 1))
def test_binary_property(device, shapes, op, dtypes, kinds, seed):
    assume(has_dtypes(device, *dtypes))
    rng = np.random.default_rng(seed)
    (sa, ta), (sb, tb) = (view_pair(rng, sh, d, k, device, special=True)
                          for sh, d, k in zip(shapes.input_shapes, dtypes, kinds))
    same_as_torch(lambda m: getattr(m, op)(sa if m is st else ta, sb if m is st else tb))


@property_settings
@given(shape=array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5), op=hs.sampled_from(PROPERTY_UNARY),
       dtype=hs.sampled_from(ALL_DTYPES), kind=hs.sampled_from(VIEW_KINDS), seed=hs.integers(0, 2**32 - 1))
def test_unary_property(device, shape, op, dtype, kind, seed):
    assume(has_dtypes(device, dtype))
    s, t = view_pair(np.random.default_rng(seed), shape, dtype, kind, device, special=True)
    same_as_torch(lambda m: getattr(m, op)(s if m is st else t))
