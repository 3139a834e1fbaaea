"""numpy / item / tolist / __array__, DLPack zero-copy with NumPy and torch, .to and casts,
clone / detach, repr."""
import numpy as np
import pytest
import torch
from conftest import ALL_DTYPES, FLOAT_DTYPES, check, dtype_name, host, make, need_dtypes, pair

import spiraltorch as st


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_numpy_values_and_dtype(rng, dtype):
    a = make(rng, (3, 4), dtype)
    n = st.tensor(a).numpy()
    assert isinstance(n, np.ndarray) and n.dtype == a.dtype and n.shape == a.shape
    assert np.array_equal(n, a, equal_nan=dtype in FLOAT_DTYPES)


def test_numpy_shares_memory_on_cpu(rng):
    s = st.tensor(make(rng, (3, 4)))
    n = s.numpy()
    n[0, 0] = 77.0
    assert host(s)[0, 0] == 77.0
    v = s.T.numpy()
    assert v.shape == (4, 3) and np.shares_memory(v, n)


def test_numpy_off_the_cpu_asks_for_cpu_first(device):
    if device == "cpu":
        pytest.skip("needs a device other than cpu")
    s = st.ones(2, device=device)
    with pytest.raises(TypeError) as info:
        s.numpy()
    assert "cpu()" in str(info.value)
    assert s.cpu().numpy().tolist() == [1.0, 1.0]


def test_numpy_of_views(rng):
    a = make(rng, (6, 8))
    s = st.tensor(a)
    assert np.array_equal(s[::2, 1::3].numpy(), a[::2, 1::3])
    assert np.array_equal(s[:, :1].expand(6, 5).numpy(), np.broadcast_to(a[:, :1], (6, 5)))


def test_numpy_requires_detach_when_grad():
    s = st.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError):
        torch.ones(2, requires_grad=True).numpy()
    with pytest.raises(RuntimeError, match="detach"):
        s.numpy()
    assert s.detach().numpy().tolist() == [1.0, 1.0]


@pytest.mark.parametrize("value", [2.5, -3, True, 0.0, float("nan")])
def test_item_returns_python_scalar(device, value):
    s, t = st.tensor(value, device=device), torch.tensor(value)
    got, want = s.item(), t.item()
    assert type(got) is type(want)
    assert got == want or (got != got and want != want)
    assert type(st.tensor([[value]], device=device).item()) is type(want)


@pytest.mark.parametrize("dtype", ["float32", "int32", "uint8", "bool", "float16", "int64"])
def test_item_types_by_dtype(device, dtype):
    need_dtypes(device, dtype)
    s, t = st.ones(1, dtype=getattr(st, dtype), device=device), torch.ones(1, dtype=getattr(torch, dtype))
    assert type(s.item()) is type(t.item()) and s.item() == t.item()


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3), (2, 0, 2)], ids=str)
def test_tolist(device, rng, dtype, shape):
    need_dtypes(device, dtype)
    s, t = pair(make(rng, shape, dtype), device)
    got, want = s.tolist(), t.tolist()
    assert got == want

    def types(x):
        return [types(v) for v in x] if isinstance(x, list) else type(x)
    assert types(got) == types(want)


def test_array_protocol(device, rng):
    a = make(rng, (3, 2))
    s = st.tensor(a, device=device)
    assert np.array_equal(np.asarray(s), a)
    d = np.array(s, dtype=np.float64)
    assert d.dtype == np.float64 and np.allclose(d, a)
    assert np.array_equal(np.asarray(s.T), a.T)
    r = st.tensor(a, requires_grad=True, device=device)
    assert np.array_equal(np.asarray(r.detach()), a)


# -- DLPack -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_from_dlpack_numpy_zero_copy(rng, dtype):
    a = make(rng, (4, 5), dtype)
    s = st.from_dlpack(a)
    check(s, torch.from_numpy(a.copy()))
    a[1, 1] = 1
    assert host(s)[1, 1] == a[1, 1]


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_from_dlpack_torch_zero_copy(rng, dtype):
    t = torch.tensor(make(rng, (3, 4), dtype))
    s = st.from_dlpack(t)
    check(s, t)
    t[0, 0] = 1
    assert host(s)[0, 0] == 1
    s[2, 3] = 0
    assert t[2, 3].item() == 0


def test_from_dlpack_torch_non_contiguous(rng):
    t = torch.tensor(make(rng, (6, 8)))
    for view in (t.T, t[::2, 1::3], t[:, 2]):
        check(st.from_dlpack(view), view)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_torch_from_dlpack_of_spiraltorch_zero_copy(rng, dtype):
    a = make(rng, (3, 5), dtype)
    s = st.tensor(a)
    t = torch.from_dlpack(s)
    check(s, t)
    s[0, 0] = 1
    assert t[0, 0].item() == host(s)[0, 0]


def test_torch_from_dlpack_of_spiraltorch_views(rng):
    s = st.tensor(make(rng, (6, 8)))
    for view in (s.T, s[::2, 1::3], s[:, 2], s[:, :1].expand(6, 4)):
        check(view, torch.from_dlpack(view))


def test_numpy_from_dlpack_of_spiraltorch(rng):
    s = st.tensor(make(rng, (2, 6)))
    n = np.from_dlpack(s)
    assert np.array_equal(n, host(s))
    s[1, 1] = 9.0
    assert n[1, 1] == 9.0
    assert np.array_equal(np.from_dlpack(s.T), host(s).T)


def test_dlpack_device_on_cpu():
    dev = st.ones(2).__dlpack_device__()
    assert tuple(int(v) for v in dev) == (1, 0)


# -- .to, casts, clone, detach ----------------------------------------------------------------

CASTS = ["float", "half", "double", "int", "long", "bool"]


@pytest.mark.parametrize("src", ["float32", "float64", "int32", "bool", "uint8"])
@pytest.mark.parametrize("method", CASTS)
def test_cast_methods(device, src, method):
    need_dtypes(device, src)
    a = np.array([0.0, 1.7, -1.7, 2.5, 300.0, -0.0, 0.4], dtype=np.float64)
    if src in ("uint8", "bool"):
        a = np.abs(a)
    a = a.astype(src)
    s, t = pair(a, device)
    if method in ("half", "double"):
        need_dtypes(device, "float16" if method == "half" else "float64")
    check(getattr(s, method)(), getattr(t, method)())


@pytest.mark.parametrize("dst", ALL_DTYPES)
def test_to_dtype(device, rng, dst):
    need_dtypes(device, dst)
    s, t = pair(make(rng, (3, 4), low=0, high=200), device)
    check(s.to(getattr(st, dst)), t.to(getattr(torch, dst)))
    check(s.to(dtype=getattr(st, dst)), t.to(dtype=getattr(torch, dst)))
    check(s.T.to(getattr(st, dst)), t.T.to(getattr(torch, dst)))


def test_to_same_dtype_returns_self(device):
    s = st.ones(3, device=device)
    assert s.to(st.float32) is s
    assert s.to(device) is s


def test_to_other_tensor_and_device(device, rng):
    s, t = pair(make(rng, (2, 3)), device)
    check(s.to(st.zeros(1, dtype=st.int64, device=device)), t.to(torch.zeros(1, dtype=torch.int64)))
    on_cpu = s.to("cpu")
    assert str(on_cpu.device) == "cpu"
    check(on_cpu, t)
    check(s.cpu(), t)
    check(s.to("cpu", st.float64), t.to("cpu", torch.float64))
    check(s.to(st.device("cpu")), t)


def test_to_device_roundtrip(device, rng):
    a = make(rng, (3, 5))
    s = st.tensor(a)
    moved = s.to(device)
    assert str(moved.device).split(":")[0] == device
    back = moved.cpu()
    assert np.array_equal(back.numpy(), a)
    g = st.tensor(a, requires_grad=True)
    moved_g = g.to(device)
    assert moved_g.requires_grad
    assert moved_g is g if device == "cpu" else not moved_g.is_leaf


def test_float_to_int_truncates_toward_zero(device):
    s, t = pair(np.array([2.9, -2.9, 0.5, -0.5, 100.99], dtype=np.float32), device)
    check(s.int(), t.int())
    check(s.long(), t.long())
    check(s.to(st.uint8)[[0, 2, 4]], t.to(torch.uint8)[[0, 2, 4]])


def test_clone_is_an_independent_copy(device, rng):
    s, t = pair(make(rng, (3, 4)), device)
    c = s.clone()
    check(c, t)
    c.fill_(0.0)
    check(s, t)
    check(s.T.clone(), t.T.clone())
    g = st.ones(2, requires_grad=True, device=device).clone()
    assert g.requires_grad and not g.is_leaf


def test_detach_shares_storage_and_drops_grad(device, rng):
    s = st.tensor(make(rng, (3,)), requires_grad=True, device=device)
    d = s.detach()
    assert not d.requires_grad and d.is_leaf and d.grad is None
    with st.no_grad():
        d[0] = 42.0
    assert host(s)[0] == 42.0


def test_requires_grad_method(device):
    s = st.zeros(3, device=device)
    assert s.requires_grad_() is s and s.requires_grad
    assert s.requires_grad_(False) is s and not s.requires_grad


# -- repr -------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_repr_is_torch_like(dtype):
    s = st.tensor([1, 0, 2], dtype=getattr(st, dtype))
    t = torch.tensor([1, 0, 2], dtype=getattr(torch, dtype))
    r, tr = repr(s), repr(t)
    assert r.startswith("tensor(") and r.endswith(")")
    assert ("dtype=" in r) == ("dtype=" in tr), f"{r!r} vs torch {tr!r}"
    if "dtype=" in tr:
        assert dtype_name(dtype) in r.split("dtype=")[1]
    assert str(s) == r or str(s).startswith("tensor(")


def test_repr_shows_values_grad_device_and_shape():
    r = repr(st.tensor([1.5, -2.25, 3.0], requires_grad=True))
    assert "1.5" in r and "-2.25" in r and "3" in r and "requires_grad=True" in r
    assert "requires_grad" not in repr(st.tensor([1.0]))
    assert repr(st.tensor(2.5)).startswith("tensor(2.5")
    assert "size=(0, 3)" in repr(st.zeros(0, 3))
    big = repr(st.arange(10000))
    assert "..." in big and len(big) < 2000
    mid = repr(st.tensor([1.0, float("nan"), float("inf"), -float("inf")]))
    assert "nan" in mid and "inf" in mid and "-inf" in mid


def test_repr_names_a_device_other_than_cpu(device):
    r = repr(st.ones(2, device=device))
    assert (device in r) == (device != "cpu"), r


def test_repr_of_result_with_grad_fn():
    x = st.ones(2, requires_grad=True)
    assert "grad_fn" in repr(x * 2)


def test_dtype_and_size_reprs():
    assert repr(st.float32) == "spiraltorch.float32"
    assert str(st.ones(2, 3).shape) in ("spiraltorch.Size([2, 3])", "(2, 3)")
