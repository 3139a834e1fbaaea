"""Bad input raises torch's exception type, with a message naming the sizes or values involved."""
import numpy as np
import pytest
import torch
from conftest import ALL_DTYPES, DEVICES, OnDevice, has_dtypes, torch_error_type

import spiraltorch as st
from spiraltorch import backends


def _leaf(m):
    return m.ones(3, requires_grad=True)


def _inplace_leaf(op):
    def fn(m):
        x = _leaf(m)
        op(m, x)
    return fn


def _modified_saved_tensor(m):
    x = _leaf(m)
    y = x * 1
    z = y * y
    y.add_(1)
    z.sum().backward()


# (name, fn(module) that must raise, strings that must appear in the message (any case); a tuple
# in that list means "one of these")
CASES = [
    ("broadcast_add", lambda m: m.ones(2, 3) + m.ones(4), ["3", "4"]),
    ("broadcast_mul_3d", lambda m: m.ones(2, 5, 3) * m.ones(6, 1), ["5", "6"]),
    ("broadcast_where", lambda m: m.where(m.ones(3, dtype=m.bool), m.ones(4), 0.0), ["3", "4"]),
    ("inplace_broadcast_target", lambda m: m.ones(3).add_(m.ones(2, 3)), ["2", "3"]),
    ("matmul_2d", lambda m: m.ones(2, 3) @ m.ones(4, 5), ["3", "4"]),
    ("matmul_1d", lambda m: m.ones(3) @ m.ones(4), ["3", "4"]),
    ("matmul_batched", lambda m: m.ones(2, 3, 4) @ m.ones(2, 5, 6), ["4", "5"]),
    ("matmul_batch_broadcast", lambda m: m.ones(2, 3, 4) @ m.ones(3, 4, 5), ["2", "3"]),
    ("matmul_0d", lambda m: m.ones(()) @ m.ones(3), ["0"]),
    ("mm_inner", lambda m: m.mm(m.ones(2, 3), m.ones(2, 3)), ["2", "3"]),
    ("bmm_batch", lambda m: m.bmm(m.ones(2, 3, 4), m.ones(3, 4, 5)), ["2", "3"]),
    ("sum_dim", lambda m: m.ones(2, 3).sum(dim=2), ["2"]),
    ("sum_dim_neg", lambda m: m.ones(2, 3).sum(dim=-3), ["-3"]),
    ("sum_tuple_dim", lambda m: m.ones(2, 3).sum(dim=(0, 5)), ["5"]),
    ("max_dim", lambda m: m.ones(2, 3).max(dim=4), ["4"]),
    ("argmax_dim", lambda m: m.ones(2, 3).argmax(dim=-4), ["-4"]),
    ("softmax_dim", lambda m: m.ones(2, 3).softmax(dim=2), ["2"]),
    ("topk_dim", lambda m: m.topk(m.ones(2, 3), 1, dim=3), ["3"]),
    ("sort_dim", lambda m: m.ones(2, 3).sort(dim=2), ["2"]),
    ("cat_dim", lambda m: m.cat([m.ones(2, 3), m.ones(2, 3)], dim=2), ["2"]),
    ("stack_dim", lambda m: m.stack([m.ones(2, 3), m.ones(2, 3)], dim=4), ["4"]),
    ("unsqueeze_dim", lambda m: m.ones(2, 3).unsqueeze(4), ["4"]),
    ("squeeze_dim", lambda m: m.ones(2, 3).squeeze(2), ["2"]),
    ("transpose_dim", lambda m: m.ones(2, 3).transpose(0, 2), ["2"]),
    ("permute_dims", lambda m: m.ones(2, 3).permute(0, 2), ["2"]),
    ("gather_dim", lambda m: m.ones(2, 3).gather(2, m.zeros(2, 3, dtype=m.int64)), ["2"]),
    ("index_select_dim", lambda m: m.ones(2, 3).index_select(2, m.tensor([0])), ["2"]),
    ("split_dim", lambda m: m.ones(2, 3).split(1, dim=2), ["2"]),
    ("topk_k_too_big", lambda m: m.topk(m.ones(2, 5), 6), ["6", "5"]),
    ("topk_k_negative", lambda m: m.topk(m.ones(2, 5), -1), ["-1"]),
    ("topk_k_dim0", lambda m: m.topk(m.ones(4, 9), 5, dim=0), ["5", "4"]),
    ("topk_bool", lambda m: m.topk(m.ones(4, dtype=m.bool), 1), [("bool", "Bool")]),
    ("mean_int", lambda m: m.ones(3, dtype=m.int64).mean(), [("int64", "Long")]),
    ("softmax_int", lambda m: m.ones(3, dtype=m.int32).softmax(0), [("int32", "Int")]),
    ("neg_bool", lambda m: -m.ones(3, dtype=m.bool), [("bool", "Bool")]),
    ("sub_bool", lambda m: m.ones(3, dtype=m.bool) - m.ones(3, dtype=m.bool), [("bool", "Bool")]),
    ("int_div_inplace", lambda m: m.ones(3, dtype=m.int64).div_(2),
     [("float", "Float"), ("int64", "Long")]),
    ("int_add_float_inplace", lambda m: m.ones(3, dtype=m.int32).add_(1.5),
     [("float", "Float"), ("int", "Int")]),
    ("where_float_cond", lambda m: m.where(m.ones(3), m.ones(3), m.zeros(3)), [("float", "Float")]),
    ("requires_grad_int", lambda m: m.ones(3, dtype=m.int64, requires_grad=True), [("int64", "floating")]),
    ("requires_grad_int_method", lambda m: m.ones(3, dtype=m.int32).requires_grad_(),
     [("int32", "floating")]),
    ("ragged_2", lambda m: m.tensor([[1, 2], [3]]), ["2", "1"]),
    ("ragged_3", lambda m: m.tensor([[1.0, 2.0, 3.0], [4.0, 5.0]]), ["3", "2"]),
    ("ragged_deep", lambda m: m.tensor([[[1], [2]], [[3]]]), ["2", "1"]),
    ("ragged_scalar_vs_list", lambda m: m.tensor([1, [2, 3]]), []),
    ("backward_non_scalar", lambda m: (_leaf(m) * 2).backward(), ["scalar"]),
    ("backward_no_grad_tensor", lambda m: m.ones(3).sum().backward(), ["grad"]),
    ("backward_wrong_gradient_shape", lambda m: (_leaf(m) * 2).backward(m.ones(4)), ["3", "4"]),
    ("leaf_iadd", _inplace_leaf(lambda m, x: x.__iadd__(1)), ["leaf"]),
    ("leaf_mul_", _inplace_leaf(lambda m, x: x.mul_(2)), ["leaf"]),
    ("leaf_zero_", _inplace_leaf(lambda m, x: x.zero_()), ["leaf"]),
    ("leaf_fill_", _inplace_leaf(lambda m, x: x.fill_(1.0)), ["leaf"]),
    ("leaf_copy_", _inplace_leaf(lambda m, x: x.copy_(m.zeros(3))), ["leaf"]),
    ("leaf_setitem", _inplace_leaf(lambda m, x: x.__setitem__(0, 5.0)), ["leaf"]),
    ("leaf_view_setitem", _inplace_leaf(lambda m, x: x[1:].fill_(5.0)), []),
    ("modified_saved_tensor", _modified_saved_tensor, []),
    ("reshape_numel", lambda m: m.ones(2, 3).reshape(4, 4), ["6", "4"]),
    ("reshape_two_minus_one", lambda m: m.ones(2, 3).reshape(-1, -1), []),
    ("view_numel", lambda m: m.ones(6).view(5), ["6", "5"]),
    ("view_non_contiguous", lambda m: m.ones(2, 3).T.view(6), [("stride", "contiguous")]),
    ("expand_size", lambda m: m.ones(2, 3).expand(2, 4), ["3", "4"]),
    ("expand_fewer_dims", lambda m: m.ones(2, 3).expand(3), ["2"]),
    ("cat_sizes", lambda m: m.cat([m.ones(2, 3), m.ones(2, 4)]), ["3", "4"]),
    ("cat_ranks", lambda m: m.cat([m.ones(2, 3), m.ones(3)]), ["2", "1"]),
    ("cat_empty_list", lambda m: m.cat([]), []),
    ("stack_sizes", lambda m: m.stack([m.ones(2, 3), m.ones(3, 2)]), ["2", "3"]),
    ("split_sizes_sum", lambda m: m.ones(5).split([2, 2]), ["5", "2"]),
    ("chunk_zero", lambda m: m.ones(5).chunk(0), ["0"]),
    ("index_out_of_range", lambda m: m.ones(3)[5], ["5", "3"]),
    ("index_negative_out_of_range", lambda m: m.ones(2, 3)[:, -4], ["-4", "3"]),
    ("index_too_many", lambda m: m.ones(2, 3)[0, 0, 0], ["2"]),
    ("index_tensor_out_of_range", lambda m: m.ones(3)[m.tensor([0, 7])], ["7", "3"]),
    ("index_float_tensor", lambda m: m.ones(3)[m.tensor([0.0])], []),
    ("mask_shape", lambda m: m.ones(3, 2)[m.tensor([True, False])], ["2", "3"]),
    ("setitem_shape", lambda m: m.ones(3, 4).__setitem__(slice(None), m.ones(5)), ["4", "5"]),
    ("setitem_mask_count", lambda m: m.ones(4).__setitem__(m.tensor([True, False, True, False]), m.ones(3)),
     ["2", "3"]),
    ("gather_index_out_of_range", lambda m: m.ones(2, 3).gather(1, m.tensor([[0], [3]])), ["3"]),
    ("gather_index_rank", lambda m: m.ones(2, 3).gather(1, m.tensor([0, 1])), []),
    ("gather_index_dtype", lambda m: m.ones(2, 3).gather(1, m.zeros(2, 1)), [("int64", "Long")]),
    ("index_select_out_of_range", lambda m: m.ones(2, 3).index_select(1, m.tensor([4])), ["4"]),
    ("index_select_2d_index", lambda m: m.ones(2, 3).index_select(1, m.tensor([[0]])), []),
    ("item_many", lambda m: m.ones(2, 3).item(), ["6"]),
    ("item_empty", lambda m: m.ones(0).item(), ["0"]),
    ("bool_many", lambda m: bool(m.ones(2)), ["2"]),
    ("len_0d", lambda m: len(m.ones(())), []),
    ("arange_zero_step", lambda m: m.arange(0, 5, 0), []),
    ("arange_wrong_sign", lambda m: m.arange(5, 0, 1), []),
    ("linspace_negative_steps", lambda m: m.linspace(0, 1, -2), ["-2"]),
    ("zeros_negative_size", lambda m: m.zeros(2, -3), ["-3"]),
    ("randint_empty_range", lambda m: m.randint(5, 5, (3,)), ["5"]),
    ("full_bad_shape", lambda m: m.full((2, -1), 1.0), ["-1"]),
    ("unknown_device", lambda m: m.ones(2, device="tpu"), ["tpu"]),
    ("from_numpy_object", lambda m: m.from_numpy(np.array([object()])), ["object"]),
    ("tensor_of_strings", lambda m: m.tensor(["a", "b"]), []),
    ("eye_negative", lambda m: m.eye(-2), ["-2"]),
    ("clamp_no_bounds", lambda m: m.ones(3).clamp(), []),
    ("var_int", lambda m: m.ones(3, dtype=m.int32).var(), []),
    ("grad_wrong_shape", lambda m: setattr(_leaf(m), "grad", m.ones(4)), ["3", "4"]),
]


def _assert_mentions(message, needles, name):
    for needle in needles:
        options = needle if isinstance(needle, tuple) else (needle,)
        assert any(o.lower() in message.lower() for o in options), \
            f"{name}: the message should mention {' or '.join(map(repr, options))}: {message!r}"


@pytest.mark.parametrize("name,fn,needles", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_torch_error(device, name, fn, needles):
    expected = torch_error_type(lambda: fn(torch))
    with pytest.raises(expected) as info:
        fn(OnDevice(device))
    _assert_mentions(str(info.value), needles, name)


def test_leaf_in_place_allowed_under_no_grad():
    x = st.ones(3, requires_grad=True)
    with st.no_grad():
        x += 1
        x[0] = 5.0
        x.zero_()
    assert x.requires_grad and x.is_leaf


def test_unavailable_devices_say_why():
    for name in ("cuda", "mps"):
        ok, why = backends.availability(name)
        if ok:
            continue
        with pytest.raises(RuntimeError) as info:
            st.ones(2, device=name)
        assert name in str(info.value) and "not available" in str(info.value)


@pytest.mark.skipif("wgpu" not in DEVICES, reason="needs a second device (wgpu) under test")
def test_tensors_on_different_devices():
    a, b = st.ones(3), st.ones(3, device="wgpu")
    cases = [lambda: a + b, lambda: b * a, lambda: a @ b, lambda: st.cat([a, b]),
             lambda: st.where(a > 0, a, b), lambda: st.stack([b, a]), lambda: st.maximum(a, b),
             lambda: a.add_(b)]
    for case in cases:
        with pytest.raises(RuntimeError) as info:
            case()
        msg = str(info.value)
        assert "cpu" in msg and "wgpu" in msg, msg


def test_dtype_a_device_lacks_is_refused_by_name(device):
    """As torch on MPS refuses float64: TypeError naming the dtype, never a silent cast."""
    missing = [d for d in ALL_DTYPES if not has_dtypes(device, d)]
    if not missing:
        pytest.skip(f"device {device} has every dtype")
    for name in missing:
        for make_it in (lambda: st.ones(2, dtype=getattr(st, name), device=device),
                        lambda: st.ones(2, dtype=getattr(st, name)).to(device),
                        lambda: st.ones(2, device=device).to(getattr(st, name))):
            with pytest.raises(TypeError) as info:
                make_it()
            assert name in str(info.value)
