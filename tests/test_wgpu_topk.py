"""WebGPU TopK kernels against the exact reference, bit for bit, for every variant and Choice."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import wgpu

from spiraltorch import backends, heuristics
from spiraltorch import dtypes as dt
from spiraltorch.backends.wgpu import topk as wtopk
from spiraltorch.backends.wgpu import topk_layout as wlayout
from spiraltorch.backends.wgpu import views
from spiraltorch.backends.wgpu.array import storage_itemsize
from spiraltorch.backends.wgpu.device import WgpuContext, get_context
from spiraltorch.backends.wgpu.timing import device_time
from spiraltorch.backends.wgpu.transfer import from_numpy, to_numpy
from spiraltorch.heuristics.choice import Choice
from tests.test_wgpu_backend import widest_binding
from tests.topk_reference import reference_topk

# One-pass, two-pass, one invocation per row, whole-row sort and one subgroup per row (where the
# device has subgroups), workgroup sizes 32..256, units 1..8, subgroup variant on and off, the
# winners sorted bitonic or by radix (where the device has subgroups), keys held in registers.
CHOICES = [
    Choice(u2=0, wg=32, kl=1, extra=(("sg", 0), ("rw", 0))),
    Choice(u2=0, wg=256, kl=4, extra=(("sg", 1), ("rw", 0))),
    Choice(u2=1, wg=64, kl=2, ch=64, extra=(("sg", 1), ("rw", 0))),
    Choice(u2=1, wg=128, kl=8, ch=300, extra=(("sg", 0), ("rw", 0))),
    Choice(u2=1, wg=256, kl=1, ch=0, cr=3, extra=(("sg", 1), ("rw", 0))),
    Choice(u2=0, wg=64, kl=1, extra=(("sg", 1), ("rw", 1))),
    Choice(u2=0, wg=128, kl=1, extra=(("sg", 0), ("fs", 1))),
    Choice(u2=0, wg=64, kl=1, extra=(("sg", 1), ("sr", 1), ("fs", 1))),
    Choice(u2=1, wg=128, kl=2, ch=150, extra=(("sg", 1), ("rs", 1))),
    Choice(u2=0, wg=64, kl=1, extra=(("fs", 1), ("rs", 1))),
    Choice(u2=0, wg=32, kl=1, extra=(("hk", 1),)),
]
DTYPES = ["float32", "float16", "int32", "uint8", "bool"]
F32_NAN_BITS = np.array([0x7FC00000, 0xFFC00000, 0x7F800001], np.uint32)
# WebGPU's default limits (wgpu raises unnamed limits to the adapter's, so name them all).
WEBGPU_DEFAULT_LIMITS = {
    "max-compute-invocations-per-workgroup": 256, "max-compute-workgroup-size-x": 256,
    "max-compute-workgroup-size-y": 256, "max-compute-workgroup-size-z": 64,
    "max-compute-workgroup-storage-size": 16384, "max-compute-workgroups-per-dimension": 65535,
    "max-storage-buffer-binding-size": 134217728, "max-buffer-size": 268435456,
    "max-storage-buffers-per-shader-stage": 8, "max-uniform-buffer-binding-size": 65536,
    "max-bind-groups": 4, "max-bindings-per-bind-group": 1000,
    "min-storage-buffer-offset-alignment": 256, "min-uniform-buffer-offset-alignment": 256,
}


@pytest.fixture(scope="module")
def ctx():
    return get_context()


def make_input(rng, dtype: str, rows: int, cols: int) -> np.ndarray:
    """Random values with heavy ties plus NaN (several payloads), +-inf and +-0.0."""
    if dtype == "bool":
        return rng.random((rows, cols)) < 0.5
    if dtype == "uint8":
        a = rng.integers(0, 4, (rows, cols)).astype(np.uint8)
        a[rng.random((rows, cols)) < 0.05] = 255
        return a
    if dtype == "int32":
        a = rng.integers(-3, 4, (rows, cols)).astype(np.int32)
        m = rng.random((rows, cols))
        a[m < 0.05] = np.iinfo(np.int32).min
        a[m > 0.95] = np.iinfo(np.int32).max
        return a
    a = rng.integers(-4, 5, (rows, cols)).astype(np.float32)
    a[:, ::2] = rng.standard_normal((rows, (cols + 1) // 2))
    m = rng.random((rows, cols))
    a[m < 0.04] = np.inf
    a[(m >= 0.04) & (m < 0.08)] = -np.inf
    a[(m >= 0.08) & (m < 0.14)] = -0.0
    a[(m >= 0.14) & (m < 0.18)] = 0.0
    if dtype == "float16":
        a = a.astype(np.float16)
        a.view(np.uint16)[m >= 0.95] = rng.choice(np.array([0x7E00, 0xFE00, 0x7C01], np.uint16),
                                                  int((m >= 0.95).sum()))
        return a
    a.view(np.uint32)[m >= 0.95] = rng.choice(F32_NAN_BITS, int((m >= 0.95).sum()))
    return a


def bits(a: np.ndarray) -> np.ndarray:
    return a.view(np.uint16 if a.dtype == np.float16 else np.uint32) if a.dtype.kind == "f" else a


def poison_outputs(ctx, x, k):
    """Leaves buffers of 0xff bytes on top of the pool for the outputs of a topk call of k over
    x, so that an element no kernel writes shows."""
    rows = x.shape[0]
    for nbytes in (rows * k * storage_itemsize(x.dtype), rows * k * 8):
        buf = ctx.buffer(max(nbytes, 4))
        ctx.write(buf, 0, b"\xff" * buf.size)
        ctx.release(buf)


def check(ctx, a, x, k, largest, sorted, choice):
    poison_outputs(ctx, x, k)
    values, indices = wtopk.topk(ctx, x, k, largest, sorted, choice)
    assert values.shape == (a.shape[0], k) and values.dtype.name == x.dtype.name
    assert indices.shape == (a.shape[0], k) and indices.dtype is dt.int64
    got_v, got_i = to_numpy(values), to_numpy(indices)
    want_v, want_i = reference_topk(a, k, largest)
    if not sorted:
        order = np.argsort(got_i, axis=1, kind="stable")
        got_v, got_i = np.take_along_axis(got_v, order, 1), np.take_along_axis(got_i, order, 1)
        order = np.argsort(want_i, axis=1, kind="stable")
        want_v, want_i = np.take_along_axis(want_v, order, 1), np.take_along_axis(want_i, order, 1)
    where = f"k={k} largest={largest} sorted={sorted} choice=({choice}) shape={a.shape}"
    np.testing.assert_array_equal(got_i, want_i, err_msg=where)
    np.testing.assert_array_equal(bits(got_v), bits(want_v), err_msg=where)


@pytest.mark.parametrize("choice", CHOICES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_topk_matches_reference(ctx, dtype, choice):
    rng = np.random.default_rng()
    a = make_input(rng, dtype, 5, 300)
    x = from_numpy(ctx, a)
    for k in (0, 1, 7, 64, 300):
        for largest in (True, False):
            for sorted in (True, False):
                check(ctx, a, x, k, largest, sorted, choice)


@pytest.mark.parametrize("choice", [CHOICES[0], CHOICES[1], CHOICES[3]], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_large_k_sorts_across_dispatches(ctx, dtype, choice):
    rng = np.random.default_rng()
    a = make_input(rng, dtype, 2, 5000)
    x = from_numpy(ctx, a)
    for largest in (True, False):
        check(ctx, a, x, 3000, largest, True, choice)
    check(ctx, a, x, 2500, True, False, choice)
    check(ctx, a, x, 5000, False, True, choice)


def test_candidates_merge_over_several_levels(ctx):
    """Many short chunks: the candidates are merged in groups of 4 to 16 segments, level after
    level, on the radix and the filtered paths; sorted, the levels stop where a row's candidates
    fit select_held (225 chunks: at once for k of 2 and 5)."""
    rng = np.random.default_rng()
    for dtype in ("float32", "float16"):
        a = make_input(rng, dtype, 3, 9000)
        x = from_numpy(ctx, a)
        for fq, in_order in itertools.product((0, 1), (False, True)):
            choice = Choice(u2=1, wg=32, kl=2, ch=40, extra=(("sg", 1), ("fq", fq), ("rw", 0)))
            for k in (2, 5, 33, 1100):  # 1100: levels of 4 segments
                launch = wtopk.TopkLaunch(ctx, x, k, True, in_order, choice)
                passes = sum(1 for p, *_ in launch._steps if "sort" not in p.label
                             and "emit" not in p.label)
                launch.release()
                assert passes == 2 if in_order and k <= 5 else passes >= 3, (k, in_order, passes)
                check(ctx, a, x, k, bool(rng.integers(0, 2)), in_order, choice)


@pytest.mark.parametrize("dtype", ["float32", "float16", "int32", "uint8"])
def test_chunk_floors_pass_over_low_keys(ctx, dtype):
    """Two-pass radix selection of k > 128 over chunks of at least one unit per invocation: each
    chunk's floor (from 2 ceil(k / chunks) group maxima of a sample, at most one group per
    invocation) lets the selection pass over every key below the row's lowest floor. Heavy ties
    put the floor among equal keys, and a row of one value puts more than k keys of every chunk
    at it, which then take the radix select. Chunks of 820 columns need 40 groups of 64
    invocations at k=200; at k=1100 chunks needing more than FLOOR_GROUPS_MAX take no floors."""
    rng = np.random.default_rng()
    cols = 4100
    a = make_input(rng, dtype, 3, cols)
    a[2] = a[2, 0]
    x = from_numpy(ctx, a)
    for ch, wg, ks in ((256, 32, (100, 129, 200, 256)), (820, 64, (200, 300)), (256, 32, (1100,))):
        choice = Choice(u2=1, wg=wg, kl=2, ch=ch, extra=(("sg", 1), ("rw", 0)))
        for k in ks:  # 100: the filter's range
            launch = wtopk.TopkLaunch(ctx, x, k, True, True, choice)
            floored = any(p.label == "topk chunk floor" for p, *_ in launch._steps)
            launch.release()
            groups = -(-k // (cols // max(ch, k)))
            assert floored == (k > 128 and groups <= wtopk.FLOOR_GROUPS_MAX), k
            for largest in (True, False):
                check(ctx, a, x, k, largest, bool(rng.integers(0, 2)), choice)


def test_chunk_floors_as_high_as_allowed(ctx):
    """Each invocation's sample of a chunk holds one high key, the same ranks in every chunk:
    exactly ceil(k / 16) keys of each chunk reach its floor, so a floor one rank higher among
    the group maxima would drop some of the top k."""
    rng = np.random.default_rng()
    a = rng.random((2, 4096), dtype=np.float32)  # 16 chunks of 64 four-element units
    for chunk in range(16):
        ranks = np.stack([np.arange(32), rng.permutation(32)])
        a[:, chunk * 256 + 4 * np.arange(32)] = 100.0 - ranks + chunk / 1024
    x = from_numpy(ctx, a)
    choice = Choice(u2=1, wg=32, kl=2, ch=256, extra=(("sg", 0), ("rw", 0)))
    for k in (129, 145, 255):
        check(ctx, a, x, k, True, True, choice)


@pytest.mark.parametrize("dtype", DTYPES)
def test_subgroup_rows_short_enough_for_registers(ctx, dtype):
    """One subgroup per row where each lane holds at most two word units of the row (counted
    from registers, compacted from memory), and rows a little longer or unaligned, which read
    memory every pass."""
    if not wlayout.subgroups_enabled(ctx):
        pytest.skip("the device has no subgroups")
    rng = np.random.default_rng()
    choice = Choice(u2=0, wg=64, kl=1, extra=(("sg", 1), ("sr", 1)))
    for rows, cols in ((37, 64), (11, 40), (9, 256), (6, 65), (5, 8), (7, 80), (5, 352)):
        a = make_input(rng, dtype, rows, cols)
        x = from_numpy(ctx, a)
        assert wlayout.layout(ctx, cols, 2, True, choice).by_subgroup
        for k in (2, 7, cols // 2, cols):
            check(ctx, a, x, k, bool(rng.integers(0, 2)), bool(rng.integers(0, 2)), choice)


@pytest.mark.parametrize("narrow_lanes", [wtopk.RADIX_NARROW_LANES, 0], ids=["8-bit", "16-bit"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_radix_sort_of_every_row_size(ctx, dtype, narrow_lanes, monkeypatch):
    """The radix sort of the winners, rows of 64 to 1024 slots (16 to 256 invocations), after
    one- and two-pass selections and whole-row reads, with digit counts summed over subgroups in
    8-bit and in 16-bit fields; constant rows and heavy ties check that equal keys keep index
    order."""
    monkeypatch.setattr(wtopk, "RADIX_NARROW_LANES", narrow_lanes)
    if not wlayout.subgroups_enabled(ctx):
        pytest.skip("the device has no subgroups")
    rng = np.random.default_rng()
    choices = (Choice(u2=0, wg=256, kl=2, extra=(("sg", 1), ("rs", 1))),
               Choice(u2=1, wg=64, kl=1, ch=400, extra=(("sg", 0), ("rs", 1))),
               Choice(u2=0, wg=128, kl=1, extra=(("fs", 1), ("rs", 1))))
    a = make_input(rng, dtype, 4, 1024)
    a[1] = a[1, 0]
    x = from_numpy(ctx, a)
    for k in (33, 64, 100, 250, 512, 700, 1024):
        for choice in choices:
            assert wlayout.layout(ctx, 1024, k, True, choice).radix_sort
            check(ctx, a, x, k, bool(rng.integers(0, 2)), True, choice)


def test_more_rows_than_one_grid_dimension(ctx):
    rng = np.random.default_rng()
    a = make_input(rng, "float32", 70000, 3)
    x = from_numpy(ctx, a)
    check(ctx, a, x, 2, True, True, CHOICES[0])
    check(ctx, a, x, 3, False, True, CHOICES[2])
    check(ctx, a, x, 2, False, False, HELD_CHOICE)


def test_non_contiguous_views(ctx):
    rng = np.random.default_rng()
    for dtype in ("float32", "float16"):
        base = make_input(rng, dtype, 64, 9)
        x = views.permute(from_numpy(ctx, base), (1, 0))  # column stride 9
        a = base.T
        check(ctx, a, x, 5, True, True, CHOICES[1])
        check(ctx, a, x, 20, False, True, CHOICES[2])
        window = views.slice_view(x, [(1, 8, 2), (3, 60, 1)])  # offset, strides (18, 9)
        check(ctx, a[1:8:2, 3:60], window, 11, True, True, CHOICES[3])


def test_random_choices_fuzz(ctx):
    rng = np.random.default_rng()
    for _ in range(12):
        rows, cols = int(rng.integers(1, 6)), int(rng.integers(1, 700))
        k = int(rng.integers(0, cols + 1))
        choice = Choice(u2=int(rng.integers(0, 2)), wg=int(rng.choice([32, 256])),
                        kl=int(rng.choice([1, 4])), ch=int(rng.integers(0, cols + 2)),
                        cr=int(rng.integers(1, 5)), extra=(("sg", int(rng.integers(0, 2))),
                                                           ("rw", int(rng.integers(0, 2))),
                                                           ("fs", int(rng.integers(0, 2))),
                                                           ("sr", int(rng.integers(0, 2))),
                                                           ("rs", int(rng.integers(0, 2))),
                                                           ("hk", int(rng.integers(0, 2))),
                                                           ("fc", int(rng.integers(0, 2))),
                                                           ("fd", int(rng.integers(0, 2))),
                                                           ("fr", int(rng.integers(0, 2))),
                                                           ("fg", int(rng.integers(0, 2))),
                                                           ("hr", int(rng.integers(0, 2))),
                                                           ("hw", int(rng.integers(0, 2))),
                                                           ("hb", int(rng.integers(0, 2)))))
        dtype = str(rng.choice(DTYPES))
        a = make_input(rng, dtype, rows, cols)
        check(ctx, a, from_numpy(ctx, a), k, bool(rng.integers(0, 2)), bool(rng.integers(0, 2)),
              choice)


def test_subgroups_switched_off_by_environment(ctx, monkeypatch):
    monkeypatch.setenv("SPIRAL_WGPU_SUBGROUPS", "0")
    assert not wlayout.layout(ctx, 300, 7, True, CHOICES[1]).subgroups
    a = make_input(np.random.default_rng(), "float32", 3, 300)
    check(ctx, a, from_numpy(ctx, a), 7, True, True, CHOICES[1])


def test_every_variant_within_default_limits():
    adapter = wgpu.gpu.request_adapter_sync(power_preference="high-performance")
    features = [f for f in ("subgroup", "shader-f16") if f in adapter.features]
    device = adapter.request_device_sync(required_features=features,
                                            required_limits=WEBGPU_DEFAULT_LIMITS)
    ctx = WgpuContext(adapter, device, features)
    assert ctx.limits["max-compute-invocations-per-workgroup"] == 256
    assert ctx.limits["max-compute-workgroup-storage-size"] == 16384
    rng = np.random.default_rng()
    a = make_input(rng, "float32", 3, 5000)
    x = from_numpy(ctx, a)
    for choice in (CHOICES[1], CHOICES[3], CHOICES[5], CHOICES[6], CHOICES[7], CHOICES[8]):
        assert wlayout.layout(ctx, 5000, 3000, True, choice).subgroups == (
            wlayout.subgroups_enabled(ctx) and choice.get("sg") == 1)
        check(ctx, a, x, 1, True, True, choice)
        check(ctx, a, x, 9, True, True, choice)
        check(ctx, a, x, 3000, False, True, choice)
    check(ctx, a, x, 1000, True, True, CHOICES[8])  # rows of 1024 slots: the largest radix sort
    for dtype in ("float32", "float16")[:1 + ("shader-f16" in features)]:
        # the most slots held keys sort: pairs, and packed
        b = make_input(rng, dtype, 2, 4096)
        assert wlayout.layout(ctx, 4096, 1024, True, HELD_CHOICE, b.dtype.itemsize * 8).held
        for choice in (HELD_CHOICE, RANKED_CHOICE):
            check(ctx, b, from_numpy(ctx, b), 1024, True, True, choice)
    retried = Choice(u2=0, wg=256, kl=4, extra=(("fc", 1), ("fr", 1)))
    for k, choice in itertools.product((100, 1024), (FLOOR_CHOICE, retried)):
        # floor candidates, and a select of the rows they leave (in a retry dispatch or not)
        assert wlayout.layout(ctx, 5000, k, True, choice).candidates
        check(ctx, a, x, k, True, True, choice)
        strided = views.slice_view(x, [(0, 3, 1), (0, 5000, 2)])  # every floor fails
        check(ctx, a[:, ::2], strided, k, True, True, choice)


def test_k_out_of_range_names_sizes(ctx):
    x = from_numpy(ctx, np.zeros((2, 4), np.float32))
    for k in (-1, 5):
        with pytest.raises(RuntimeError, match=f"k={k}.*size 4"):
            wtopk.topk(ctx, x, k, True, True, CHOICES[0])


def test_device_time_reports_per_launch_seconds(ctx):
    a = make_input(np.random.default_rng(), "float32", 4, 1000)
    launch = wtopk.TopkLaunch(ctx, from_numpy(ctx, a), 8, True, True, CHOICES[1])
    for stamps in (True, False):
        t = device_time(ctx, launch.record, launches=3, repeats=2, use_timestamps=stamps)
        assert 0 < t.min <= t.median <= t.max and t.launches == 3 and t.repeats == 2
    launch.release()
    want_v, want_i = reference_topk(a, 8, True)
    np.testing.assert_array_equal(to_numpy(launch.indices), want_i)
    np.testing.assert_array_equal(bits(to_numpy(launch.values)), bits(want_v))


FILTER_CHOICES = [
    Choice(u2=0, wg=256, kl=8, extra=(("sg", 1), ("fq", 1), ("fg", 1))),
    Choice(u2=0, wg=32, kl=2, extra=(("sg", 0), ("fq", 1), ("fg", 0))),
    Choice(u2=1, wg=64, kl=4, ch=700, extra=(("sg", 1), ("fq", 1), ("fg", 1))),
]


def adversarial_rows(rng, dtype: str, cols: int) -> np.ndarray:
    """Rows that make the filtered buffer refill often: ascending, descending, all equal, random."""
    ramp = np.arange(cols) % (120 if dtype in ("uint8", "bool") else cols)
    rows = [ramp, ramp[::-1], np.full(cols, 3), rng.integers(-5, 6, cols)]
    a = np.stack(rows)
    if dtype == "bool":
        return (a % 2).astype(bool)
    if dtype == "uint8":
        return (a % 256).astype(np.uint8)
    return a.astype(np.dtype(dtype))


def add_specials(rng, row: np.ndarray) -> None:
    """Puts a NaN of either sign, +-inf and +-0.0 at random places of a float row: few enough
    for a floor above zero, where keys of those elements are tested on their stored bits."""
    specials = np.array([np.nan, np.nan, np.inf, -np.inf, -0.0, 0.0], row.dtype)
    specials[1] = np.copysign(specials[1], -1)
    row[rng.choice(len(row), len(specials), replace=False)] = specials


@pytest.mark.parametrize("subgroups", ["1", "0"], ids=["subgroups", "portable"])
@pytest.mark.parametrize("choice", FILTER_CHOICES, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float16", "int32", "uint8"])
def test_filter_path_over_many_sweeps(ctx, dtype, choice, subgroups, monkeypatch):
    monkeypatch.setenv("SPIRAL_WGPU_SUBGROUPS", subgroups)
    rng = np.random.default_rng()
    cols = 4099
    inputs = [make_input(rng, dtype, 3, cols), adversarial_rows(rng, dtype, cols)]
    if dtype in ("float32", "float16"):
        normal = rng.standard_normal((2, cols)).astype(dtype)
        for row in normal:
            add_specials(rng, row)
        inputs.append(normal)
    for a in inputs:
        x = from_numpy(ctx, a)
        for i, k in enumerate((2, 9, 128)):  # largest first alternates: both key paths each run
            assert wlayout.layout(ctx, cols, k, True, choice).filtered
            check(ctx, a, x, k, i % 2 == 0, bool(rng.integers(0, 2)), choice)


@pytest.mark.parametrize("dtype", ["float32", "float16", "int32", "uint8"])
def test_maximum_of_many_equal_keys(ctx, dtype):
    """k = 1 over rows where each invocation reads many word units and the best key recurs at
    every element position of a unit: the lowest index must win, from whole rows and from rows
    starting inside a word; a row of uint8 zeros is all key 0, the lowest key."""
    rng = np.random.default_rng()
    a = rng.integers(0, 3, (4, 3001)).astype(dtype)
    a[0] = 0  # row 0 starts on a word: no single unit ahead of the words
    a[3] = 1
    x = from_numpy(ctx, a)
    window = views.slice_view(x, [(0, 4, 1), (3, 3001, 1)])
    for kl in (1, 2):
        choice = Choice(u2=0, wg=32, kl=kl, extra=(("sg", 0), ("rw", 0)))
        for largest in (True, False):
            check(ctx, a, x, 1, largest, True, choice)
            check(ctx, a[:, 3:], window, 1, largest, True, choice)


@pytest.mark.parametrize("dtype", ["float32", "float16", "int32"])
def test_keys_crowding_the_floor(ctx, dtype):
    """The filter's floor (topk_floor.wgsl) of a workgroup of 32 is the k-th largest of 2k group
    maxima (at most 32) of the 32 invocations' best keys. Here those differ only in their lowest
    5 bits (and share one radix bucket) and every other element is lower: the floor lands among
    them, and one a rank too high drops a winner."""
    rng = np.random.default_rng()
    raw = {"float32": (np.uint32, 0x3F000000, 0x3F800C00), "float16": (np.uint16, 0x3800, 0x3C00),
           "int32": (np.uint32, 1 << 20, (1 << 20) + (3 << 10))}
    kind, low, high = raw[dtype]
    per = 16 // np.dtype(dtype).itemsize  # elements per 16-byte word unit
    a = np.full((4, 1500), low, kind)
    for row in range(4):
        lows = np.arange(32) if row == 0 else rng.permutation(32)
        for unit, j in enumerate(lows):
            a[row, unit * per + unit % per] = high + j
    a = a.view(dtype)
    x = from_numpy(ctx, a)
    for fq in (0, 1):
        choice = Choice(u2=0, wg=32, kl=1, extra=(("sg", 0), ("fq", fq), ("rw", 0)))
        for k in (2, 4, 7, 32):
            check(ctx, a, x, k, True, True, choice)


def test_filter_path_unaligned_half_rows(ctx):
    """Rows of odd stride and offset alternate between packed and element-wise reading (the
    filter path and the k = 1 maximum)."""
    rng = np.random.default_rng()
    base = make_input(rng, "float16", 6, 1201)
    x = views.slice_view(from_numpy(ctx, base), [(0, 6, 1), (1, 1200, 1)])
    for choice in FILTER_CHOICES:
        check(ctx, base[:, 1:1200], x, 33, True, True, choice)
        check(ctx, base[:, 1:1200], x, 1, bool(rng.integers(0, 2)), True, choice)
        check(ctx, base[:, 1:1200], x, 128, False, False, choice)


@pytest.mark.parametrize("dtype", ["float32", "float16", "int32"])
def test_word_reads_with_every_head_and_tail(ctx, dtype):
    """Segments starting and ending at every position within a 16-byte word: the unaligned
    head and tail are read element by element around the word-read body, on every path."""
    rng = np.random.default_rng()
    base = make_input(rng, dtype, 3, 203)
    x = from_numpy(ctx, base)
    paths = [Choice(u2=0, wg=32, kl=2, extra=(("sg", 1), ("fq", fq), ("rw", 0))) for fq in (0, 1)]
    paths.append(Choice(u2=1, wg=32, kl=1, ch=40, extra=(("sg", 0), ("rw", 0))))
    paths.append(Choice(u2=0, wg=32, kl=1, extra=(("rw", 1),)))
    for lo in range(9):
        hi = 203 - int(rng.integers(0, 9))
        window = views.slice_view(x, [(0, 3, 1), (lo, hi, 1)])
        for choice in paths:
            for k in (1, 5, 60):
                check(ctx, base[:, lo:hi], window, k, bool(rng.integers(0, 2)), True, choice)


@pytest.mark.parametrize("dtype", DTYPES)
def test_rowwise_path_for_every_small_k(ctx, dtype):
    """One invocation per row: every k it takes, ties and NaN included, rows that keep raising
    the k-th best (ascending) and rows whose tail is read element by element."""
    rng = np.random.default_rng()
    choice = Choice(u2=0, wg=64, kl=1, extra=(("rw", 1),))
    for a in (make_input(rng, dtype, 70, 37), adversarial_rows(rng, dtype, 37)):
        x = from_numpy(ctx, a)
        for k in range(1, 33):
            assert wlayout.layout(ctx, 37, k, True, choice).rowwise
            check(ctx, a, x, k, bool(rng.integers(0, 2)), bool(rng.integers(0, 2)), choice)
    assert not wlayout.layout(ctx, 37, 33, True, choice).rowwise
    assert not wlayout.layout(ctx, 37, 8, True, Choice(u2=0, wg=64, kl=1)).rowwise


@pytest.mark.parametrize("subgroups", ["1", "0"], ids=["subgroups", "portable"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_full_sort_path_for_short_rows(ctx, dtype, subgroups, monkeypatch):
    """Whole rows sorted, the first k taken: every k up to the row length, rows of 2048 (one
    sort block) and strided rows; rows of 256 to 1024 slots sort in registers and shuffles where
    the device has subgroups, in workgroup memory otherwise."""
    monkeypatch.setenv("SPIRAL_WGPU_SUBGROUPS", subgroups)
    rng = np.random.default_rng()
    choice = Choice(u2=0, wg=128, kl=1, extra=(("fs", 1),))
    for a in (make_input(rng, dtype, 9, 300), adversarial_rows(rng, dtype, 2048)):
        x = from_numpy(ctx, a)
        for k in (2, 7, 64, a.shape[1]):
            assert wlayout.layout(ctx, a.shape[1], k, True, choice).full_sort
            check(ctx, a, x, k, bool(rng.integers(0, 2)), bool(rng.integers(0, 2)), choice)
    base = make_input(rng, dtype, 40, 9)
    check(ctx, base.T, views.permute(from_numpy(ctx, base), (1, 0)), 13, True, True, choice)
    assert not wlayout.layout(ctx, 2049, 8, True, choice).full_sort
    assert not wlayout.layout(ctx, 300, 1, True, choice).full_sort


HELD_CHOICE = Choice(u2=0, wg=256, kl=4, extra=(("hk", 1),))
RANKED_CHOICE = Choice(u2=0, wg=256, kl=4, extra=(("hk", 1), ("hb", 1)))


def test_last_merge_and_sort_in_one_dispatch(ctx):
    """A sorted two-pass selection ends in select_held over the candidates: candidate rows not a
    multiple of 4 long and short last chunks; each row's successor ranks wholly above it, so a
    candidate read from the wrong row would win."""
    rng = np.random.default_rng()
    choice = Choice(u2=1, wg=32, kl=1, ch=64, extra=(("sg", 0),))
    for dtype, largest in itertools.product(("float32", "int32", "float16"), (True, False)):
        steps = (1 if largest else -1) * np.arange(4)[:, None] * 1000
        a = (rng.integers(-100, 100, (4, 301)) + steps).astype(dtype)
        x = from_numpy(ctx, a)
        for k in (2, 7, 13, 64, 100):
            if k * a.itemsize % 4:
                continue
            launch = wtopk.TopkLaunch(ctx, x, k, largest, True, choice)
            assert [p.label for p, *_ in launch._steps][-1] == "topk select held" + (
                " subgroup" if wlayout.subgroups_enabled(ctx) else "") + (
                " packed" if dtype == "float16" else "") + " of pairs"
            launch.release()
            check(ctx, a, x, k, largest, True, choice)


FLOOR_CHOICE = Choice(u2=0, wg=256, kl=4, extra=(("fc", 1),))


@pytest.mark.parametrize("retried", [0, 1], ids=["here", "retried"])
@pytest.mark.parametrize("subgroups", ["1", "0"], ids=["subgroups", "portable"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_floor_candidates_path(ctx, dtype, subgroups, retried, monkeypatch):
    """Keys at or above a floor from a sample, then select_held over them: random rows (the floor
    taken), a row whose top keys crowd its first sixteenth (more than one subgroup's share of the
    slots) with NaNs of either sign, +-inf and +-0.0, rows with ties at the k-th key, constant rows
    and heavy ties (more keys reach the floor than there are slots: the radix select takes the row),
    rows starting between words, strided and transposed rows, float16 subnormals, k up to 1024,
    sorted and unsorted, samples of every size (one to four units an invocation); on subgroups and
    on the portable entry point; the failed rows selected in the compaction's workgroup, or listed
    for floor_retry (two workgroups here, each taking every other listed row; its count word
    cleared by each call for the next)."""
    monkeypatch.setenv("SPIRAL_WGPU_SUBGROUPS", subgroups)
    monkeypatch.setattr(wtopk, "FLOOR_RETRY_GROUPS", 2)
    choice = Choice(u2=0, wg=256, kl=4, extra=(("fc", 1), ("fr", retried)))
    rng = np.random.default_rng()
    itembits = 16 if dtype == "float16" else 32
    sizes = {wlayout.floor_sample_units(cols, k, itembits) for cols in (9001, 5000)
             for k in (64, 128, 300, 1024)}
    assert sizes == set(range(1, itembits // 8 + 1))
    for rows, cols in ((4, 9001), (3, 5000), (4, 2100)):  # 2100: the fallback's shortest rows
        a = make_input(rng, dtype, rows, cols)
        if dtype in ("float32", "float16"):
            a[1:] = rng.standard_normal((rows - 1, cols)).astype(dtype)
            a[1, :cols // 16] += 50
            add_specials(rng, a[1])
            a[2] = np.round(a[2] * 32) / 32  # ties at the k-th key
            if rows > 3:
                a[3] *= 2e-6  # subnormals in float16 (keys of a zero exponent)
        elif dtype == "int32":
            a[1:] = rng.integers(-2000, 2000, (rows - 1, cols))
        a[0] = a[0, 0]
        padded = make_input(rng, dtype, rows, cols + 1)
        cases = [(a, from_numpy(ctx, a)),
                 (padded[:, 1:], views.slice_view(from_numpy(ctx, padded),
                                                  [(0, rows, 1), (1, cols + 1, 1)]))]
        for i, k in enumerate((2, 64, 128, 300, 1024)):
            if not wlayout.layout(ctx, cols, k, True, choice, itembits).candidates:
                continue
            largest = i % 2 == 0  # alternating: both the stored-bit and the key tests each run
            for (values, x), sorted in itertools.product(cases, (True, False)):
                check(ctx, values, x, k, largest, sorted, choice)
    if dtype in ("float32", "float16"):
        # the top keys only in every other run of 8 words, the runs a row of 5000 samples: the
        # floor lands above the k-th key, and the radix select takes the row
        a = rng.standard_normal((1, 5000)).astype(dtype)
        per_run = 8 * 128 // itembits
        a[0, (np.arange(5000) // per_run) % 2 == 0] += 100
        check(ctx, a, from_numpy(ctx, a), 1024, True, True, choice)
    base = make_input(rng, dtype, 9000, 3)
    transposed = views.permute(from_numpy(ctx, base), (1, 0))  # every row fails: strided
    check(ctx, base.T, transposed, 128, True, True, choice)
    launch = wtopk.TopkLaunch(ctx, transposed, 128, True, True, choice)
    labels = [p.label for p, *_ in launch._steps]
    launch.release()
    assert any(label.startswith("topk floor retry") for label in labels) == bool(retried)
    assert not wlayout.layout(ctx, 2048, 1024, True, choice).candidates  # no fewer slots
    assert not wlayout.layout(ctx, 9000, 1, True, choice).candidates
    assert not wlayout.layout(ctx, 9000, 1025, True, choice).candidates  # slots < 2k
    assert wlayout.layout(ctx, 9000, 7, True, choice, 16).candidates  # odd k of halves too


# Paths that write the output themselves, each with its rows in separate workgroups (or
# invocations): (rows, cols, k, choice).
SHARED_WORD_CASES = [
    (9, 3000, 1, Choice(u2=0, wg=256, kl=4, extra=(("sg", 1),))),  # the k = 1 maximum
    (9, 3000, 7, Choice(u2=0, wg=256, kl=4, extra=(("fq", 1),))),  # filter
    (9, 1000, 7, Choice(u2=0, wg=64, kl=1, extra=(("hk", 1),))),  # held keys
    (9, 9000, 129, FLOOR_CHOICE),  # floor candidates, then held keys over them
    (130, 64, 7, Choice(u2=0, wg=64, kl=1, extra=(("rw", 1),))),  # an invocation a row
    (9, 2048, 7, Choice(u2=0, wg=256, kl=1, extra=(("fs", 1),))),  # a whole-row sort a row
    (9, 3000, 513, Choice(u2=0, wg=256, kl=4, extra=(("fq", 0), ("sg", 1)))),  # register sort
]


@pytest.mark.parametrize("case", SHARED_WORD_CASES, ids=lambda c: f"{c[0]}x{c[1]} k={c[2]}")
def test_odd_k_of_halves_shares_words_between_rows(ctx, case):
    """An odd k of float16 values: neighbouring rows, written by different workgroups, share
    u32 words of the values, and none may overwrite the other's half."""
    rows, cols, k, choice = case
    rng = np.random.default_rng()
    a = make_input(rng, "float16", rows, cols)
    x = from_numpy(ctx, a)
    for largest in (True, False):
        check(ctx, a, x, k, largest, True, choice)


def test_floor_sample_shrinks_where_fewer_keys_suffice():
    units = wlayout.floor_sample_units
    assert units(32000, 128, 32) == 4 and units(32000, 128, 16) == 2  # 16 keys an invocation
    assert units(32768, 1024, 32) == 4 and units(32000, 256, 16) == 2
    assert units(8192, 128, 32) == 2 and units(8192, 128, 16) == 1
    assert units(8192, 256, 32) == 1 and units(5000, 1024, 32) == 1


def test_filter_path_chosen_by_segment_length(ctx):
    auto = Choice(u2=0, wg=256, kl=2, extra=(("sg", 1),))

    def filtered(cols, k, elem_bits, choice=auto):
        return wlayout.layout(ctx, cols, k, True, choice, elem_bits).filtered

    for bits in (16, 32):
        assert filtered(32000, 128, bits) and filtered(16385, 2, bits)
        assert filtered(1024, 16, bits) and not filtered(1023, 8, bits)
        assert not filtered(32000, 129, bits) and not filtered(32000, 1, bits)
    # 16-bit elements: larger k only on longer segments
    assert not filtered(16384, 33, 16) and not filtered(8192, 128, 16)
    assert filtered(4096, 32, 16) and not filtered(4095, 32, 16) and not filtered(1024, 32, 16)
    # 32-bit elements, twice the bytes an element: the filter pays off sooner
    assert filtered(1024, 32, 32) and not filtered(1024, 33, 32)
    assert filtered(4096, 64, 32) and not filtered(4096, 65, 32)
    assert filtered(8192, 128, 32) and not filtered(8191, 65, 32)
    merged = Choice(u2=1, wg=256, kl=2, ch=65536, extra=(("sg", 1),))
    assert filtered(262144, 32, 16, merged)
    assert not filtered(262144, 64, 16, Choice(u2=1, wg=256, kl=2, ch=16384))
    assert filtered(262144, 64, 32, Choice(u2=1, wg=256, kl=2, ch=16384))
    rng = np.random.default_rng()
    a = make_input(rng, "float16", 2, 40000)
    check(ctx, a, from_numpy(ctx, a), 17, True, True, auto)


def test_filter_sorts_on_subgroups_where_the_choice_says(ctx):
    """``fg`` = 1: the filter sorts its buffer in registers and shuffles (where the device has
    subgroups); 0: in workgroup memory."""
    rng = np.random.default_rng()
    a = make_input(rng, "float32", 5, 300)
    x = from_numpy(ctx, a)
    for fg in (0, 1):
        choice = Choice(u2=0, wg=64, kl=1, extra=(("fq", 1), ("fg", fg)))
        launch = wtopk.TopkLaunch(ctx, x, 9, True, True, choice)
        assert [p.label for p, *_ in launch._steps] == ["topk filter" + (
            " subgroup" if fg and wlayout.subgroups_enabled(ctx) else "")]
        launch.release()
        check(ctx, a, x, 9, True, True, choice)


def test_radix_path_for_small_k_when_filter_is_off(ctx):
    choice = Choice(u2=0, wg=64, kl=2, extra=(("sg", 1), ("fq", 0), ("rw", 0)))
    assert not wlayout.layout(ctx, 300, 7, True, choice).filtered
    rng = np.random.default_rng()
    for dtype in ("float32", "float16"):
        a = make_input(rng, dtype, 4, 300)
        for k in (2, 7, 64):
            check(ctx, a, from_numpy(ctx, a), k, True, True, choice)


def test_input_past_the_binding_limit_runs_in_row_blocks(monkeypatch):
    be = backends.get("wgpu")
    rng = np.random.default_rng()
    a = rng.integers(-20, 20, size=(37, 1000)).astype(np.float32)
    a[3, 5] = np.nan
    x = be.from_numpy(a)
    monkeypatch.setattr(be.ctx, "binding_limit", 16384)  # 4 rows a block
    widest = widest_binding(be, monkeypatch)
    for largest in (True, False):
        values, indices = be.topk(x, 50, largest, True, heuristics.choose("topk", 37, 1000, 50,
                                                                          device="wgpu"))
        want_values, want_indices = reference_topk(a, 50, largest)
        np.testing.assert_array_equal(be.to_numpy(indices), want_indices)
        np.testing.assert_array_equal(be.to_numpy(values).view(np.uint32),
                                      want_values.view(np.uint32))
    assert 0 < widest[0] <= 16384
    # the input fits one binding but its sort pairs (512 slots of 8 bytes a row) do not
    monkeypatch.setattr(be.ctx, "binding_limit", 200_000)
    widest[0] = 0
    split = []
    by_blocks = be._topk_by_row_blocks
    monkeypatch.setattr(be, "_topk_by_row_blocks",
                        lambda *args: split.append(args[0].shape) or by_blocks(*args))
    choice = Choice(u2=0, wg=128, kl=1, extra=(("fs", 1),))
    for rows, k, dtype in ((60, 300, "float32"), (60, 300, "float16"), (40, 1000, "int32")):
        b = make_input(rng, dtype, rows, k)
        assert b.nbytes < 200_000 < rows * 8 * (1 << (k - 1).bit_length())
        values, indices = be.topk(be.from_numpy(b), k, True, True, choice)
        assert split.pop() == b.shape
        want_values, want_indices = reference_topk(b, k, True)
        np.testing.assert_array_equal(be.to_numpy(indices), want_indices)
        np.testing.assert_array_equal(bits(be.to_numpy(values)), bits(want_values))
    c = rng.standard_normal((60, 600)).astype(np.float32)  # floor candidates: 512 slots a row
    slots = wlayout.layout(be.ctx, 600, 100, True, FLOOR_CHOICE).candidates
    assert c.nbytes < 200_000 < 60 * 8 * slots
    values, indices = be.topk(be.from_numpy(c), 100, True, True, FLOOR_CHOICE)
    assert split.pop() == c.shape
    want_values, want_indices = reference_topk(c, 100, True)
    np.testing.assert_array_equal(be.to_numpy(indices), want_indices)
    np.testing.assert_array_equal(bits(be.to_numpy(values)), bits(want_values))
    a64 = rng.integers(-9, 9, size=(40, 700)).astype(np.int64)  # the 64-bit sort's pairs
    values, indices = be.topk(be.from_numpy(a64), 600, True, True, choice)
    assert split.pop() == a64.shape
    want_values, want_indices = reference_topk(a64, 600, True)
    np.testing.assert_array_equal(be.to_numpy(indices), want_indices)
    np.testing.assert_array_equal(be.to_numpy(values), want_values)
    assert 0 < widest[0] <= 200_000
    monkeypatch.setattr(be.ctx, "binding_limit", 1024)
    with pytest.raises(RuntimeError, match="4000 bytes"):
        be.topk(x, 5, True, True, heuristics.choose("topk", 37, 1000, 5, device="wgpu"))
