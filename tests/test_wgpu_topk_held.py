"""WebGPU TopK with each row's keys held in registers (select_held), over the whole row or over
the floor candidates of a long one, and the register sort of its winners, against the exact
reference."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import wgpu

from spiraltorch.backends.wgpu import topk as wtopk
from spiraltorch.backends.wgpu import topk_layout as wlayout
from spiraltorch.backends.wgpu import views
from spiraltorch.backends.wgpu.device import WgpuContext, get_context
from spiraltorch.backends.wgpu.transfer import from_numpy
from spiraltorch.heuristics import Choice
from tests.test_wgpu_topk import (DTYPES, FLOOR_CHOICE, HELD_CHOICE, WEBGPU_DEFAULT_LIMITS,
                                  add_specials, check,
                                  make_input)


@pytest.fixture(scope="module")
def ctx():
    return get_context()


def with_field(choice: Choice, name: str, value: int) -> Choice:
    """``choice`` with the backend field ``name`` set to ``value``."""
    return Choice(u2=choice.u2, wg=choice.wg, kl=choice.kl, ch=choice.ch, cr=choice.cr,
                  extra=(*[(n, v) for n, v in choice.extra if n != name], (name, value)))


@pytest.mark.parametrize("subgroups", ["1", "0"], ids=["subgroups", "portable"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_held_keys_path(ctx, dtype, subgroups, monkeypatch):
    """Keys held in registers: rows up to 4096 columns, whole and partial quads, rows whose quads
    are not aligned (read element by element), strided rows, runs of equal keys at the
    boundary, up to 1024 sort slots (2048 where the device has the workgroup memory), the
    winners sorted as pairs and (hw = 1, on the aligned rows) as words of key field and position;
    on subgroups and on the portable entry point."""
    monkeypatch.setenv("SPIRAL_WGPU_SUBGROUPS", subgroups)
    rng = np.random.default_rng()
    itembits = 16 if dtype == "float16" else 32
    for rows, cols in ((3, 4096), (2, 4093), (5, 300), (4, 17)):
        a = make_input(rng, dtype, rows, cols)
        a[1] = a[1, 0]
        padded = make_input(rng, dtype, rows, cols + 1)
        cases = [(a, from_numpy(ctx, a)),  # column 1 onwards: rows start between words
                 (padded[:, 1:], views.slice_view(from_numpy(ctx, padded),
                                                  [(0, rows, 1), (1, cols + 1, 1)]))]
        for k in (2, 6, 64, 100, 250, 1024, 1500, cols):
            if k > cols or not wlayout.layout(ctx, cols, k, True, HELD_CHOICE, itembits).held:
                continue
            for ((values, x), words), sorted in itertools.product(zip(cases, (1, 0)),
                                                                  (True, False)):
                check(ctx, values, x, k, bool(rng.integers(0, 2)), sorted,
                      with_field(HELD_CHOICE, "hw", words))
    base = make_input(rng, dtype, 1000, 3)
    check(ctx, base.T, views.permute(from_numpy(ctx, base), (1, 0)), 200, True, True,
          HELD_CHOICE)
    assert wlayout.layout(ctx, 4096, 1024, True, HELD_CHOICE, itembits).held
    assert wlayout.layout(ctx, 300, 7, True, HELD_CHOICE, 16).held  # rows share words of values
    assert not wlayout.layout(ctx, 4097, 8, True, HELD_CHOICE).held
    wide = wlayout.held_slots_max(ctx) == wlayout.HELD_SLOTS_WIDE
    assert wlayout.layout(ctx, 4096, 1025, True, HELD_CHOICE).held == wide
    assert not wlayout.layout(ctx, 4096, 2049, True, HELD_CHOICE).held
    assert not wlayout.layout(ctx, 4096, 1, True, HELD_CHOICE).held


@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_register_sort_puts_a_lone_tie_in_index_order(ctx, dtype):
    """Equal keys rank by index wherever the register sort compares them: rows of distinct keys
    but for one pair of equal ones at ranks r and r + 1, on each side of the boundaries between an
    invocation's four slots, a subgroup's and the steps through workgroup memory, the lower index
    holding either key."""
    rng = np.random.default_rng()
    rows = []
    for r, lower_first in itertools.product((3, 7, 31, 127, 255, 511, 1022), (True, False)):
        row = rng.permutation(4096).astype(dtype)
        hi, lo = np.flatnonzero(row == 4095 - r)[0], np.flatnonzero(row == 4094 - r)[0]
        if (hi < lo) != lower_first:
            row[hi], row[lo] = row[lo], row[hi]
        row[row == 4094 - r] = 4095 - r
        rows.append(row)
    a = np.stack(rows)
    assert wlayout.layout(ctx, 4096, 1024, True, HELD_CHOICE).held
    check(ctx, a, from_numpy(ctx, a), 1024, True, True, HELD_CHOICE)


DOUBLED_FLOOR_CHOICE = Choice(u2=0, wg=256, kl=4, extra=(("fc", 1), ("fd", 1)))


@pytest.mark.parametrize("subgroups", ["1", "0"], ids=["subgroups", "portable"])
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_doubled_floor_candidates(ctx, dtype, subgroups, monkeypatch):
    """fd = 1: twice the candidate slots (a share of them a subgroup slice), the floor aimed
    accordingly; random rows, a row whose top keys crowd its first sixteenth (more than a slice's
    share: the workgroup compacts it again) with special values, ties at the k-th key and a
    constant row (the radix select takes it)."""
    monkeypatch.setenv("SPIRAL_WGPU_SUBGROUPS", subgroups)
    itembits = 16 if dtype == "float16" else 32
    for k, slots in ((128, 1024), (1024, 4096), (2, 512)):
        doubled = wlayout.layout(ctx, 9001, k, True, DOUBLED_FLOOR_CHOICE, itembits)
        assert doubled.candidates == slots
        assert wlayout.layout(ctx, 9001, k, True, FLOOR_CHOICE, itembits).candidates == slots // 2
    assert wlayout.floor_sample_units(9001, 128, 32, slots=1024) < wlayout.floor_sample_units(
        9001, 128, 32)  # a higher aim: fewer sampled keys reach it
    rng = np.random.default_rng()
    a = rng.standard_normal((4, 9001)).astype(dtype)
    a[1, :9001 // 16] += 50
    add_specials(rng, a[1])
    a[2] = np.round(a[2] * 32) / 32
    a[3] = a[3, 0]
    for k, largest, sorted in itertools.product((2, 128, 300, 1024), (True, False), (True, False)):
        check(ctx, a, from_numpy(ctx, a), k, largest, sorted, DOUBLED_FLOOR_CHOICE)



@pytest.mark.parametrize("subgroups", ["1", "0"], ids=["subgroups", "portable"])
@pytest.mark.parametrize("dtype", ["float32", "float16", "int32", "uint8"])
def test_held_keys_first_digit_fitted_to_the_key_range(ctx, dtype, subgroups, monkeypatch):
    """hr = 1: select_held's first digit fits the live keys' range. Rows whose keys span 1 to 2^31
    apart (the first digit from bit 0 to the top byte), a range across a power of two, ties at
    the k-th key, one row of a single value, one of a single stray key, and rows whose candidates
    lie exactly 256 keys apart (a constant row and one key 256 above or below); over whole rows,
    floor candidates and the last merge of a two-pass call, largest and smallest, hr 0 and 1."""
    monkeypatch.setenv("SPIRAL_WGPU_SUBGROUPS", subgroups)
    rng = np.random.default_rng()
    itembits = 8 if dtype == "uint8" else 16 if dtype == "float16" else 32
    uint = {8: np.uint8, 16: np.uint16, 32: np.uint32}[itembits]
    start = np.array({"float32": 1.9, "float16": 1.9, "int32": 1 << 20, "uint8": 3}[dtype],
                     dtype).view(uint)
    rows = []
    for span in sorted({1, 2, 3, 255, 256, 257, 1 << (itembits - 4), 1 << (itembits - 1)}):
        offsets = rng.integers(0, min(span, np.iinfo(uint).max - int(start)), 9000,
                               endpoint=True)
        rows.append((start + offsets.astype(uint)).view(dtype))
    a = np.stack(rows)
    a[0, ::5] = a[0, 7]  # ties
    a[1] = a[1, 0]  # one value
    a[2] = np.zeros((), dtype) if dtype != "float32" else -1.0
    a[2, 4321] = a[3, 0]  # one stray key above a constant row
    if itembits > 8:
        a[4] = a[5] = a[1, 0]
        a[4, 10] = (a[1, :1].view(uint) + 256).view(dtype)[0]
        a[5, 4000] = (a[1, :1].view(uint) - 256).view(dtype)[0]
    whole = np.ascontiguousarray(a[:, :4096])
    assert wlayout.layout(ctx, 9000, 300, True, FLOOR_CHOICE, itembits).candidates or (
        dtype == "uint8")
    two_pass = Choice(u2=1, wg=64, kl=2, ch=1024, extra=(("sg", 0),))
    for hr, k, largest in itertools.product((1, 0), (2, 64, 300), (True, False)):
        held = with_field(HELD_CHOICE, "hr", hr)
        assert wlayout.layout(ctx, 4096, k, True, held).held_range == hr
        check(ctx, whole, from_numpy(ctx, whole), k, largest, True, held)
        for choice in (FLOOR_CHOICE, two_pass):
            check(ctx, a, from_numpy(ctx, a), k, largest, True, with_field(choice, "hr", hr))
    b = make_input(rng, dtype, 3, 3001)
    for k in (5, 700):
        check(ctx, b, from_numpy(ctx, b), k, True, bool(k % 2), with_field(HELD_CHOICE, "hr", 1))


@pytest.mark.parametrize("subgroups", ["1", "0"], ids=["subgroups", "portable"])
@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_sort_words_put_runs_of_equal_key_fields_in_rank_order(ctx, dtype, subgroups,
                                                                monkeypatch):
    """Keys wider than a sort word's key field (topk_slots_positions.wgsl): one outlier widens the
    winners' range so the field drops low bits, and the other winners climb one key at a time with
    the index, so each run of equal fields comes out of the sort in the wrong order unless put in
    rank order (long runs: the pairs sorted again); runs of equal keys among them (rank by index);
    spread keys with a few winners followed later in the row by the next key up (short runs, put
    in order slot by slot); winners fewer than the sort slots (padding); over whole rows, floor
    candidates and the last merge of a two-pass call, largest and smallest."""
    monkeypatch.setenv("SPIRAL_WGPU_SUBGROUPS", subgroups)
    rng = np.random.default_rng()
    cols = 4096
    uint = np.uint32
    start = np.array(1.5 if dtype == "float32" else 1 << 20, dtype).view(uint)
    climb = (start + np.arange(cols, dtype=uint)).view(dtype)
    far = np.array(np.inf if dtype == "float32" else np.iinfo(np.int32).max, dtype)
    rows = [climb.copy() for _ in range(4)]
    rows[0][0] = far
    rows[1][rng.integers(0, cols)] = far
    rows[1][-600::3] = rows[1][-600]  # equal keys inside the runs
    rows[2] = -rows[2]  # the smallest climb down
    rows[2][5] = -far
    rows[3] = rng.permutation(rows[3])
    rows[3][7] = far
    for _ in range(2):  # spread keys and a few planted neighbours: short runs
        spread = (rng.standard_normal(cols) if dtype == "float32"
                  else rng.integers(-(1 << 30), 1 << 30, cols)).astype(dtype)
        top = np.argsort(spread)[-40:]
        for p in rng.choice(top[top < cols - 1], 6, replace=False):
            spread[rng.integers(p + 1, cols)] = (spread[p:p + 1].view(uint) + 1).view(dtype)[0]
        rows.append(spread)
    check_winners_field(ctx, np.stack(rows), "hw", "positions", (64, 1000, 1024))


def check_winners_field(ctx, whole, field: str, step: str, ks) -> None:
    """Rows ``whole`` (4096 columns) with the backend ``field`` set to 1, whose dispatch is named
    with ``step`` in sorted calls only: taken whole by the held keys, as floor candidates (beside
    their mirror image, 8192 columns) and through the last merge of a two-pass call, k in ``ks``,
    largest and smallest."""
    wide = np.concatenate([whole, whole[:, ::-1]], axis=1)
    two_pass = Choice(u2=1, wg=64, kl=2, ch=1024, extra=(("sg", 0),))
    held, floor, two_pass = (with_field(c, field, 1) for c in (HELD_CHOICE, FLOOR_CHOICE, two_pass))
    x = from_numpy(ctx, whole)
    assert step in last_step(ctx, x, 1024, True, held)
    assert step not in last_step(ctx, x, 1024, False, held)  # unsorted: pairs as they are
    assert step not in last_step(ctx, x, 1024, True, HELD_CHOICE)
    for k, largest in itertools.product(ks, (True, False)):
        check(ctx, whole, x, k, largest, True, held)
        for choice in (floor, two_pass):
            check(ctx, wide, from_numpy(ctx, wide), k, largest, True, choice)


def last_step(ctx, x, k: int, sorted: bool, choice: Choice) -> str:
    """The name of the last dispatch of a topk call."""
    launch = wtopk.TopkLaunch(ctx, x, k, True, sorted, choice)
    name = launch.step_names[-1]
    launch.release()
    return name


@pytest.mark.parametrize("storage", [16384, 24576], ids=["16KiB", "24KiB"])
def test_sort_words_within_the_workgroup_memory_offered(storage):
    """Sort words take 12 bytes a slot against a pair's 8: with WebGPU's default 16 KiB of
    workgroup memory both take 1024 sort slots (the words' 15 KiB included); with 24 KiB pairs
    take 2048 and words 1024, and a call at k = 1025 that words cannot hold takes another path."""
    adapter = wgpu.gpu.request_adapter_sync(power_preference="high-performance")
    features = [f for f in ("subgroup", "shader-f16") if f in adapter.features]
    limits = dict(WEBGPU_DEFAULT_LIMITS, **{"max-compute-workgroup-storage-size": storage})
    ctx = WgpuContext(adapter, adapter.request_device_sync(required_features=features,
                                                           required_limits=limits), features)
    wide = storage > 16384
    assert wlayout.held_slots_max(ctx) == (wlayout.HELD_SLOTS_WIDE if wide else
                                           wlayout.HELD_SLOTS_MAX)
    assert wlayout.held_slots_max(ctx, True) == wlayout.HELD_SLOTS_MAX
    assert wlayout.held_slots_max(ctx, False, True) == wlayout.held_slots_max(ctx)
    words = with_field(HELD_CHOICE, "hw", 1)
    rng = np.random.default_rng()
    a = make_input(rng, "float32", 3, 4096)
    x = from_numpy(ctx, a)
    assert "positions" in last_step(ctx, x, 1024, True, words)
    for k in (1000, 1024, 1025):
        assert wlayout.layout(ctx, 4096, k, True, HELD_CHOICE).held == (k <= 1024 or wide)
        assert wlayout.layout(ctx, 4096, k, True, words).held == (k <= 1024)
        check(ctx, a, x, k, True, True, words)


@pytest.mark.parametrize("subgroups", ["1", "0"], ids=["subgroups", "portable"])
@pytest.mark.parametrize("dtype", ["float32", "float16", "int32"])
def test_ranked_winners_count_small_buckets_and_sort_large_ones(ctx, dtype, subgroups,
                                                                monkeypatch):
    """Winners put in rank order by buckets of their keys (hb = 1, topk_held_ranked.wgsl): spread
    keys (small buckets: counted), groups of exactly RANK_BUCKET_MAX equal keys (counted, by
    index), groups one larger and one outlier that packs every other winner into one bucket (the
    row sorted instead), NaN, infinities and signed zeros; over whole rows, floor candidates and
    the last merge of a two-pass call, largest and smallest, with winners fewer than the sort
    slots."""
    monkeypatch.setenv("SPIRAL_WGPU_SUBGROUPS", subgroups)
    rng = np.random.default_rng()
    cols = 4096
    floats = dtype != "int32"
    spread = (rng.standard_normal((2, cols)) * (1 if floats else 1 << 20)).astype(dtype)
    groups = np.repeat(rng.permutation(np.arange(cols // 64)), 64)[:cols].astype(dtype)
    larger = np.repeat(rng.permutation(np.arange(cols // 65 + 1)), 65)[:cols].astype(dtype)
    outlier = spread[0].copy()
    outlier[rng.integers(0, cols)] = np.inf if floats else np.iinfo(np.int32).max
    mixed = make_input(rng, dtype, 1, cols)[0]
    whole = np.stack([*spread, rng.permutation(groups), larger, outlier, mixed])
    check_winners_field(ctx, whole, "hb", "ranked", (2, 64, 1000, 1024))
