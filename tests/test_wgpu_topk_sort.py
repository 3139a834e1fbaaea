"""The register sort of WebGPU TopK with eight slots an invocation: whole rows of up to 2048 slots,
several rows a block, and the held keys' sort of 1024 winners, against the exact reference."""
from __future__ import annotations

import numpy as np
import pytest
import wgpu

from spiraltorch.backends.wgpu import topk as wtopk
from spiraltorch.backends.wgpu import topk_layout as wlayout
from spiraltorch.backends.wgpu.device import WgpuContext, get_context
from spiraltorch.backends.wgpu.transfer import from_numpy
from spiraltorch.heuristics import Choice
from tests.test_wgpu_topk import (CHOICES, HELD_CHOICE, WEBGPU_DEFAULT_LIMITS, adversarial_rows,
                                  check, make_input)

SORT_CHOICE = Choice(u2=0, wg=128, kl=1, extra=(("fs", 1),))


@pytest.fixture(scope="module")
def ctx():
    ctx = get_context()
    if not wlayout.subgroups_enabled(ctx):
        pytest.skip("the device has no subgroups")
    return ctx


def register_slots(ctx, x, k, choice) -> int:
    """Slots an invocation of the call's register sort holds, 0 where it sorts elsewhere."""
    launch = wtopk.TopkLaunch(ctx, x, k, True, True, choice)
    n = launch.plan.slots
    slots = launch._register_slots(n) if launch._register_block(n) else 0
    launch.release()
    return slots


@pytest.mark.parametrize("dtype", ["float32", "int32", "float16", "uint8", "bool"])
def test_whole_rows_sorted_with_eight_slots_an_invocation(ctx, dtype):
    """Rows of 1025 to 2048 columns (every format), and packed rows from 128 slots, several to a
    block of up to 2048 slots: random rows with NaN, infinities and signed zeros, rows of one
    value, ramps both ways and few distinct values."""
    rng = np.random.default_rng()
    packed = dtype in ("float16", "uint8", "bool")
    shapes = [(3, 2048), (5, 1500)] + ([(9, 300), (20, 128), (3, 1024)] if packed else [])
    for rows, cols in shapes:
        a = np.concatenate([make_input(rng, dtype, rows, cols), adversarial_rows(rng, dtype, cols)])
        x = from_numpy(ctx, a)
        for k in sorted({cols // 2 + 1, cols - 3, cols}):
            assert register_slots(ctx, x, k, SORT_CHOICE) == 8, (rows, cols, k)
            check(ctx, a, x, k, bool(rng.integers(0, 2)), True, SORT_CHOICE)
    x = from_numpy(ctx, make_input(rng, dtype, 4, 1024))
    assert register_slots(ctx, x, 1000, SORT_CHOICE) == (8 if packed else 4)


@pytest.mark.parametrize("choice", [CHOICES[1], CHOICES[3]], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_winners_of_a_selection_sorted_with_eight_slots_an_invocation(ctx, dtype, choice):
    """Rows longer than a sort block at 1024 < k <= 2048: the radix select's (one- or two-pass)
    winners, 2048 slots a row, sort in registers before the output is written."""
    rng = np.random.default_rng()
    a = make_input(rng, dtype, 3, 3000)
    a[1] = a[1, 0]
    x = from_numpy(ctx, a)
    for k in (1025, 1500, 2048):
        assert register_slots(ctx, x, k, choice) == 8
        check(ctx, a, x, k, bool(rng.integers(0, 2)), True, choice)


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_held_keys_sort_their_winners_with_eight_slots_an_invocation(ctx, dtype):
    """select_held at k > 512 sorts with eight slots an invocation, in workgroups of half the
    invocations where its keys allow (rows of up to 2048 columns), and up to 2048 winners where
    the device has the workgroup memory: ties, specials and a constant row; largest and
    smallest."""
    wide = wlayout.held_slots_max(ctx) == wlayout.HELD_SLOTS_WIDE
    assert wide or ctx.caps.max_workgroup_memory < 32 * 1024  # lavapipe offers 32 KiB
    rng = np.random.default_rng()
    for cols in (4096, 2048, 1500):
        a = make_input(rng, dtype, 6, cols)
        a[2] = a[2, 0]
        x = from_numpy(ctx, a)
        for k in (513, 1000, 1024) + ((1025, min(2048, cols)) if wide else ()):
            launch = wtopk.TopkLaunch(ctx, x, k, True, True, HELD_CHOICE)
            assert launch.plan.held
            launch.release()
            check(ctx, a, x, k, True, True, HELD_CHOICE)
            check(ctx, a, x, k, False, True, HELD_CHOICE)


def test_rows_of_2048_pairs_sort_in_workgroup_memory_within_default_limits(ctx):
    """With WebGPU's default 16 KiB of workgroup memory, the register sort of 2048 unpacked
    pairs (and the subgroup layout beside them) does not fit: those rows sort in workgroup memory,
    while packed ones still sort in registers; the held keys take at most 1024 sort slots."""
    adapter = wgpu.gpu.request_adapter_sync(power_preference="high-performance")
    features = [f for f in ("subgroup", "shader-f16") if f in adapter.features]
    device = adapter.request_device_sync(required_features=features,
                                            required_limits=WEBGPU_DEFAULT_LIMITS)
    small = WgpuContext(adapter, device, features)
    rng = np.random.default_rng()
    for dtype, register in (("float32", 0), ("int32", 0), ("uint8", 8)):
        a = np.concatenate([make_input(rng, dtype, 3, 2048), adversarial_rows(rng, dtype, 2048)])
        x = from_numpy(small, a)
        assert register_slots(small, x, 2048, SORT_CHOICE) == register
        check(small, a, x, 2048, True, True, SORT_CHOICE)
        check(small, a, x, 1500, False, True, SORT_CHOICE)
    assert wlayout.held_slots_max(small) == wlayout.HELD_SLOTS_MAX
    assert not wlayout.layout(small, 4096, 1025, True, HELD_CHOICE).held


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_last_merge_of_more_than_1024_winners_held(ctx, dtype):
    """A two-pass selection at 1024 < k <= 2048 whose candidates fit the held keys ends in
    select_held over them where the device has the workgroup memory for 2048 sort slots."""
    if wlayout.held_slots_max(ctx) < wlayout.HELD_SLOTS_WIDE:
        pytest.skip("the held keys take at most 1024 sort slots here")
    rng = np.random.default_rng()
    a = make_input(rng, dtype, 3, 2500)
    x = from_numpy(ctx, a)
    choice = Choice(u2=1, wg=128, kl=2, ch=1250, extra=(("sg", 1),))
    for k in (1100, 1250):
        launch = wtopk.TopkLaunch(ctx, x, k, True, True, choice)
        assert launch._steps[-1][0].label.startswith("topk select held")
        launch.release()
        check(ctx, a, x, k, bool(rng.integers(0, 2)), True, choice)
