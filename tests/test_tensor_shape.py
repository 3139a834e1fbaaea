"""Views, indexing (ints, slices with steps, None, ..., bool masks, integer tensors),
__setitem__, and gather / index_select / cat / stack / split / chunk; compared with torch."""
import numpy as np
import pytest
import torch
from conftest import (VIEW_KINDS, OnDevice, check, check_any, host, make, need_dtypes, pair,
                      property_settings, same_as_torch, to_device, torch_error_type, view_pair)
from hypothesis import given
from hypothesis import strategies as hs
from hypothesis.extra.numpy import array_shapes, basic_indices

import spiraltorch as st


VIEW_OPS = [
    ("reshape", lambda x: x.reshape(4, 6)), ("reshape-1", lambda x: x.reshape(-1, 3)),
    ("reshape_tuple", lambda x: x.reshape((2, 12))), ("view", lambda x: x.view(6, 4)),
    ("view-1", lambda x: x.view(-1)), ("flatten", lambda x: x.flatten()),
    ("flatten1", lambda x: x.flatten(1)), ("flatten0_1", lambda x: x.flatten(0, 1)),
    ("unsqueeze0", lambda x: x.unsqueeze(0)), ("unsqueeze-1", lambda x: x.unsqueeze(-1)),
    ("unsqueeze2", lambda x: x.unsqueeze(2)), ("permute", lambda x: x.permute(2, 0, 1)),
    ("permute_tuple", lambda x: x.permute((1, 2, 0))), ("transpose", lambda x: x.transpose(0, 2)),
    ("transpose-", lambda x: x.transpose(-1, -2)), ("mT", lambda x: x.mT),
    ("contiguous_T", lambda x: x.transpose(0, 1).contiguous()),
    ("expand", lambda x: x[:, :1].expand(2, 5, 4)), ("expand-1", lambda x: x[None].expand(3, -1, -1, -1)),
    ("squeeze", lambda x: x[:, :1, None].squeeze()), ("squeeze1", lambda x: x[:, :1].squeeze(1)),
    ("squeeze_noop", lambda x: x.squeeze(0)), ("squeeze_tuple", lambda x: x[:1, :1].squeeze((0, 1))),
    ("reshape_of_T", lambda x: x.transpose(0, 2).reshape(-1)),
    ("view_T_last", lambda x: x.transpose(0, 1).view(3, 2, 2, 2)),
]


@pytest.mark.parametrize("name,fn", VIEW_OPS, ids=[n for n, _ in VIEW_OPS])
def test_view_ops(device, rng, name, fn):
    s, t = pair(make(rng, (2, 3, 4)), device)
    same_as_torch(lambda m: fn(s if m is st else t))


def test_t_on_1d_and_2d(device, rng):
    s, t = pair(make(rng, (3, 5)), device)
    check(s.t(), t.t())
    check(st.t(s), torch.t(t))
    v, tv = pair(make(rng, (4,)), device)
    check(v.t(), tv.t())


def test_module_level_shape_functions(device, rng):
    s, t = pair(make(rng, (2, 3, 4)), device)
    check(st.reshape(s, (6, 4)), torch.reshape(t, (6, 4)))
    check(st.flatten(s), torch.flatten(t))
    check(st.squeeze(s[:1]), torch.squeeze(t[:1]))
    check(st.unsqueeze(s, 1), torch.unsqueeze(t, 1))
    check(st.permute(s, (2, 1, 0)), torch.permute(t, (2, 1, 0)))
    check(st.transpose(s, 0, 1), torch.transpose(t, 0, 1))


def test_views_share_storage(device, rng):
    s, t = pair(make(rng, (4, 6)), device)
    views = [lambda x: x.view(24), lambda x: x.reshape(2, 12), lambda x: x.T, lambda x: x[1:3],
             lambda x: x[::2, 1::3], lambda x: x.unsqueeze(0)[0], lambda x: x[..., 2], lambda x: x.flatten()]
    for i, v in enumerate(views):
        vs, vt = v(s), v(t)
        vs.fill_(float(i))
        vt.fill_(float(i))
        check(s, t)


def test_expand_is_a_view_without_copy(device, rng):
    s, t = pair(make(rng, (3, 1)), device)
    e = s.expand(3, 1000)
    assert e.shape == (3, 1000) and not e.is_contiguous()
    check(e, t.expand(3, 1000))
    check(s.expand_as(st.zeros(3, 4)), t.expand_as(torch.zeros(3, 4)))


def test_is_contiguous_of_views(device, rng):
    s, t = pair(make(rng, (4, 6)), device)
    for fn in (lambda x: x, lambda x: x.T, lambda x: x[:, ::2], lambda x: x[1:3], lambda x: x.T.contiguous(),
               lambda x: x[:, 1:2], lambda x: x[None]):
        assert fn(s).is_contiguous() == fn(t).is_contiguous()


# -- indexing --------------------------------------------------------------------------------

INDEXES = [
    ("int", lambda m: 1), ("neg_int", lambda m: -1), ("int_int", lambda m: (1, -2)),
    ("int_int_int", lambda m: (0, 2, 3)), ("slice", lambda m: slice(1, 3)),
    ("slice_step", lambda m: slice(None, None, 2)),
    ("slice_step3", lambda m: (slice(None), slice(1, None, 3))),
    ("slice_neg", lambda m: (slice(-2, None), slice(None, -1))),
    ("slice_out_of_range", lambda m: slice(2, 100)), ("slice_empty", lambda m: slice(3, 1)),
    ("none", lambda m: None), ("none_mid", lambda m: (slice(None), None, 1)),
    ("ellipsis", lambda m: (Ellipsis, 1)), ("ellipsis_mid", lambda m: (0, Ellipsis, slice(None, 2))),
    ("ellipsis_none", lambda m: (None, Ellipsis, None)),
    ("int_tensor", lambda m: m.tensor([2, 0, 2])), ("int_tensor_neg", lambda m: m.tensor([-1, 0])),
    ("int_tensor_2d", lambda m: m.tensor([[0, 1], [2, 2]])),
    ("int_tensor_pair", lambda m: (m.tensor([0, 2, 1]), m.tensor([3, 0, 1]))),
    ("int_tensor_bcast", lambda m: (m.tensor([[0], [2]]), m.tensor([1, 3]))),
    ("int_tensor_slice", lambda m: (slice(None), m.tensor([3, 1]))),
    ("slice_int_tensor_int", lambda m: (slice(None, 2), m.tensor([0, 0, 2]), 1)),
    ("separated_tensors", lambda m: (m.tensor([0, 2]), slice(None), m.tensor([1, 0]))),
    ("list", lambda m: [0, 2]), ("int_tensor_empty", lambda m: m.tensor([], dtype=m.int64)),
    ("int_tensor_0d", lambda m: m.tensor(1)), ("int32_tensor", lambda m: m.tensor([1, 0], dtype=m.int32)),
    ("mask_full", lambda m: None), ("mask_rows", lambda m: m.tensor([True, False, True])),
    ("mask_2d", lambda m: m.tensor([[True, False, True, True], [False, False, False, True],
                                    [True, True, False, False]])),
    ("mask_after_slice", lambda m: (slice(None), m.tensor([False, True, True, False]))),
    ("mask_all_false", lambda m: m.tensor([False, False, False])),
    ("bool_scalar", lambda m: True),
]


@pytest.mark.parametrize("name,idx", INDEXES, ids=[n for n, _ in INDEXES])
def test_getitem(device, rng, name, idx):
    s, t = pair(make(rng, (3, 4, 5)), device)
    if name == "mask_full":
        check(s[s > 0], t[t > 0])
        return
    same_as_torch(lambda m: (s if m is st else t)[to_device(idx(m), device)])


def test_getitem_on_non_contiguous_and_0d(device, rng):
    s, t = pair(make(rng, (6, 8)), device)
    check(s.T[1:5:2, st.tensor([0, 3], device=device)], t.T[1:5:2, torch.tensor([0, 3])])
    check(s[::2][:, ::3][1], t[::2][:, ::3][1])
    z, tz = pair(np.array(3.5, dtype=np.float32), device)
    check(z[None], tz[None])
    check(z[...], tz[...])
    check(s[1, 2], t[1, 2])
    assert s[1, 2].ndim == 0


def test_getitem_mask_on_non_contiguous(device, rng):
    s, t = pair(make(rng, (5, 6)), device)
    check(s.T[s.T > 0.3], t.T[t.T > 0.3])
    check(s[:, ::2][s[:, ::2] < 0], t[:, ::2][t[:, ::2] < 0])


def test_integer_dtype_tensors_index(device, rng):
    s, t = pair(make(rng, (7,), "int32"), device)
    check(s[2:6:3], t[2:6:3])
    check(s[st.tensor([6, 0, 0], device=device)], t[torch.tensor([6, 0, 0])])
    b, tb = pair(make(rng, (7,), "bool"), device)
    check(b[b], tb[tb])


SETITEMS = [
    ("int_scalar", lambda m: 1, lambda m: 9.0), ("slice_scalar", lambda m: slice(1, None, 2), lambda m: -1.0),
    ("slice_tensor_bcast", lambda m: (slice(None), 2), lambda m: m.arange(10.0).view(5, 2)[:, 1]),
    ("step_slice_tensor", lambda m: (slice(None), slice(None, None, 2)),
     lambda m: m.arange(3.0).view(3, 1, 1)),
    ("ellipsis", lambda m: (Ellipsis, 0), lambda m: m.zeros(4)),
    ("none", lambda m: (None, 0), lambda m: 5.0),
    ("int_tensor", lambda m: m.tensor([0, 2]), lambda m: 7.0),
    ("int_tensor_values", lambda m: (m.tensor([0, 2]), m.tensor([1, 3])),
     lambda m: m.tensor([-3.0, -4.0])[:, None]),
    ("mask_scalar", None, lambda m: 0.0),
    ("mask_rows_tensor", lambda m: m.tensor([True, False, True]), lambda m: m.ones(5)),
    ("int_value_into_float", lambda m: 0, lambda m: 3),
    ("float_tensor_other_dtype", lambda m: 0, lambda m: m.ones(4, 5, dtype=m.float64)),
]


@pytest.mark.parametrize("name,idx,value", SETITEMS, ids=[n for n, _, _ in SETITEMS])
def test_setitem(device, rng, name, idx, value):
    if name == "float_tensor_other_dtype":
        need_dtypes(device, "float64")
    s, t = pair(make(rng, (3, 4, 5)), device)
    if idx is None:
        s[s > 0] = value(OnDevice(device))
        t[t > 0] = value(torch)
    else:
        s[idx(OnDevice(device))] = value(OnDevice(device))
        t[idx(torch)] = value(torch)
    check(s, t)


def test_setitem_mask_with_values(device, rng):
    s, t = pair(make(rng, (4, 5)), device)
    mask = make(rng, (4, 5), "bool")
    sm, tm = pair(mask, device)
    vals = make(rng, (int(mask.sum()),))
    s[sm] = st.tensor(vals, device=device)
    t[tm] = torch.tensor(vals)
    check(s, t)


def test_setitem_on_view_updates_base(device, rng):
    s, t = pair(make(rng, (4, 6)), device)
    vs, vt = s.T, t.T
    vs[1:4:2] = 0.0
    vt[1:4:2] = 0.0
    vs[st.tensor([0, 5], device=device), 2] = 8.0
    vt[torch.tensor([0, 5]), 2] = 8.0
    check(s, t)


def test_setitem_int_tensor_duplicates_and_int_dtype(device):
    s, t = pair(np.zeros(5, dtype=np.int64), device)
    s[st.tensor([1, 3], device=device)] = st.tensor([4, 6], device=device)
    t[torch.tensor([1, 3])] = torch.tensor([4, 6])
    s[-1] = 2.9
    t[-1] = 2.9
    check(s, t)


# -- gather, index_select, cat, stack, split, chunk ------------------------------------------

@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gather(device, rng, dim):
    a = make(rng, (4, 5))
    s, t = pair(a, device)
    size = list(a.shape)
    size[dim] = 3
    idx = rng.integers(0, a.shape[dim], size=size)
    si, ti = pair(idx, device)
    check(s.gather(dim, si), t.gather(dim, ti))
    check(st.gather(s, dim, si), torch.gather(t, dim, ti))
    small = idx[:2, :2]
    check(st.gather(s, dim, st.tensor(small, device=device)), torch.gather(t, dim, torch.tensor(small)))


def test_gather_non_contiguous_and_int_values(device, rng):
    s, t = pair(make(rng, (5, 6), "int64"), device)
    idx = rng.integers(0, 5, size=(2, 6))
    check(s.T.gather(1, st.tensor(idx.T.copy(), device=device)), t.T.gather(1, torch.tensor(idx.T.copy())))


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_index_select(device, rng, dim):
    a = make(rng, (3, 4, 5))
    s, t = pair(a, device)
    idx = rng.integers(0, a.shape[dim], size=6)
    check(s.index_select(dim, st.tensor(idx, device=device)), t.index_select(dim, torch.tensor(idx)))
    check(st.index_select(s.transpose(0, 2), dim, st.tensor(idx[:2] % 3, device=device)),
          torch.index_select(t.transpose(0, 2), dim, torch.tensor(idx[:2] % 3)))
    check(s.index_select(dim, st.tensor([], dtype=st.int64, device=device)),
          t.index_select(dim, torch.tensor([], dtype=torch.int64)))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat(device, rng, dim):
    shapes = [(2, 3), (2, 3), (2, 3)]
    arrs = []
    for i, sh in enumerate(shapes):
        sh = list(sh)
        sh[dim] = i + 1
        arrs.append(make(rng, sh))
    ss = [st.tensor(a, device=device) for a in arrs]
    ts = [torch.tensor(a) for a in arrs]
    check(st.cat(ss, dim), torch.cat(ts, dim))
    check(st.cat(tuple(ss), dim=dim), torch.cat(tuple(ts), dim=dim))
    check(st.cat([ss[0]], dim), torch.cat([ts[0]], dim))


def test_cat_mixed_dtypes_empty_and_views(device, rng):
    (s1, t1), (s2, t2) = pair(make(rng, (2, 3), "int32"), device), pair(make(rng, (4, 3)), device)
    check(st.cat([s1, s2]), torch.cat([t1, t2]))
    check(st.cat([s2.T, s2.T[:, ::2]], dim=1), torch.cat([t2.T, t2.T[:, ::2]], dim=1))
    e, te = pair(np.zeros((0, 3), np.float32), device)
    check(st.cat([e, s2, e]), torch.cat([te, t2, te]))
    check(st.cat([s2, st.zeros(0, device=device)]), torch.cat([t2, torch.zeros(0)]))


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_stack(device, rng, dim):
    arrs = [make(rng, (2, 3)) for _ in range(3)]
    ss = [st.tensor(a, device=device) for a in arrs]
    ts = [torch.tensor(a) for a in arrs]
    check(st.stack(ss, dim), torch.stack(ts, dim))
    check(st.stack([ss[0].T, ss[1].T], dim=dim), torch.stack([ts[0].T, ts[1].T], dim=dim))


@pytest.mark.parametrize("split", [1, 2, 3, 7, [1, 4], [0, 5], [2, 2, 1]], ids=str)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_split(device, rng, split, dim):
    s, t = pair(make(rng, (5, 5)), device)
    got, want = s.split(split, dim), t.split(split, dim)
    check_any(tuple(got), tuple(want))
    check_any(tuple(st.split(s, split, dim=dim)), tuple(torch.split(t, split, dim=dim)))


@pytest.mark.parametrize("chunks", [1, 2, 3, 4, 6, 9])
@pytest.mark.parametrize("dim", [0, 1])
def test_chunk(device, rng, chunks, dim):
    s, t = pair(make(rng, (6, 5)), device)
    check_any(tuple(s.chunk(chunks, dim)), tuple(t.chunk(chunks, dim)))
    check_any(tuple(st.chunk(s, chunks, dim=dim)), tuple(torch.chunk(t, chunks, dim=dim)))


def test_split_and_chunk_return_views(device, rng):
    s, t = pair(make(rng, (6, 4)), device)
    s.split(2)[1].fill_(0.0)
    t.split(2)[1].fill_(0.0)
    s.chunk(2, dim=1)[1].fill_(1.0)
    t.chunk(2, dim=1)[1].fill_(1.0)
    check(s, t)


def test_indexing_results_are_independent_copies_for_advanced_indexing(device, rng):
    s, t = pair(make(rng, (4, 3)), device)
    got = s[st.tensor([0, 1], device=device)]
    got.fill_(100.0)
    assert not (host(s) == 100.0).any()
    check(s, t)


def test_index_with_cpu_index_tensors_on_other_devices(device, rng):
    """As torch indexes a CUDA tensor with CPU integer or bool index tensors."""
    if device == "cpu":
        pytest.skip("needs a device other than cpu")
    s, t = pair(make(rng, (4, 5)), device)
    check(s[st.tensor([3, 0, 3])], t[torch.tensor([3, 0, 3])], device=device)
    mask = [True, False, True, False, True]
    check(s[:, st.tensor(mask)], t[:, torch.tensor(mask)])
    s[st.tensor([1, 2])] = 0.0
    t[torch.tensor([1, 2])] = 0.0
    check(s, t)


@property_settings
@given(shape=array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5), data=hs.data(),
       kind=hs.sampled_from(VIEW_KINDS), seed=hs.integers(0, 2**32 - 1))
def test_basic_indexing_property(device, shape, data, kind, seed):
    """Random ints, slices (steps, out-of-range bounds, negative steps: refused as torch does),
    None and ... on random views; reading, then writing through the same index."""
    idx = data.draw(basic_indices(shape, allow_newaxis=True, allow_ellipsis=True), label="index")
    s, t = view_pair(np.random.default_rng(seed), shape, "float32", kind, device)
    same_as_torch(lambda m: (s if m is st else t)[idx])
    if kind == "expanded":
        return  # writing into an expanded view is an error in torch as well
    s, t = s.contiguous(), t.contiguous()
    try:
        t[idx] = -7.0
    except Exception:  # the oracle refuses this index: spiraltorch must too, with the same type
        with pytest.raises(torch_error_type(lambda: t.__setitem__(idx, -7.0))):
            s[idx] = -7.0
        return
    s[idx] = -7.0
    check(s, t)


@property_settings
@given(shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5), data=hs.data(),
       seed=hs.integers(0, 2**32 - 1))
def test_integer_array_indexing_property(device, shape, data, seed):
    rng = np.random.default_rng(seed)
    dim = data.draw(hs.integers(0, len(shape) - 1), label="dim")
    n = shape[dim]
    idx = rng.integers(-n, n, size=data.draw(hs.integers(0, 6), label="count"))
    s, t = pair(make(rng, shape), device)
    key = (slice(None),) * dim + (idx,)
    check(s[to_device(tuple(st.tensor(k) if isinstance(k, np.ndarray) else k for k in key), device)],
          t[tuple(torch.tensor(k) if isinstance(k, np.ndarray) else k for k in key)])
