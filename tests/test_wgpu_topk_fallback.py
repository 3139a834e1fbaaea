"""The shipped fallback's wgpu launch fields (spiraltorch/heuristics/fallback.spk): which path,
workgroup size and units each regime of shapes gets; the measurements behind each rule are in the
comments beside it."""
from __future__ import annotations

import numpy as np
import pytest

from spiraltorch import backends, heuristics
from spiraltorch import dtypes as dt
from spiraltorch.backends.wgpu import topk_layout as wlayout
from spiraltorch.backends.wgpu.array import storage_itemsize
from spiraltorch.backends.wgpu.device import get_context
from spiraltorch.backends.wgpu.transfer import from_numpy
from tests.test_wgpu_topk import adversarial_rows, check, make_input


def device_subgroups() -> int:
    """The fallback's ``sg`` input on this device: 1 where it has subgroups and
    SPIRAL_WGPU_SUBGROUPS does not turn them off."""
    return int(backends.get("wgpu").caps.subgroups)


def fallback_field(name):
    """The shipped fallback's wgpu field ``name`` as a function of (rows, cols, k, dtype)."""
    def field(rows, cols, k, dtype="float32"):
        return heuristics.choose("topk", rows, cols, k, device="wgpu", dtype=dtype).get(name)
    return field


def test_fallback_picks_held_keys_for_rows_of_at_most_4096(clean_heuristics):
    hk = fallback_field("hk")
    assert hk(2048, 4096, 64) == 1 and hk(16384, 4096, 1024) == 1 and hk(4096, 1024, 8) == 1
    assert hk(16384, 2048, 128) == 1 and hk(2048, 4096, 256, "float16") == 1
    assert hk(16384, 4096, 32) == 0 and hk(65536, 256, 32) == 0 and hk(4096, 32000, 128) == 0
    assert hk(16384, 4096, 64) == 0 and hk(4096, 3000, 256, "float16") == 0  # floor candidates


def test_fallback_picks_floor_candidates_for_long_rows_and_large_k(clean_heuristics):
    fc = fallback_field("fc")
    assert fc(4096, 32000, 1024) == 1 and fc(256, 32768, 256) == 1
    assert fc(4096, 32000, 128, "float16") == 1 and fc(4096, 32000, 128) == 1
    assert fc(256, 32768, 128, "float16") == 1 and fc(256, 32768, 128) == 0
    assert fc(4096, 32000, 64, "float16") == 1 and fc(4096, 32000, 64) == 0
    assert fc(4096, 32000, 65) == 1 and fc(1024, 8192, 64, "float16") == 1
    assert fc(256, 32768, 64, "float16") == 0 and fc(4096, 32000, 63, "float16") == 0
    assert fc(16384, 4096, 1024) == 0 and fc(2048, 4096, 128) == 0 and fc(16384, 2048, 128) == 0
    assert fc(16384, 4096, 64) == 1 and fc(4096, 2049, 256, "float16") == 1


def test_fallback_floor_candidates_on_subgroups_for_rows_of_4096_only_for_4_byte_keys(
        clean_heuristics):
    sg, on = fallback_field("sg"), device_subgroups()
    assert sg(16384, 4096, 128) == on and sg(16384, 4096, 128, "float16") == 0
    assert sg(16384, 4096, 32) == 0 and sg(16384, 32000, 8, "float16") == on


def fallback_path(rows, cols, k, dtype="float32"):
    """The path of the fallback's Choice on this device: rowwise, by_subgroup, full_sort or other
    (rw goes before sr before fs)."""
    choice = heuristics.choose("topk", rows, cols, k, device="wgpu", dtype=getattr(dt, dtype))
    plan = wlayout.layout(get_context(), cols, k, True, choice,
                          8 * storage_itemsize(getattr(dt, dtype)))
    return next((p for p in ("rowwise", "by_subgroup", "full_sort") if getattr(plan, p)), "other")


def test_fallback_picks_rowwise_or_a_subgroup_a_row_for_many_short_rows(clean_heuristics):
    rw, sr = fallback_field("rw"), fallback_field("sr")
    sg = int(bool(backends.get("wgpu").caps.subgroups))
    assert rw(65536, 256, 7) == rw(32768, 256, 4) == rw(16384, 256, 2) == rw(16384, 512, 2) == 1
    assert rw(65536, 256, 1) == 1 and rw(16384, 512, 8) == rw(4096, 64, 8) == rw(65536, 256, 9) == 0
    # rows too few for their k: one subgroup a row, where the device has subgroups
    assert rw(65536, 256, 8) == 1 - sg and rw(16384, 256, 4) == 1 - sg
    assert sr(65536, 256, 8) == sg and sr(16384, 256, 4) == sg and sr(4096, 256, 2) == sg
    assert sr(65536, 256, 32) == sg and sr(65536, 256, 1) == 0
    assert fallback_path(65536, 256, 7) == fallback_path(16384, 256, 2) == "rowwise"
    assert sr(16384, 256, 128) == sg and sr(4096, 256, 64) == sg and sr(4096, 256, 128) == 0
    assert sr(65536, 256, 16, "float16") == sg and sr(65536, 256, 32, "float16") == 0
    # elsewhere the whole-row sort is ahead: fewer rows, rows of at most 128 columns
    assert sr(256, 256, 4) == sr(1024, 256, 32) == sr(65536, 128, 32) == 0
    assert sr(16384, 256, 8, "float16") == sr(32768, 256, 32, "float16") == 0


def test_fallback_picks_full_sort_for_large_k_on_short_rows(clean_heuristics):
    fs = fallback_field("fs")
    assert fs(65536, 256, 32) == 1 and fs(4096, 1024, 1024) == 1 and fs(4096, 1024, 513) == 1
    assert fs(4096, 1024, 512) == 0 and fs(4096, 4096, 4096) == 0 and fs(65536, 256, 1) == 0
    # k <= 8 on rows of at most 256 columns where the device has subgroups, but rowwise's rows
    sg = int(bool(backends.get("wgpu").caps.subgroups))
    assert fs(65536, 64, 8) == fs(16384, 128, 4) == fs(256, 256, 2) == sg
    assert fs(4096, 512, 8) == 0
    assert fallback_path(65536, 256, 4) == fallback_path(16384, 64, 2) == "rowwise"
    assert fallback_path(4096, 64, 4) == ("full_sort" if sg else "other")
    assert fs(16384, 2048, 1025) == 1 and fs(16384, 2048, 1024) == 0  # up to the held keys' k
    assert fs(16384, 1536, 1024) == 0 and fs(16384, 1536, 1025) == 1


@pytest.mark.parametrize("dtype", ["float32", "float16", "int32", "uint8"])
def test_fallback_choice_on_short_rows_at_small_k_is_exact(clean_heuristics, dtype):
    """What the fallback gives rows of at most 256 columns at 2 <= k <= 8 (the whole-row sort
    where the device has subgroups) against the exact reference: NaN, infinities, signed zeros,
    ramps both ways, rows of one value and heavy ties."""
    ctx = get_context()
    rng = np.random.default_rng()
    for cols in (37, 100, 256):
        a = np.concatenate([make_input(rng, dtype, 300, cols), adversarial_rows(rng, dtype, cols)])
        x = from_numpy(ctx, a)
        for k in (2, 5, 8):
            choice = heuristics.choose("topk", len(a), cols, k, device="wgpu",
                                       dtype=getattr(dt, dtype))
            plan = wlayout.layout(ctx, cols, k, True, choice, 8 * storage_itemsize(x.dtype))
            assert plan.full_sort == wlayout.subgroups_enabled(ctx), (cols, k)
            for largest, in_order in ((True, True), (False, True), (True, False)):
                check(ctx, a, x, k, largest, in_order, choice)


def test_fallback_workgroups_and_units_on_rows_of_at_most_16384(clean_heuristics):
    wg = fallback_field("wg")
    assert wg(16384, 4096, 128) == 128 and wg(2048, 8192, 1024) == 128 and wg(64, 1025, 1) == 128
    assert wg(4096, 16384, 64) == wg(1024, 16384, 8) == wg(1024, 16384, 32, "float16") == 128
    assert wg(4096, 16384, 32) == wg(512, 16384, 64) == wg(4096, 16384, 64, "float16") == 256
    assert wg(16384, 4096, 32, "float16") == wg(16384, 3000, 8, "float16") == 128
    assert wg(16384, 4096, 128, "float16") == wg(16384, 3000, 32, "float16") == 256
    assert wg(4096, 32000, 32) == wg(16384, 8193, 8) == 256 and wg(4096, 256, 8) == 64
    kl = fallback_field("kl")
    assert kl(16384, 4096, 32, "float16") == kl(16384, 8192, 8, "float16") == 4
    assert kl(16384, 4096, 128, "float16") == kl(4096, 10000, 32, "float16") == 2


def test_fallback_sorts_the_filters_buffer_on_subgroups_but_for_small_k_on_many_rows(
        clean_heuristics):
    fg, on = fallback_field("fg"), device_subgroups()
    assert fg(4096, 300, 8) == 0 and fg(16384, 4096, 2) == 0 and fg(4096, 32000, 8) == 0
    assert fg(4096, 300, 9) == on and fg(4095, 300, 8) == on and fg(16384, 4096, 32) == on


def test_fallback_doubles_floor_candidates_for_few_rows_of_2_byte_elements(clean_heuristics):
    fd = fallback_field("fd")
    assert fd(256, 32768, 128, "float16") == 1 and fd(1024, 8192, 64, "float16") == 1
    assert fd(1025, 8192, 64, "float16") == 0 and fd(256, 32768, 1024) == 0


def test_fallback_retries_failed_floors_apart_for_4_byte_elements_on_many_rows(clean_heuristics):
    fr = fallback_field("fr")
    assert fr(2048, 32000, 1024) == 1 and fr(16384, 4096, 128, "int32") == 1
    assert fr(2047, 32000, 1024) == 0 and fr(256, 32768, 1024) == 0
    assert fr(4096, 32000, 1024, "float16") == 0


def test_fallback_fits_the_held_keys_first_digit_over_floor_candidates_only(clean_heuristics):
    hr = fallback_field("hr")
    assert hr(4096, 32000, 1024) == 1 and hr(16384, 8192, 128, "float16") == 1
    assert hr(16384, 4096, 128) == 1 and hr(256, 32768, 1024) == 1
    assert hr(4096, 4096, 512) == 0 and hr(2048, 4096, 128) == 0
    assert hr(1, 1 << 24, 1024) == 0 and hr(16, 262144, 1024) == 0


def test_fallback_sorts_winners_as_words_over_whole_held_rows_only(clean_heuristics):
    hw = fallback_field("hw")
    assert hw(16384, 4096, 1024) == 1 and hw(4096, 4096, 512) == 1 and hw(2048, 4096, 128) == 1
    assert hw(16384, 4096, 128) == 0 and hw(4096, 32000, 1024) == 0 and hw(256, 32768, 1024) == 0
    assert hw(1, 1 << 24, 1024) == 0
