"""Type promotion over every dtype pair (dimensioned tensors, 0-d tensors, Python scalars) and
broadcasting of shapes, as property tests against torch."""
import itertools
import operator

import numpy as np
import pytest
import torch
from conftest import ALL_DTYPES, check, has_dtypes, property_settings, torch_error_type
from hypothesis import assume, given
from hypothesis import strategies as hs
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import spiraltorch as st
from spiraltorch import dtypes as sd

PAIRS = list(itertools.product(ALL_DTYPES, ALL_DTYPES))
OPS = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
    "maximum": lambda a, b: _mod(a).maximum(a, b) if _is_tensor(a) else _mod(b).maximum(b, a),
    "eq": operator.eq, "lt": operator.lt,
    "where": lambda a, b: _mod(a, b).where(_cond(a, b), a, b),
}


def _is_tensor(x):
    return isinstance(x, (st.Tensor, torch.Tensor))


def _mod(*xs):
    return st if any(isinstance(x, st.Tensor) for x in xs) else torch


def _cond(*operands):
    """A (3,) bool condition on the device of the tensor operands."""
    cond = _mod(*operands).tensor([True, False, True])
    for x in operands:
        if isinstance(x, st.Tensor):
            return cond.to(x.device)
    return cond


def _values(rng, dtype, shape):
    """Small values every dtype holds exactly, so only the result dtype can differ."""
    if dtype == "bool":
        return rng.random(shape) < 0.5
    lo = 0 if dtype == "uint8" else -4
    v = rng.integers(lo, 5, size=shape)
    if dtype.startswith("float"):
        v = v + rng.choice([0.0, 0.5, 0.25], size=shape)
    return np.asarray(v).astype(dtype)


def _run(op, sa, sb, ta, tb):
    """op on the spiraltorch operands must match op on the torch ones (value or error type)."""
    try:
        want = op(ta, tb)
    except Exception:  # the oracle's error is the expected outcome
        with pytest.raises(torch_error_type(lambda: op(ta, tb))):
            op(sa, sb)
        return
    check(op(sa, sb), want)


def _operand(device, rng, dtype, kind):
    """(spiraltorch operand, torch operand) of the given kind: 'dim' (shape (3,)), '0d', 'scalar'."""
    if kind == "scalar":
        v = _values(rng, dtype, ()).item()
        return v, v
    a = _values(rng, dtype, (3,) if kind == "dim" else ())
    return st.tensor(a, device=device), torch.tensor(a)


@pytest.mark.parametrize("kinds", [("dim", "dim"), ("dim", "0d"), ("0d", "dim"), ("0d", "0d"),
                                   ("dim", "scalar"), ("scalar", "dim"), ("0d", "scalar")], ids=str)
@pytest.mark.parametrize("op", list(OPS), ids=list(OPS))
@property_settings
@given(pair=hs.sampled_from(PAIRS), seed=hs.integers(0, 2**32 - 1))
def test_binary_promotion_matches_torch(device, op, kinds, pair, seed):
    da, db = pair
    assume(has_dtypes(device, da, db))
    if kinds[0] == "scalar" and kinds[1] == "scalar":
        return
    if "scalar" in kinds and (da if kinds[0] == "scalar" else db) in ("uint8", "int32", "float16", "float64"):
        return  # Python scalars are only bool, int and float
    rng = np.random.default_rng(seed)
    sa, ta = _operand(device, rng, da, kinds[0])
    sb, tb = _operand(device, rng, db, kinds[1])
    _run(OPS[op], sa, sb, ta, tb)


@pytest.mark.parametrize("a,b", PAIRS)
def test_promote_types_table(a, b):
    got = sd.promote_types(sd.to_dtype(a), sd.to_dtype(b))
    assert got.name == str(torch.promote_types(getattr(torch, a), getattr(torch, b))).split(".")[-1]


@property_settings
@given(dt=hs.sampled_from(ALL_DTYPES), scalar=hs.sampled_from([True, 3, -2, 2.5, -0.0]),
       seed=hs.integers(0, 2**32 - 1))
def test_scalar_raises_category_not_width(device, dt, scalar, seed):
    assume(has_dtypes(device, dt))
    a = _values(np.random.default_rng(seed), dt, (4,))
    s, t = st.tensor(a, device=device), torch.tensor(a)
    for op in (operator.add, operator.mul, operator.sub, operator.truediv, operator.pow):
        _run(op, s, scalar, t, scalar)
        if op is operator.pow and dt == "bool" and scalar is True:
            continue  # torch lacks this one kernel (bool ** bool); 1 ** x is no error in itself
        _run(op, scalar, s, scalar, t)


@property_settings
@given(dt=hs.sampled_from(ALL_DTYPES), other=hs.sampled_from(ALL_DTYPES + ("int", "float", "bool")),
       zero_d=hs.booleans(), seed=hs.integers(0, 2**32 - 1))
def test_in_place_keeps_dtype_or_refuses(device, dt, other, zero_d, seed):
    """x op= y keeps x's dtype when the promoted type can be cast to it, else RuntimeError."""
    assume(has_dtypes(device, dt, *([other] if other in ALL_DTYPES else [])))
    rng = np.random.default_rng(seed)
    a = _values(rng, dt, (3,))
    if other in ALL_DTYPES:
        b = _values(rng, other, () if zero_d else (3,))
        sb, tb = st.tensor(b, device=device), torch.tensor(b)
    else:
        sb = tb = {"int": 2, "float": 1.5, "bool": True}[other]
    for name in ("add_", "mul_", "sub_", "div_"):
        s, t = st.tensor(a, device=device), torch.tensor(a)
        try:
            getattr(t, name)(tb)
        except Exception:  # the oracle refuses: spiraltorch must too, with the same type
            with pytest.raises(torch_error_type(lambda: getattr(torch.tensor(a), name)(tb))):
                getattr(s, name)(sb)
            continue
        getattr(s, name)(sb)
        check(s, t)


@property_settings
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4),
       seed=hs.integers(0, 2**32 - 1))
def test_broadcasting_shapes_match_torch(device, shapes, seed):
    rng = np.random.default_rng(seed)
    a, b = (rng.standard_normal(s).astype(np.float32) for s in shapes.input_shapes)
    sa, sb = st.tensor(a, device=device), st.tensor(b, device=device)
    ta, tb = torch.tensor(a), torch.tensor(b)
    check(sa + sb, ta + tb)
    check(st.where(sa > 0, sa, sb), torch.where(ta > 0, ta, tb))
    check(st.maximum(sb, sa), torch.maximum(tb, ta))
    check(sa.expand(shapes.result_shape) * 1, ta.expand(shapes.result_shape) * 1)


@property_settings
@given(sa=hs.lists(hs.integers(0, 4), min_size=1, max_size=3),
       sb=hs.lists(hs.integers(0, 4), min_size=1, max_size=3))
def test_non_broadcastable_shapes_raise_like_torch(device, sa, sb):
    try:
        torch.broadcast_shapes(tuple(sa), tuple(sb))
        compatible = True
    except RuntimeError:
        compatible = False
    a, b = st.zeros(sa, device=device), st.zeros(sb, device=device)
    if compatible:
        assert tuple((a + b).shape) == tuple(torch.broadcast_shapes(tuple(sa), tuple(sb)))
    else:
        with pytest.raises(RuntimeError):
            a + b


@property_settings
@given(dt=hs.sampled_from(ALL_DTYPES), seed=hs.integers(0, 2**32 - 1))
def test_matmul_and_cat_promotion(device, dt, seed):
    assume(has_dtypes(device, dt))
    rng = np.random.default_rng(seed)
    a, b = _values(rng, dt, (2, 3)), _values(rng, "float32", (2, 3))
    _run(lambda x, y: _mod(x, y).cat([x, y]), st.tensor(a, device=device), st.tensor(b, device=device),
         torch.tensor(a), torch.tensor(b))
    _run(lambda x, y: x @ y.T, st.tensor(a, device=device), st.tensor(a, device=device),
         torch.tensor(a), torch.tensor(a))
