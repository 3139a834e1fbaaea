"""Creation functions and Tensor attributes, compared with torch."""
import numpy as np
import pytest
import torch
from conftest import ALL_DTYPES, check, dtype_name, host, make, need_dtypes

import spiraltorch as st

NESTED = [
    [1.5, -2.0, 3.25],
    [[1, 2, 3], [4, 5, 6]],
    [[True, False], [False, True]],
    [1, 2.5, 3],
    [True, 2, 3],
    [[[0.0]], [[-0.0]]],
    [],
    [[], []],
    7,
    -2.5,
    True,
]


@pytest.mark.parametrize("data", NESTED, ids=[repr(d) for d in NESTED])
def test_tensor_from_python_data_infers_dtype_and_shape(device, data):
    check(st.tensor(data, device=device), torch.tensor(data), device=device)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_tensor_from_numpy_keeps_dtype(device, rng, dtype):
    need_dtypes(device, dtype)
    a = make(rng, (3, 4), dtype)
    check(st.tensor(a, device=device), torch.tensor(a), device=device)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_tensor_dtype_keyword_casts(device, dtype):
    need_dtypes(device, dtype)
    data = [[0.0, 1.7, 2.2], [3.9, 0.0, 250.0]]
    got = st.tensor(data, dtype=getattr(st, dtype), device=device)
    check(got, torch.tensor(data, dtype=getattr(torch, dtype)), device=device)


def test_dtype_objects_exist_and_compare_by_name():
    for name in ALL_DTYPES:
        d = getattr(st, name)
        assert dtype_name(d) == name
        assert str(d).split(".")[-1] == name
    assert st.float == st.float32 and st.double == st.float64 and st.half == st.float16
    assert st.long == st.int64 and st.int == st.int32


def test_tensor_copies_its_input(rng):
    a = make(rng, (5,))
    s = st.tensor(a)
    a[0] = 123.0
    assert host(s)[0] != 123.0


def test_tensor_from_tensor_copies():
    s = st.tensor([1.0, 2.0])
    c = st.tensor(s)
    c[0] = 9.0
    assert host(s).tolist() == [1.0, 2.0]


def test_requires_grad_keyword(device):
    s = st.tensor([1.0, 2.0], requires_grad=True, device=device)
    assert s.requires_grad and s.is_leaf and s.grad is None
    assert not st.tensor([1.0]).requires_grad


def test_from_numpy_shares_memory(rng):
    a = make(rng, (3, 4))
    s = st.from_numpy(a)
    check(s, torch.from_numpy(a.copy()))
    a[1, 2] = 42.0
    assert host(s)[1, 2] == 42.0
    s[0, 0] = -7.0
    assert a[0, 0] == -7.0


def test_from_numpy_non_contiguous(rng):
    a = make(rng, (6, 8))[::2, 1::3]
    check(st.from_numpy(a), torch.from_numpy(a.copy()))


def test_as_tensor_shares_numpy_memory_and_keeps_tensors(rng):
    a = make(rng, (4,), "float64")
    s = st.as_tensor(a)
    a[0] = 5.0
    assert host(s)[0] == 5.0
    assert st.as_tensor(s) is s
    check(st.as_tensor([1, 2], dtype=st.float16), torch.as_tensor([1, 2], dtype=torch.float16))


SIZES = [(), (0,), (3,), (2, 3), (2, 0, 4), (1, 2, 1, 3)]


@pytest.mark.parametrize("shape", SIZES, ids=str)
@pytest.mark.parametrize("fn", ["zeros", "ones"])
def test_zeros_ones(device, fn, shape):
    check(getattr(st, fn)(shape, device=device), getattr(torch, fn)(shape), device=device)
    if shape:
        check(getattr(st, fn)(*shape, dtype=st.int32, device=device),
              getattr(torch, fn)(*shape, dtype=torch.int32))
    check(getattr(st, fn)(list(shape), dtype=st.bool, device=device),
          getattr(torch, fn)(list(shape), dtype=torch.bool))


@pytest.mark.parametrize("value", [2, 2.5, True, -0.0, float("inf"), float("nan")])
def test_full_infers_dtype_from_value(device, value):
    check(st.full((2, 3), value, device=device), torch.full((2, 3), value))


def test_full_with_dtype(device):
    check(st.full((4,), 3.7, dtype=st.int64, device=device), torch.full((4,), 3.7, dtype=torch.int64))
    check(st.full([], 1.5, dtype=st.float16, device=device), torch.full([], 1.5, dtype=torch.float16))


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_empty_shape_and_dtype(device, dtype):
    e = st.empty(2, 5, dtype=getattr(st, dtype), device=device)
    assert e.shape == (2, 5) and dtype_name(e.dtype) == dtype
    assert dtype_name(st.empty(3).dtype) == "float32"


ARANGES = [(5,), (2, 9), (2, 9, 3), (10, 0, -3), (0, 1, 0.1), (1.5,), (-1, 1, 0.25), (0,),
           (0.0, 3)]


@pytest.mark.parametrize("args", ARANGES, ids=str)
def test_arange(device, args):
    check(st.arange(*args, device=device), torch.arange(*args))


def test_arange_dtype_keyword(device):
    need_dtypes(device, "float64")
    check(st.arange(0, 7, 2, dtype=st.float64, device=device),
          torch.arange(0, 7, 2, dtype=torch.float64))
    check(st.arange(4, dtype=st.uint8, device=device), torch.arange(4, dtype=torch.uint8))


@pytest.mark.parametrize("args", [(0, 1, 5), (-3, 7, 11), (2, 2, 1), (1, 0, 4), (0, 1, 0), (0, 10, 2)],
                         ids=str)
def test_linspace(device, args):
    check(st.linspace(*args, device=device), torch.linspace(*args))


@pytest.mark.parametrize("args", [(3,), (2, 4), (4, 2), (0,), (1, 1)], ids=str)
def test_eye(device, args):
    check(st.eye(*args, device=device), torch.eye(*args))
    check(st.eye(*args, dtype=st.int64, device=device), torch.eye(*args, dtype=torch.int64))


def test_rand_shape_dtype_range(device):
    r = st.rand(200, 50, device=device)
    assert r.shape == (200, 50) and dtype_name(r.dtype) == "float32"
    v = host(r)
    assert v.min() >= 0.0 and v.max() < 1.0
    assert abs(v.mean() - 0.5) < 0.02 and abs(v.std() - (1 / 12) ** 0.5) < 0.02
    assert dtype_name(st.rand(3, dtype=st.float64).dtype) == "float64"


def test_randn_statistics(device):
    v = host(st.randn((100, 100), device=device))
    assert v.shape == (100, 100) and v.dtype == np.float32
    assert abs(v.mean()) < 0.05 and abs(v.std() - 1.0) < 0.05
    assert len(np.unique(v)) > 9900


def test_randint_range_and_dtype(device):
    r = st.randint(-3, 4, (1000,), device=device)
    assert dtype_name(r.dtype) == "int64"
    v = host(r)
    assert set(np.unique(v).tolist()) == set(range(-3, 4))
    hi_only = host(st.randint(5, (2, 300), device=device))
    assert hi_only.shape == (2, 300) and hi_only.min() == 0 and hi_only.max() == 4
    assert dtype_name(st.randint(0, 9, (3,), dtype=st.int32).dtype) == "int32"


@pytest.mark.parametrize("fn,args", [("rand", ((4, 5),)), ("randn", ((6,),)),
                                     ("randint", (0, 1000, (8,)))])
def test_manual_seed_reproduces(device, fn, args):
    st.manual_seed(1234)
    a = host(getattr(st, fn)(*args, device=device))
    b = host(getattr(st, fn)(*args, device=device))
    st.manual_seed(1234)
    c = host(getattr(st, fn)(*args, device=device))
    assert np.array_equal(a, c)
    assert not np.array_equal(a, b)
    st.manual_seed(99)
    assert not np.array_equal(a, host(getattr(st, fn)(*args, device=device)))


@pytest.mark.parametrize("dtype", ["float32", "int32", "float64", "bool"])
def test_like_functions(device, rng, dtype):
    need_dtypes(device, dtype)
    s, t = st.tensor(make(rng, (2, 3), dtype), device=device), torch.tensor(make(rng, (2, 3), dtype))
    check(st.zeros_like(s), torch.zeros_like(t), device=device)
    check(st.ones_like(s), torch.ones_like(t), device=device)
    check(st.full_like(s, 7), torch.full_like(t, 7), device=device)
    e = st.empty_like(s)
    assert e.shape == (2, 3) and dtype_name(e.dtype) == dtype
    check(st.zeros_like(s, dtype=st.int32), torch.zeros_like(t, dtype=torch.int32))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_random_like_functions(device, dtype):
    need_dtypes(device, dtype)
    s = st.zeros(40, 30, dtype=getattr(st, dtype), device=device)
    for r in (st.rand_like(s), st.randn_like(s)):
        assert r.shape == s.shape and r.dtype == s.dtype and r.device == s.device
        assert len(np.unique(host(r))) > 1000
    assert host(st.rand_like(s)).max() < 1.0


def test_randint_like(device):
    s = st.zeros(50, 40, dtype=st.int32, device=device)
    r = st.randint_like(s, 3, 9)
    assert r.shape == s.shape and r.dtype == s.dtype and r.device == s.device
    assert set(np.unique(host(r)).tolist()) == set(range(3, 9))
    assert host(st.randint_like(s, 4)).max() == 3


def test_attributes(device, rng):
    a = make(rng, (2, 3, 4))
    s, t = st.tensor(a, device=device), torch.tensor(a)
    assert s.shape == t.shape and s.size() == t.size() and isinstance(s.shape, tuple)
    assert s.size(1) == 3 and s.size(-1) == 4
    assert s.ndim == 3 and s.dim() == 3 and s.numel() == 24 and len(s) == 2
    assert str(s.device).split(":")[0] == device and s.device == st.device(device)
    assert s.dtype == st.float32 and s.is_contiguous()
    assert s.is_leaf and not s.requires_grad and s.grad is None
    assert st.tensor(3.0).shape == () and st.tensor(3.0).ndim == 0 and st.tensor(3.0).numel() == 1


def test_T_and_mT(device, rng):
    a = make(rng, (2, 3, 4))
    s, t = st.tensor(a, device=device), torch.tensor(a)
    check(s.mT, t.mT)
    m = make(rng, (3, 5))
    check(st.tensor(m, device=device).T, torch.tensor(m).T)
    assert not st.tensor(m, device=device).T.is_contiguous()
    v = st.tensor([1.0, 2.0], device=device)
    check(v.T, torch.tensor([1.0, 2.0]))


def test_grad_is_settable(device):
    s = st.tensor([1.0, 2.0], requires_grad=True, device=device)
    g = st.tensor([0.5, -1.0], device=device)
    s.grad = g
    check(s.grad, torch.tensor([0.5, -1.0]))
    s.grad = None
    assert s.grad is None


def test_requires_grad_setter_and_method():
    s = st.zeros(3)
    assert s.requires_grad_() is s and s.requires_grad
    s.requires_grad = False
    assert not s.requires_grad
