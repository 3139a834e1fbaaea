"""Reverse-mode gradients of every differentiable op against torch, and autograd behaviour:
accumulation, backward(gradient=), no_grad / enable_grad, detach, SGD updates."""
import threading

import numpy as np
import pytest
import torch
from conftest import OnDevice, check, host, make, need_dtypes

import spiraltorch as st

GRAD_TOL = {"rtol": 1e-4, "atol": 1e-5}


def run_grad(device, rng, fn, arrays, dtype="float32", upstream=True):
    """fn(module, *leaves) on spiraltorch and torch: compare outputs, then the leaves' grads
    after backward with a random upstream gradient (or none for scalar outputs)."""
    sx = [st.tensor(a.astype(dtype), requires_grad=True, device=device) for a in arrays]
    tx = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    so, to = fn(OnDevice(device), *sx), fn(torch, *tx)
    check(so, to, **GRAD_TOL)
    assert so.requires_grad and not so.is_leaf
    if upstream or to.ndim:
        g = make(rng, tuple(to.shape), dtype)
        so.backward(st.tensor(g, device=device))
        to.backward(torch.tensor(g))
    else:
        so.backward()
        to.backward()
    for i, (s, t) in enumerate(zip(sx, tx)):
        if t.grad is None:
            assert s.grad is None or not host(s.grad).any(), f"input {i}: torch has no grad"
            continue
        assert s.grad is not None, f"input {i}: no grad"
        check(s.grad, t.grad, **GRAD_TOL)


UNARY_CASES = [
    ("neg", lambda m, x: -x), ("abs", lambda m, x: x.abs()), ("exp", lambda m, x: m.exp(x)),
    ("log", lambda m, x: (x.abs() + 0.2).log()), ("log1p", lambda m, x: m.log1p(x.abs())),
    ("sqrt", lambda m, x: (x.abs() + 0.2).sqrt()), ("rsqrt", lambda m, x: (x.abs() + 0.2).rsqrt()),
    ("sin", lambda m, x: x.sin()), ("cos", lambda m, x: m.cos(x)), ("tanh", lambda m, x: x.tanh()),
    ("sigmoid", lambda m, x: m.sigmoid(x)), ("relu", lambda m, x: x.relu()),
    ("sign", lambda m, x: x.sign() * x), ("floor", lambda m, x: x.floor() + x),
    ("ceil", lambda m, x: m.ceil(x) * 2 + x), ("round", lambda m, x: x.round() + x),
    ("clamp", lambda m, x: x.clamp(-0.5, 0.7)), ("clamp_min", lambda m, x: m.clamp(x, min=0.1)),
    ("clamp_max", lambda m, x: x.clamp(max=-0.2)), ("pow2", lambda m, x: x ** 2),
    ("pow3", lambda m, x: m.pow(x, 3)), ("pow_half", lambda m, x: (x.abs() + 0.2) ** 0.5),
    ("rpow", lambda m, x: 2.0 ** x), ("rsub", lambda m, x: 1 - x), ("rdiv", lambda m, x: 3 / (x.abs() + 0.2)),
    ("scalar_mul_add", lambda m, x: x * 3 + 2 - x / 4), ("square_self", lambda m, x: x * x),
    ("diamond", lambda m, x: (x.exp() + x.sin()) * x),
]


@pytest.mark.parametrize("shape", [(3, 4), ()], ids=str)
@pytest.mark.parametrize("name,fn", UNARY_CASES, ids=[c[0] for c in UNARY_CASES])
def test_unary_grads(device, rng, name, fn, shape):
    run_grad(device, rng, fn, [make(rng, shape)])


BINARY_CASES = [
    ("add", lambda m, a, b: a + b), ("sub", lambda m, a, b: m.sub(a, b)), ("mul", lambda m, a, b: a * b),
    ("div", lambda m, a, b: a / (b.abs() + 0.5)), ("pow", lambda m, a, b: (a.abs() + 0.3) ** b),
    ("maximum", lambda m, a, b: m.maximum(a, b)), ("minimum", lambda m, a, b: m.minimum(a, b)),
    ("add_method", lambda m, a, b: a.add(b)), ("mul_method", lambda m, a, b: a.mul(b)),
]
BINARY_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 3, 4), ()), ((), (5,)),
                 ((2, 1, 4), (3, 1))]


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
@pytest.mark.parametrize("name,fn", BINARY_CASES, ids=[c[0] for c in BINARY_CASES])
def test_binary_grads_reduce_over_broadcast_dims(device, rng, name, fn, shapes):
    run_grad(device, rng, fn, [make(rng, shapes[0]), make(rng, shapes[1])])


def test_maximum_minimum_ties_split_the_grad(device, rng):
    a = make(rng, (4, 5))
    b = a.copy()
    b[0] += 1.0
    run_grad(device, rng, lambda m, x, y: m.maximum(x, y), [a, b])
    run_grad(device, rng, lambda m, x, y: m.minimum(x, y), [a, b])


REDUCTION_CASES = [
    ("sum", lambda m, x: x.sum()), ("sum_dim", lambda m, x: x.sum(1)),
    ("sum_tuple_keep", lambda m, x: x.sum((0, 2), keepdim=True)), ("mean", lambda m, x: x.mean()),
    ("mean_dim", lambda m, x: m.mean(x, dim=-1)), ("prod", lambda m, x: x.prod()),
    ("prod_dim", lambda m, x: x.prod(1)), ("amax", lambda m, x: x.amax(1)),
    ("amin_tuple", lambda m, x: x.amin((0, 1))), ("max_all", lambda m, x: x.max()),
    ("min_all", lambda m, x: m.min(x)), ("max_dim", lambda m, x: x.max(1).values),
    ("max_dim_keep", lambda m, x: x.max(dim=0, keepdim=True)[0]), ("min_dim", lambda m, x: x.min(-1).values),
    ("var", lambda m, x: x.var()), ("var_dim", lambda m, x: x.var(1, unbiased=False)),
    ("std", lambda m, x: x.std()), ("std_dim", lambda m, x: m.std(x, dim=(0, 2))),
    ("logsumexp", lambda m, x: x.logsumexp(1)), ("logsumexp_keep", lambda m, x: m.logsumexp(x, (0, 2), True)),
]


@pytest.mark.parametrize("name,fn", REDUCTION_CASES, ids=[c[0] for c in REDUCTION_CASES])
def test_reduction_grads(device, rng, name, fn):
    run_grad(device, rng, fn, [make(rng, (3, 4, 5))])


@pytest.mark.parametrize("name,fn", REDUCTION_CASES, ids=[c[0] for c in REDUCTION_CASES])
def test_reduction_grads_with_ties(device, rng, name, fn):
    """Repeated values: amax/amin/max()/min() share the grad among ties as torch does; max(dim)
    sends it to the reported index."""
    a = make(rng, (3, 4, 5), "int32", low=-2, high=3).astype(np.float32)
    run_grad(device, rng, fn, [a])


def test_prod_grad_with_zeros(device, rng):
    a = make(rng, (4, 5))
    a[0, 1] = 0.0
    a[1, 0] = a[1, 3] = 0.0
    run_grad(device, rng, lambda m, x: x.prod(1), [a])
    run_grad(device, rng, lambda m, x: x.prod(), [a[2:]])


LINALG_CASES = [((3, 4), (4, 5)), ((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 2)), ((2, 3, 4), (2, 4, 5)),
                ((2, 3, 4), (4, 5)), ((5, 1, 3, 4), (2, 4, 3)), ((4,), (2, 4, 3)), ((3, 0), (0, 2))]


@pytest.mark.parametrize("shapes", LINALG_CASES, ids=str)
def test_matmul_grads(device, rng, shapes):
    run_grad(device, rng, lambda m, a, b: a @ b, [make(rng, shapes[0]), make(rng, shapes[1])])


def test_mm_bmm_grads(device, rng):
    run_grad(device, rng, lambda m, a, b: m.mm(a, b.T), [make(rng, (3, 4)), make(rng, (5, 4))])
    run_grad(device, rng, lambda m, a, b: m.bmm(a, b), [make(rng, (2, 3, 4)), make(rng, (2, 4, 5))])


SHAPE_CASES = [
    ("reshape", lambda m, x: x.reshape(4, 6)), ("view", lambda m, x: x.view(-1) * 2),
    ("flatten", lambda m, x: x.flatten(1)), ("squeeze", lambda m, x: x[:, :1].squeeze(1)),
    ("unsqueeze", lambda m, x: x.unsqueeze(1)), ("permute", lambda m, x: x.permute(2, 0, 1)),
    ("transpose", lambda m, x: x.transpose(0, 2)), ("t", lambda m, x: x[0].t()), ("T", lambda m, x: x[0].T),
    ("mT", lambda m, x: x.mT), ("expand", lambda m, x: x[:, :1].expand(2, 5, 4)),
    ("contiguous", lambda m, x: x.transpose(0, 1).contiguous()),
    ("index_int", lambda m, x: x[1]), ("index_neg", lambda m, x: x[-1, 2]),
    ("slice_step", lambda m, x: x[:, ::2, 1::2]), ("none_ellipsis", lambda m, x: x[None, ..., 1]),
    ("mask", lambda m, x: x[x > 0]), ("int_tensor_dups", lambda m, x: x[:, m.tensor([0, 2, 0, 0])]),
    ("int_tensor_pair", lambda m, x: x[m.tensor([1, 1, 0]), :, m.tensor([3, 3, 0])]),
    ("gather_dups", lambda m, x: x.gather(2, m.tensor([[[0, 0, 3]] * 3] * 2))),
    ("index_select_dups", lambda m, x: x.index_select(1, m.tensor([2, 2, 0]))),
    ("split", lambda m, x: m.cat([p * (i + 1) for i, p in enumerate(x.split(3, dim=2))], 2)),
    ("chunk", lambda m, x: m.cat([p * (i + 2) for i, p in enumerate(x.chunk(2, dim=1))], 1)),
    ("cat_self", lambda m, x: m.cat([x, x * 2, x[:, :1]], dim=1)),
    ("stack_self", lambda m, x: m.stack([x, x.sin()], dim=1)),
    ("clone", lambda m, x: x.clone() * 3), ("to_float64", lambda m, x: x.to(m.float64).sum(0) * 1.5),
    ("double_float", lambda m, x: x.double().float() * 2), ("half_float", lambda m, x: x.half().float()),
]


@pytest.mark.parametrize("name,fn", SHAPE_CASES, ids=[c[0] for c in SHAPE_CASES])
def test_shape_and_indexing_grads(device, rng, name, fn):
    if name in ("to_float64", "double_float"):
        need_dtypes(device, "float64")
    if name == "half_float":
        need_dtypes(device, "float16")
    run_grad(device, rng, fn, [make(rng, (2, 3, 4))])


def test_cat_stack_of_several_leaves(device, rng):
    run_grad(device, rng, lambda m, a, b: m.cat([a, b], dim=0), [make(rng, (2, 3)), make(rng, (4, 3))])
    run_grad(device, rng, lambda m, a, b: m.stack([a, b], dim=-1), [make(rng, (2, 3)), make(rng, (2, 3))])


SELECTION_CASES = [
    ("topk", lambda m, x: m.topk(x, 3).values), ("topk_small_dim0", lambda m, x: x.topk(2, 0, False)[0]),
    ("topk_unsorted", lambda m, x: m.topk(x, 4, sorted=False).values.sum(-1)),
    ("sort", lambda m, x: x.sort(1).values), ("sort_desc", lambda m, x: m.sort(x, 0, True)[0]),
    ("where", lambda m, x: m.where(x > 0, x, x * x)),
    ("where_scalar", lambda m, x: m.where(x < 0.3, x.exp(), 0.0)),
    ("softmax", lambda m, x: x.softmax(-1)), ("softmax_dim0", lambda m, x: m.softmax(x, 0)),
    ("log_softmax", lambda m, x: x.log_softmax(1)),
    ("log_softmax_dim0", lambda m, x: m.log_softmax(x, dim=0)),
    ("logsumexp", lambda m, x: m.logsumexp(x, 1)),
]


@pytest.mark.parametrize("name,fn", SELECTION_CASES, ids=[c[0] for c in SELECTION_CASES])
def test_selection_grads(device, rng, name, fn):
    run_grad(device, rng, fn, [make(rng, (5, 8))])


def test_where_grads_with_broadcasting(device, rng):
    cond = make(rng, (3, 1), "bool")
    run_grad(device, rng, lambda m, a, b: m.where(m.tensor(cond), a, b), [make(rng, (4,)), make(rng, (3, 4))])


def test_topk_grad_goes_to_reference_indices_with_ties(device):
    a = np.array([[1.0, 3.0, 3.0, 0.0, 3.0], [2.0, 2.0, 2.0, 2.0, 2.0]], dtype=np.float32)
    x = st.tensor(a, requires_grad=True, device=device)
    st.topk(x, 2).values.sum().backward()
    want = np.array([[0, 1, 1, 0, 0], [1, 1, 0, 0, 0]], dtype=np.float32)
    assert np.array_equal(host(x.grad), want)


@pytest.mark.parametrize("name,fn", [
    ("softmax", lambda m, x: x.softmax(1)), ("log_softmax", lambda m, x: x.log_softmax(1)),
    ("logsumexp", lambda m, x: x.logsumexp(1)), ("sigmoid", lambda m, x: x.sigmoid()),
    ("tanh", lambda m, x: x.tanh())])
def test_grads_stable_with_large_inputs(device, rng, name, fn):
    a = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1e4, -999.0], [88.0, 89.0, -88.0]])
    run_grad(device, rng, fn, [a])
    x = st.tensor(a.astype(np.float32), requires_grad=True, device=device)
    fn(st, x).sum().backward()
    assert np.isfinite(host(x.grad)).all()


@pytest.mark.parametrize("dtype", ["float64", "float16"])
def test_grads_keep_leaf_dtype(device, rng, dtype):
    need_dtypes(device, dtype)
    x = st.tensor(make(rng, (3, 4), dtype), requires_grad=True, device=device)
    t = torch.tensor(host(x), requires_grad=True)
    (x.exp() * 2).sum().backward()
    (t.exp() * 2).sum().backward()
    check(x.grad, t.grad, rtol=1e-2 if dtype == "float16" else None)


# -- behaviour --------------------------------------------------------------------------------

def test_scalar_backward_default_gradient_and_graph_attributes(device, rng):
    x = st.tensor(make(rng, (3,)), requires_grad=True, device=device)
    w = st.tensor(make(rng, (3,)), device=device)
    y = (x * w).sum()
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
    assert x.is_leaf and w.is_leaf and not w.requires_grad
    y.backward()
    assert np.allclose(host(x.grad), host(w))
    assert w.grad is None


def test_backward_with_gradient_argument(device, rng):
    run_grad(device, rng, lambda m, x: x * 3, [make(rng, (2, 3))])
    x = st.ones(2, 2, requires_grad=True, device=device)
    (x * 2).backward(gradient=st.full((2, 2), 0.5, device=device))
    assert np.array_equal(host(x.grad), np.ones((2, 2), np.float32))


def test_grads_accumulate_across_backward_calls(device, rng):
    a = make(rng, (4,))
    x, t = st.tensor(a, requires_grad=True, device=device), torch.tensor(a, requires_grad=True)
    for _ in range(2):
        (x.sin() * 2).sum().backward()
        (t.sin() * 2).sum().backward()
    check(x.grad, t.grad)
    (x ** 2).sum().backward()
    (t ** 2).sum().backward()
    check(x.grad, t.grad)
    x.grad = None
    x.sum().backward()
    assert np.array_equal(host(x.grad), np.ones(4, np.float32))


def test_grad_zero_in_place(device):
    x = st.ones(3, requires_grad=True, device=device)
    (x * 4).sum().backward()
    x.grad.zero_()
    (x * 2).sum().backward()
    assert host(x.grad).tolist() == [2.0, 2.0, 2.0]


def test_no_grad_context_and_decorator(device):
    x = st.ones(3, requires_grad=True, device=device)
    with st.no_grad():
        y = x * 2
        assert not y.requires_grad and y.is_leaf
        with st.enable_grad():
            z = x * 2
            assert z.requires_grad
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad

    @st.no_grad()
    def f(v):
        return v * 3

    @st.enable_grad()
    def g(v):
        return v * 3

    assert not f(x).requires_grad
    with st.no_grad():
        assert g(x).requires_grad
    assert (x * 2).requires_grad


def test_no_grad_as_bare_decorator():
    x = st.ones(3, requires_grad=True)

    @st.no_grad
    def f(v):
        return v * 3

    assert not f(x).requires_grad


def test_is_grad_enabled(device):
    assert st.is_grad_enabled()
    with st.no_grad():
        assert not st.is_grad_enabled()
    assert st.is_grad_enabled()


def test_no_grad_restores_state_after_exception():
    x = st.ones(2, requires_grad=True)
    with pytest.raises(ValueError):
        with st.no_grad():
            raise ValueError("inside")
    assert (x * 2).requires_grad


def test_grad_mode_is_thread_local():
    x = st.ones(2, requires_grad=True)
    inside, outside = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with st.no_grad():
            inside.set()
            outside.wait(5)
            seen["worker"] = (x * 2).requires_grad

    th = threading.Thread(target=worker)
    th.start()
    inside.wait(5)
    seen["main"] = (x * 2).requires_grad
    outside.set()
    th.join(5)
    assert seen == {"main": True, "worker": False}

    with st.no_grad():
        res = {}
        th = threading.Thread(target=lambda: res.setdefault("r", (x * 2).requires_grad))
        th.start()
        th.join(5)
    assert res["r"] is True


def test_detach_blocks_gradient(device, rng):
    a = make(rng, (3,))
    x, t = st.tensor(a, requires_grad=True, device=device), torch.tensor(a, requires_grad=True)
    (x * x.detach()).sum().backward()
    (t * t.detach()).sum().backward()
    check(x.grad, t.grad)


def test_sgd_step_under_no_grad(device, rng):
    a, target = make(rng, (4,)), make(rng, (4,))
    p, tp = st.tensor(a, requires_grad=True, device=device), torch.tensor(a, requires_grad=True)
    lr = 0.1
    for _ in range(3):
        ((p - st.tensor(target, device=device)) ** 2).sum().backward()
        ((tp - torch.tensor(target)) ** 2).sum().backward()
        with st.no_grad():
            p -= lr * p.grad
        with torch.no_grad():
            tp -= lr * tp.grad
        p.grad = None
        tp.grad = None
        assert p.is_leaf and p.requires_grad
    check(p, tp)


def test_leaf_updates_under_no_grad_in_place_methods(device):
    p = st.ones(3, requires_grad=True, device=device)
    with st.no_grad():
        p.add_(1.0)
        p.mul_(st.tensor([1.0, 2.0, 3.0], device=device))
        p[0] = 10.0
    assert host(p).tolist() == [10.0, 4.0, 6.0] and p.is_leaf and p.requires_grad
    (p * p).sum().backward()
    assert host(p.grad).tolist() == [20.0, 8.0, 12.0]


def test_in_place_on_non_leaf_is_differentiated(device, rng):
    a = make(rng, (5,))
    x, t = st.tensor(a, requires_grad=True, device=device), torch.tensor(a, requires_grad=True)

    def f(v):
        y = v * 2
        y.add_(1.0)
        y.mul_(3.0)
        y += v
        return y.sum()
    f(x).backward()
    f(t).backward()
    check(x.grad, t.grad)


def test_ops_without_grad_inputs_do_not_require_grad(device, rng):
    x = st.tensor(make(rng, (3,)), device=device)
    y = st.tensor(make(rng, (3,)), requires_grad=True, device=device)
    assert not (x * 2).requires_grad and not x.exp().requires_grad
    assert (x * y).requires_grad
    assert not (y > 0).requires_grad
    assert not y.argmax().requires_grad
    assert not st.topk(y, 2).indices.requires_grad


def test_setitem_on_non_leaf_is_differentiated(device, rng):
    a, v = make(rng, (4, 5)), make(rng, (5,))

    def f(m, x, value):
        y = x * 2
        y[1] = value
        y[:, ::2] *= 3
        y[y > 10] = 0.0
        return y

    run_grad(device, rng, f, [a, v])


def test_grad_flows_across_devices(device, rng):
    if device == "cpu":
        pytest.skip("needs a device other than cpu")
    a = make(rng, (3, 4))
    x = st.tensor(a, requires_grad=True)
    y = (x.to(device) * 2).exp().sum()
    y.backward()
    t = torch.tensor(a, requires_grad=True)
    (t * 2).exp().sum().backward()
    assert str(x.grad.device) == "cpu"
    check(x.grad, t.grad, rtol=1e-4)


VIEW_INPUT_CASES = [
    ("matmul_T", lambda m, x: x.T @ x), ("stepped_exp_sum", lambda m, x: x[:, ::2].exp().sum(0)),
    ("softmax_T", lambda m, x: x.T.softmax(0)), ("topk_T", lambda m, x: m.topk(x.T, 2).values),
    ("expanded_mul", lambda m, x: x[:, :1].expand(4, 6) * x),
    ("where_T", lambda m, x: m.where(x.T > 0, x.T, 1.0)),
    ("max_dim_stepped", lambda m, x: x[::2].max(1).values), ("logsumexp_T", lambda m, x: x.T.logsumexp(1)),
    ("gather_T", lambda m, x: x.T.gather(0, m.tensor([[0, 1, 3, 3]]))),
    ("index_stepped", lambda m, x: x[1::2][:, m.tensor([5, 0, 5])]),
]


@pytest.mark.parametrize("name,fn", VIEW_INPUT_CASES, ids=[c[0] for c in VIEW_INPUT_CASES])
def test_grads_through_non_contiguous_views(device, rng, name, fn):
    run_grad(device, rng, fn, [make(rng, (4, 6))])
