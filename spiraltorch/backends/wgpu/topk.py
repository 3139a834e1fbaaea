"""TopK on WebGPU: radix select per row (or per chunk, then a merge), bitonic sort, output gather.

Every kernel works on order-preserving u32 keys (``topk_keys.wgsl``) and on (key, index) pairs
ranked by larger key, then lower index, which is a total order: the result is the same for every
Choice, bit for bit. A call runs these dispatches, in order:

1. ``select`` (one workgroup per row, ``u2=0``), or ``select`` per chunk of ``ch`` columns writing
   k candidates each followed by merges (``u2=1``): ``select`` over groups of 4 to 16 candidate
   segments (MERGE_FANIN) until one group is left, then over that; when sorted, the merges stop
   as soon as a row's candidates fit ``select_held`` (at most HELD * 256), and one
   ``select_held`` over them is the last merge and steps 2 and 3 (for small k, one dispatch over
   up to 4096 candidates is faster than the levels of few workgroups down to one group). The
   selection is a radix select with 11-bit digits and an ordered compaction, so any k <= cols
   works; k = 1 is a workgroup maximum, which over whole rows writes the output itself (no
   ``emit``). For large k over many chunks, ``chunk_floor`` first finds a floor per chunk
   (``topk_chunk_floor.wgsl``); every selection of the call then passes over the keys below the
   row's lowest floor, and a segment with at most k keys above it is one compaction. ``kl`` is
   the number of units (16-byte words of a contiguous row, else single elements;
   ``topk_units.wgsl``) each invocation reads per sweep of the row.
2. ``sort_local`` / ``sort_step`` (only when ``sorted``): a bitonic sort of the k winners, padded
   to a power of two; blocks of up to 2048 pairs in workgroup memory, longer rows with global
   steps in between. With keys and indices of 16 bits or fewer, each pair is packed into one u32
   and blocks take up to 4096 (``topk_slots_packed.wgsl``). On devices with subgroups, the
   backend field ``rs`` = 1 sorts rows of RADIX_SORT_SLOTS slots by a stable radix sort instead
   (``topk_radix_sort.wgsl``, one row per workgroup; the selections write equal keys in index
   order, which stability keeps); otherwise, there, rows of REGISTER_SORT_SLOTS sort in blocks
   of whole rows by bitonic steps in registers and subgroup shuffles (``topk_bitonic_sg.wgsl``).
3. ``emit``: int64 indices as (lo, 0) u32 pairs and the values, recovered from the keys (read
   from the input for NaN and zero keys). Where whole rows of winners fit one sort block,
   ``sort_rows`` does steps 2 and 3 in one dispatch.

For 2 <= k <= FILTER_K_MAX, ``filter`` replaces steps 1 and 2: one read of each row (or chunk, and
then of the candidates) through a workgroup buffer of pairs that beat the k-th best kept so far,
ending in the top k already in rank order; a floor found before the read (``topk_floor.wgsl``)
keeps most elements out of the buffer from the start; the buffer sorts in registers and shuffles
where the backend field ``fg`` is 1 and the device has subgroups. Over whole rows it also
writes the output (no ``emit``). It pays off on long segments, and for small k on short ones too,
sooner for 4-byte elements (FILTER_WINS); the backend field ``fq`` forces it on (1) or off (0), and
without ``fq`` ``use_filter`` decides. Merges of its candidates use ``filter`` too, but for the
last one of a sorted call where ``select_held`` takes it (as after radix select chunks). Every
kernel that writes its rows' output itself (all but ``emit``, which writes whole words one
invocation each) stores the values through ``topk_store_values.wgsl``, so rows whose values share a
u32 word (an odd k of 16-bit values) may be written by different workgroups.

On devices with subgroups, the backend field ``sr`` = 1 replaces step 1 by ``select_rows`` for
2 <= k and rows of up to SELECT_ROWS_COLS_MAX columns: one subgroup per row, a radix select with
digits of one or two bits (SELECT_ROWS_DIGIT_BITS) counted by subgroup sums and no workgroup
memory (many short rows).
For k <= ROWWISE_K_MAX, the backend field ``rw`` = 1 replaces steps 1 and 2 by ``rowwise``:
one invocation per row keeps the best k in registers, in rank order (many short rows, small k),
and writes the output itself up to k = ROWWISE_EMIT_K_MAX.
For rows of at most SORT_BLOCK columns, ``fs`` = 1 sorts whole rows instead: ``sort_rows`` reads
them from the input, sorts them (in registers and shuffles where the device has subgroups, four or
eight slots an invocation, else in workgroup memory) and writes the first k of each as the output,
all in one dispatch (pairs packed into one u32 where keys and indices fit 16 bits).
For rows of at most HELD * 256 columns and up to held_slots_max sort slots, ``hk`` = 1 runs the
whole call as ``select_held``, one dispatch with a workgroup per row: each invocation holds the keys
of HELD columns in registers, so the row is read once; a radix select with 8-bit digits over them
(the first fitted to the range of the row's keys where the backend field ``hr`` is 1), the winners
compacted into workgroup memory, sorted there (on devices with subgroups, in registers and
shuffles: ``topk_bitonic_sg.wgsl``; where pairs do not pack into a u32 and the backend field
``hw`` is 1, as words of a key field and a position, ``topk_slots_positions.wgsl``) and written
out. With ``hb`` = 1 the winners are put in rank order by counting instead of sorted
(``topk_held_ranked.wgsl``): each one's place is the count of winners in higher buckets of the
key range plus those of its own bucket that rank before it; a row with a bucket too large for that
is sorted as above.

For one-pass rows longer than the candidates they keep (``floor_candidates``; twice as many with
``fd`` = 1), ``fc`` = 1 runs
``floor_compact`` first: a floor estimated from a sample of each row (about the geometric mean of k
and the candidate slots reach it), and every key at or above it compacted in index order into the
row's candidates (by subgroups where the device has them); where fewer than k or more than the
slots reached the floor, the same workgroup writes the row's top k by radix select there instead,
or with ``fr`` = 1 lists the row for ``floor_retry``, a dispatch of FLOOR_RETRY_GROUPS workgroups
that does it (an empty one costs a few microseconds, but the compaction runs faster without the
radix select's code). Then ``select_held`` over the candidates. The row is read about once,
against three to four times by the radix select.

Choice fields read: ``u2``, ``ch`` (or ``cr`` when ``ch`` is 0), ``wg``, ``kl`` and the backend
fields ``sg`` (1 = the subgroup variant of ``select`` where the device has subgroups), ``sr``,
``rw``, ``fs``, ``hk``, ``fc``, ``fd``, ``fr``, ``fq``, ``fg``, ``hr``, ``hw``, ``hb`` and ``rs``
(``rw`` before ``sr`` before ``fs`` before ``hk`` before ``fc``; ``hb`` before ``hw``);
``topk_layout.layout`` resolves them against a call's sizes, and the size constants named here
(SELECT_ROWS_COLS_MAX, HELD, FILTER_K_MAX, ...) live there.
Every kernel stays within WebGPU's default limits (256 invocations, 16 KiB workgroup memory).
"""
from __future__ import annotations

import functools
import math
import struct
import weakref

import wgpu

from ... import dtypes
from .array import WgpuArray, storage_itemsize
from .device import grid, load_wgsl
from .topk_layout import (FILTER_K_MAX, FLOOR_SAMPLE_RUN, HELD, SORT_BLOCK, floor_sample_units,
                          held_fits, held_slots, held_slots_max, key_format, layout, next_pow2,
                          subgroups_enabled)
from .views import contiguous

# Candidate segments of k pairs one merge workgroup takes: as many as fit MERGE_PAIRS pairs,
# from 4 to 16 (H100: for k = 1024, levels of 4 segments beat fewer levels of 16).
MERGE_FANIN = (4, 16)
MERGE_PAIRS = 4096
MERGE_KL = 8  # pairs per invocation per sweep of a merge (few workgroups: more loads in flight)
SORT_BLOCK_PACKED = 4096  # pairs packed into one u32 (16-bit keys and indices)
SORT_PACKED_WIDE_SLOTS = 1 << 20  # slots from which packed blocks take 4096 pairs
NONE_16 = 0xFFFF  # the packed sort needs every index below this (cols <= NONE_16)
SORT_WG = 256
# Rows of slots whole-row sorts take by bitonic steps in registers and subgroup shuffles, where
# the device has subgroups: four or eight slots an invocation (REG_SLOTS of
# topk_bitonic_sg.wgsl), blocks of up to that times 256 slots.
REGISTER_SORT_SLOTS = (4, 2048)
REGISTER_SORT_WG_MIN = 64
# The shortest rows the register sort takes with eight slots an invocation, by slot format
# (packed: one u32 a slot); four were faster below them (H100, Vulkan, four against eight:
# 4096 x 1024 k=1024 float32 0.157 against 0.170 ms, float16 0.106 against 0.092; 16384 x 512
# k=320 float32 0.245 against 0.270, float16 0.165 against 0.137; 16384 x 128 k=100 float16 0.083
# against 0.080; 65536 x 256 k=64 float16, 64 slots, 0.234 against 0.235). Rows of 2048 need
# eight (16384 x 2048 k=2048 float32 1.974 ms in workgroup memory against 1.347, float16 1.447
# against 0.692).
REGISTER_EIGHT_FROM = {True: 128, False: 2048}
# Workgroup memory the subgroup entry point declares beside a kernel's own (subgroup_layout.wgsl):
# with it, the register sort of 2048 unpacked slots needs more than WebGPU's default 16 KiB, and
# where the device offers no more, those rows sort in workgroup memory instead.
SUBGROUP_LAYOUT_BYTES = 8
# Subgroups of up to this many lanes sum the radix sort's digit counts in 8-bit fields (at most 4
# slots a lane); wider ones in 16-bit fields.
RADIX_NARROW_LANES = 63
EMIT_WG = 256
FILTER_KL_MAX = 4
# The filter's buffer of (key, index) pairs: 4 KiB. Workgroup memory a kernel declares costs
# time even where the occupancy it allows does not change (H100, Vulkan: 1024 slots against 512,
# 4096 x 32000 float32 k=32 0.350 -> 0.311 ms, float16 0.262 -> 0.235; 16384 x 4096 k=8 0.272 ->
# 0.238); 256 slots were no faster for small k and slower at k=128.
FILTER_SLOTS = 512
ROWWISE_WG = 64
# Rowwise writes its own output up to this k (the fallback takes it up to 8): for larger K the
# unrolled output loop took lavapipe about six times as long to compile.
ROWWISE_EMIT_K_MAX = 8
SELECT_ROWS_WG = 128
SELECT_ROWS_PER_WG = 4  # rows a workgroup of ``select_rows`` takes (one per subgroup of 32)
# Digit bits of its radix select by key bits: twice the passes of one subgroup sum each where keys
# have 32 bits (H100, Vulkan, float32, whole calls: 65536 x 256 k=8 0.216 -> 0.190 ms, k=32 0.267
# -> 0.237, k=128 0.382 -> 0.356), two bits a pass for shorter keys (float16, the selection alone:
# 65536 x 256 k=8 0.175 -> 0.190 ms with one bit).
SELECT_ROWS_DIGIT_BITS = {8: 2, 16: 2, 32: 1}
# Chunk floors (topk_chunk_floor.wgsl) for a two-pass radix select of k > FILTER_K_MAX where each
# full chunk needs at most this many groups (ceil(k / full chunks)): with more, the floor falls
# too far to keep much out. H100, k = 1024: one row of 2^20 columns 0.147 -> 0.125 ms, of 2^24
# 0.385 -> 0.260; 16 x 262144 (64 groups) 0.140 -> 0.111 ms float32, 0.098 -> 0.088 ms float16
# (slower before the floor was taken from twice as many group maxima). For k <= 128 they won as
# often as they lost.
FLOOR_GROUPS_MAX = 64
# Sort slots from which ``select_held`` sorts with eight slots an invocation where the device has
# subgroups, in workgroups of half the invocations where the row's keys allow (H100, Vulkan,
# four against eight: 4096 x 32000 k=1024 float32 0.593 against 0.541 ms, float16 0.439 against
# 0.380; 16384 x 4096 k=1024 0.898 against 0.830, float16 0.636 against 0.604; from 512 slots,
# slower: 4096 x 4096 k=512 0.171 against 0.195, 16384 x 8192 k=512 0.851 against 0.916).
HELD_EIGHT_FROM = 1024
HELD_WG_MIN = 32
# Digit bits of the radix passes over the sample of the ``fc`` floor, by key bits: 11 for keys of
# up to 16 bits, whose bucket after one digit is mostly narrow enough to take whole; 8 for 32-bit
# keys, where the smaller histogram pays on many rows (H100, float32: 4096 x 32000 k=128 0.514 ->
# 0.504 ms, k=1024 0.772 -> 0.762; but 256 x 32768 k=1024 0.087 -> 0.089; float16 with 8 bits:
# 4096 x 32000 k=128 0.369 -> 0.384).
FLOOR_SAMPLE_DIGIT_BITS = {8: 11, 16: 11, 32: 8}
# Workgroups of ``floor_retry`` (the ``fr`` field): each takes every FLOOR_RETRY_GROUPS-th row
# whose floor failed (H100, Vulkan, float32: 4096 x 32000 k=1024 0.5460 ms with 64, 0.5439 with
# 256; 256 x 32768 k=1024 0.0734 / 0.0735). Every row fails where rows are strided.
FLOOR_RETRY_GROUPS = 256
NONE = 0xFFFFFFFF

_SELECT_FILES = {
    False: ("topk_common.wgsl", "topk_keys.wgsl", "topk_units.wgsl", "topk_buckets.wgsl",
            "topk_scan_wg.wgsl", "topk_store_values.wgsl", "topk_radix_select.wgsl",
            "topk_select.wgsl", "topk_entry_wg.wgsl"),
    True: ("topk_common.wgsl", "topk_keys.wgsl", "topk_units.wgsl", "topk_buckets.wgsl",
           "subgroup_layout.wgsl", "topk_scan_sg.wgsl", "topk_store_values.wgsl",
           "topk_radix_select.wgsl", "topk_select.wgsl", "topk_entry_sg.wgsl"),
}
_SELECT_ROWS_FILES = ("topk_common.wgsl", "topk_keys.wgsl", "topk_units.wgsl",
                      "topk_buckets.wgsl", "topk_store_values.wgsl", "topk_radix_select.wgsl",
                      "topk_select.wgsl", "topk_select_rows.wgsl")
_FLOOR_COMPACT_FILES = {
    False: ("topk_common.wgsl", "topk_keys.wgsl", "topk_units.wgsl", "topk_buckets.wgsl",
            "topk_scan_wg.wgsl", "topk_floor_compact.wgsl", "topk_compact_wg.wgsl",
            "topk_entry_wg.wgsl"),
    True: ("topk_common.wgsl", "topk_keys.wgsl", "topk_units.wgsl", "topk_buckets.wgsl",
           "subgroup_layout.wgsl", "topk_scan_sg.wgsl", "topk_floor_compact.wgsl",
           "topk_compact_sg.wgsl", "topk_entry_sg.wgsl"),
}
# What floor_compact does with a row whose floor failed: radix select in the same workgroup, or a
# list of such rows for ``floor_retry`` (by whether the failures go to a dispatch of their own).
_FLOOR_FAILED_FILES = {False: ("topk_radix_select.wgsl", "topk_floor_here.wgsl"),
                       True: ("topk_floor_later.wgsl",)}
_FLOOR_RETRY_FILES = {
    False: ("topk_common.wgsl", "topk_keys.wgsl", "topk_units.wgsl", "topk_buckets.wgsl",
            "topk_scan_wg.wgsl", "topk_radix_select.wgsl", "topk_floor_retry.wgsl",
            "topk_entry_wg.wgsl"),
    True: ("topk_common.wgsl", "topk_keys.wgsl", "topk_units.wgsl", "topk_buckets.wgsl",
           "subgroup_layout.wgsl", "topk_scan_sg.wgsl", "topk_radix_select.wgsl",
           "topk_floor_retry.wgsl", "topk_entry_sg.wgsl"),
}
_ROWWISE_FILES = ("topk_common.wgsl", "topk_keys.wgsl", "topk_units.wgsl",
                  "topk_store_values.wgsl", "topk_rowwise.wgsl")
_CHUNK_FLOOR_FILES = ("topk_common.wgsl", "topk_keys.wgsl", "topk_units.wgsl", "topk_floor.wgsl",
                      "topk_chunk_floor.wgsl")
_SORT_STEP_FILES = ("topk_common.wgsl", "topk_sort_step.wgsl")
_SLOT_FILES = {True: "topk_slots_packed.wgsl", False: "topk_slots_pairs.wgsl"}
# select_held's winners in pair slots: sorted, or (the ``hb`` field) ranked by buckets of keys.
_HELD_WINNER_FILES = {False: "topk_held_direct.wgsl", True: "topk_held_ranked.wgsl"}
_ROW_SOURCE_FILES = {True: "topk_rows_pairs.wgsl", False: "topk_rows_input.wgsl"}
_EMIT_FILES = ("topk_common.wgsl", "topk_keys.wgsl", "topk_emit.wgsl")
# Bitonic sorting in registers and subgroup shuffles (blocks of whole rows, four slots an
# invocation).
_REGISTER_SORT_FILES = ("topk_bitonic.wgsl", "topk_bitonic_sg.wgsl", "subgroup_layout.wgsl")
_FILTER_FILES = {
    False: ("topk_common.wgsl", "topk_keys.wgsl", "topk_units.wgsl", "topk_floor.wgsl",
            "topk_slots_pairs.wgsl", "topk_bitonic.wgsl", "topk_sort_slots_wg.wgsl",
            "topk_store_values.wgsl", "topk_write_rows.wgsl", "topk_filter.wgsl",
            "topk_entry_wg.wgsl"),
    True: ("topk_common.wgsl", "topk_keys.wgsl", "topk_units.wgsl", "topk_floor.wgsl",
           "topk_slots_pairs.wgsl", *_REGISTER_SORT_FILES, "topk_store_values.wgsl",
           "topk_write_rows.wgsl", "topk_filter.wgsl", "topk_entry_sg.wgsl"),
}
_HELD_FILES = {
    False: ("topk_bitonic.wgsl", "topk_sort_slots_wg.wgsl", "topk_buckets.wgsl",
            "topk_scan_wg.wgsl", "topk_store_values.wgsl", "topk_write_rows.wgsl",
            "topk_select_held.wgsl", "topk_entry_wg.wgsl"),
    True: (*_REGISTER_SORT_FILES, "topk_buckets.wgsl", "topk_scan_sg.wgsl",
           "topk_store_values.wgsl", "topk_write_rows.wgsl", "topk_select_held.wgsl",
           "topk_entry_sg.wgsl"),
}


_retry_counts = weakref.WeakKeyDictionary()


def _retry_count(ctx):
    """The context's count word of ``floor_retry`` (zero between calls: the dispatch clears it)."""
    if ctx not in _retry_counts:
        _retry_counts[ctx] = ctx.device.create_buffer(size=4, usage=wgpu.BufferUsage.STORAGE)
    return _retry_counts[ctx]


@functools.cache
def _source(files: tuple[str, ...]) -> str:
    return "\n".join(load_wgsl(name) for name in files)


def _params(**fields) -> bytes:
    names = ("rows", "cols", "k", "seg_len", "nseg", "out_slots", "in_slots", "row_stride",
             "col_stride", "offset", "sort_n", "stage", "dist", "block", "largest", "floors")
    return struct.pack("<16I", *(int(fields.get(name, 0)) for name in names))


class TopkLaunch:
    """The dispatches of one topk call over ``x``, ready to run through the context or to record.

    ``run()`` issues them through ``ctx.dispatch`` (ordered with every other op) and returns the
    scratch buffers to the pool. ``record(encoder)`` adds them to a caller's command encoder and
    may be repeated (timing); the caller flushes the context first and calls ``release()`` after.
    ``values`` and ``indices`` hold the results once the work has run.
    """

    def __init__(self, ctx, x: WgpuArray, k: int, largest: bool, sorted: bool, choice):
        rows, cols = x.shape
        self.ctx = ctx
        self.rows, self.cols, self.k, self.sorted = rows, cols, k, sorted
        elem_bits = 8 * storage_itemsize(x.dtype)
        self.key_format = key_format(x.dtype, elem_bits)
        self.key_bits = self.key_format["KEY_BITS"]
        self.plan = plan = layout(ctx, cols, k, sorted, choice, elem_bits)
        self.values = WgpuArray.empty(ctx, (rows, k), x.dtype)
        self.indices = WgpuArray.empty(ctx, (rows, k), dtypes.int64)
        self._scratch = []
        self._floors = None  # chunk floors of a two-pass radix selection
        self._steps = []  # (pipeline, storage buffers, workgroups, uniform bytes)
        self.step_names: list[str] = []  # the kernel of each dispatch, in order
        self._recorded = None
        if rows == 0 or k == 0:
            return
        row_stride, col_stride = x.strides
        geometry = dict(rows=rows, cols=cols, k=k, row_stride=row_stride, col_stride=col_stride,
                        offset=x.offset, largest=int(largest))
        if plan.held:
            self._select_held(x, sorted, geometry)
            return
        if plan.candidates:
            self._floor_candidates(x, sorted, geometry)
            return
        if plan.full_sort:
            if not self._sort_rows(x, None, geometry):
                raise AssertionError("rows of at most SORT_BLOCK columns fit one sort block")
            return
        if plan.two_pass:
            cand, slots = self._chunk_candidates(x, geometry)
            if self._merges_held(slots):
                self._select_held(x, sorted, geometry, cand, slots)
                return
        pairs = self._buffer(rows * plan.slots * 8)
        if plan.rowwise:
            emits = k <= ROWWISE_EMIT_K_MAX  # each invocation writes its row's output
            self._add("topk rowwise", _ROWWISE_FILES,
                      {"WG": ROWWISE_WG, "K": k, "EMIT": int(emits)},
                      [x.buffer, x.buffer, pairs, self.values.buffer, self.indices.buffer],
                      math.ceil(rows / ROWWISE_WG),
                      dict(geometry, seg_len=cols, nseg=1, out_slots=plan.slots))
            if emits:
                return
        elif plan.two_pass:
            self._pass(cand, pairs, True, rows,
                       dict(geometry, seg_len=slots, nseg=1, out_slots=plan.slots, in_slots=slots))
        elif plan.by_subgroup:
            self._add("topk select rows", _SELECT_ROWS_FILES,
                      {"WG": SELECT_ROWS_WG, "ROWS": SELECT_ROWS_PER_WG,
                       "ROW_DIGIT_BITS": SELECT_ROWS_DIGIT_BITS[self.key_bits]},
                      [x.buffer, x.buffer, pairs, None, None, None],
                      math.ceil(rows / SELECT_ROWS_PER_WG),
                      dict(geometry, seg_len=cols, nseg=1, out_slots=plan.slots))
        else:
            emits = plan.filtered or k == 1  # the filter and the k = 1 maximum write it
            self._pass(x.buffer, pairs, False, rows,
                       dict(geometry, seg_len=cols, nseg=1, out_slots=plan.slots), emit=emits)
            if emits:
                return
        if sorted and k > 1 and not plan.ranked:
            if self._sort_rows(x, pairs, geometry):
                return
            self._sort(pairs, rows, plan.slots)
        words = math.ceil(rows * k * elem_bits / 32)
        self._add("topk emit", _EMIT_FILES, {"WG": EMIT_WG},
                  [x.buffer, pairs, self.values.buffer, self.indices.buffer],
                  math.ceil(words / EMIT_WG), dict(geometry, out_slots=plan.slots))

    def _chunk_candidates(self, x, geometry) -> tuple:
        """The first pass of a two-pass selection (chunk floors where they pay, k candidates a
        chunk) and the merges down to one group, or to what ``select_held`` takes: (candidate
        buffer, candidates a row). Sets
        ``geometry["floors"]`` where the selections read chunk floors."""
        plan, rows, k = self.plan, self.rows, self.k
        slots = plan.nseg * k
        cand = self._buffer(rows * slots * 8)
        chunks = dict(seg_len=plan.seg_len, nseg=plan.nseg)
        if k > FILTER_K_MAX and math.ceil(k / (self.cols // plan.seg_len)) <= FLOOR_GROUPS_MAX:
            self._floors = self._buffer(rows * plan.nseg * 4)
            geometry["floors"] = plan.nseg  # every selection below reads them
            self._add("topk chunk floor", _CHUNK_FLOOR_FILES, {"WG": plan.wg},
                      [x.buffer, x.buffer, self._floors], rows * plan.nseg,
                      dict(geometry, **chunks))
        self._pass(x.buffer, cand, False, rows * plan.nseg, dict(geometry, **chunks, out_slots=k))
        fanin = min(max(MERGE_PAIRS // k, MERGE_FANIN[0]), MERGE_FANIN[1])
        while slots > fanin * k and not self._merges_held(slots):
            nseg = math.ceil(slots / (fanin * k))
            merged = self._buffer(rows * nseg * k * 8)
            self._pass(cand, merged, True, rows * nseg,
                       dict(geometry, seg_len=fanin * k, nseg=nseg, out_slots=k, in_slots=slots))
            cand, slots = merged, nseg * k
        return cand, slots

    def _buffer(self, nbytes: int):
        buf = self.ctx.buffer(nbytes)
        self._scratch.append(buf)
        return buf

    def _add(self, name, files, constants, buffers, groups, params):
        if "topk_keys.wgsl" in files:  # declares the format's overrides (others must not get them)
            constants = dict(constants, **self.key_format)
        pipeline = self.ctx.pipeline(name, _source(files), constants)
        self._steps.append((pipeline, buffers, grid(groups), _params(**params)))
        self.step_names.append(name)

    def _pass(self, src, dst, pairs: bool, groups: int, params, emit: bool = False) -> None:
        """One selection dispatch (``filter`` or radix ``select``): the raw rows or the
        candidate pairs in ``src`` to k (key, index) pairs per segment in ``dst``, or with
        ``emit`` (``filter``, or ``select`` at k = 1, over whole rows of the input) to the call's
        values and indices."""
        plan = self.plan
        if plan.filtered:
            consts = {"WG": plan.wg, "KL": min(plan.kl, FILTER_KL_MAX), "PAIRS": int(pairs),
                      "EMIT": int(emit), "SLOTS": FILTER_SLOTS}
            sg = plan.filter_subgroups
            self._add("topk filter" + (" subgroup" if sg else ""), _FILTER_FILES[sg], consts,
                      [src, src, dst, self.values.buffer, self.indices.buffer], groups, params)
        else:
            # k = 1 takes no scan: the subgroup entry's layout check would be its only cost
            # (H100: 4096 x 32000 float16, k=1 0.276 -> 0.247 ms on the portable entry point),
            # nor a histogram, whose unused workgroup memory still costs time (16384 x 4096
            # float32, k=1: 0.159 -> 0.125 ms with one bin).
            sg = plan.subgroups and self.k > 1
            kl = MERGE_KL if pairs else plan.kl
            floors = self._floors if self._floors is not None else src  # read only with floors
            name = "topk select" + (" subgroup" if sg else "")
            consts = {"WG": plan.wg, "KL": kl, "PAIRS": int(pairs), "BEST_ONLY": int(self.k == 1),
                      "EMIT": int(emit)}
            if self.k == 1:
                consts["HIST_BINS"] = 1
            self._add(name, _SELECT_FILES[sg], consts,
                      [src, src, dst, floors, self.values.buffer, self.indices.buffer], groups,
                      params)

    def _floor_candidates(self, x, sorted: bool, geometry) -> None:
        """The ``fc`` path: each row's keys at or above a floor estimated from a sample as
        candidates (``floor_compact``; where that floor fails, the row's top k by radix select,
        in the same workgroup or in ``floor_retry`` after it), then ``select_held`` over the
        candidates."""
        n, rows = self.plan.candidates, self.rows
        cand = self._buffer(rows * n * 8)
        sg = self.plan.subgroups
        digit = FLOOR_SAMPLE_DIGIT_BITS[self.key_bits]
        consts = {"WG": self.plan.wg, "KL": self.plan.kl, "DIGIT_BITS": digit,
                  "HIST_BINS": 1 << digit}
        params = dict(geometry, seg_len=self.cols, nseg=1, out_slots=n)
        later = self.plan.retried and rows < 1 << 24  # the count word's bits for them
        failed = [self._buffer(rows * 4), _retry_count(self.ctx)] if later else [None, None]
        name = "topk floor compact" + (" subgroup" if sg else "") + (" retried" if later else "")
        self._add(name, _FLOOR_COMPACT_FILES[sg] + _FLOOR_FAILED_FILES[later],
                  dict(consts, SAMPLE_RUN=FLOOR_SAMPLE_RUN, SAMPLE_UNITS=floor_sample_units(
                      self.cols, self.k, self.key_format["ELEM_BITS"], self.plan.wg, n)),
                  [x.buffer, x.buffer, cand, *failed], rows, params)
        if later:
            groups = min(rows, FLOOR_RETRY_GROUPS)
            self._add("topk floor retry" + (" subgroup" if sg else ""), _FLOOR_RETRY_FILES[sg],
                      dict(consts, GROUPS=groups), [x.buffer, x.buffer, cand, *failed], groups,
                      params)
        self._select_held(x, sorted, geometry, cand, n)

    def _merges_held(self, in_slots: int) -> bool:
        """Whether the last merge of a two-pass selection and the sort run as one
        ``select_held`` over the candidates (fewer dispatches, no pairs written between; also
        after ``filter`` chunks, where the filter's own last merge is one workgroup a row
        working through its buffer)."""
        return self.sorted and held_fits(in_slots, held_slots(self.k, True), self.k,
                                         held_slots_max(self.ctx, self.plan.held_words,
                                                        self.plan.held_ranked))

    def _select_held(self, x, sorted: bool, geometry, cand=None, in_slots: int = 0) -> None:
        """The whole call, or the last merge and the sort of a two-pass one (over ``cand``, of
        ``in_slots`` candidates a row), in one dispatch, a workgroup per row
        (topk_select_held.wgsl)."""
        n = held_slots(self.k, sorted)
        packed = self._packs(n)
        positions = sorted and not packed and self.plan.held_words  # words, not pairs
        held = in_slots if cand is not None else self.cols
        sg = subgroups_enabled(self.ctx)
        reg = 8 if sg and n >= HELD_EIGHT_FROM else 4
        wg = min(max(next_pow2(math.ceil(held / HELD)), next_pow2(math.ceil(n / reg)),
                     HELD_WG_MIN), 256)
        ranked = sorted and self.plan.held_ranked
        winners = (("topk_slots_positions.wgsl",) if positions
                   else (_SLOT_FILES[packed], _HELD_WINNER_FILES[ranked]))
        files = ("topk_common.wgsl", "topk_keys.wgsl", *winners, *_HELD_FILES[sg])
        consts = {"WG": wg, "SORTED": int(sorted), "SLOTS": n, "HIST_BINS": 256,
                  "PAIRS": int(cand is not None), "RANGE_DIGIT": int(self.plan.held_range),
                  **({"REG_SLOTS": reg} if sg else {})}
        name = ("topk select held" + (" subgroup" if sg else "") + (" packed" if packed else "")
                + (" positions" if positions else "") + (" ranked" if ranked else "")
                + (" of pairs" if cand is not None else ""))
        pairs = x.buffer if cand is None else cand  # bound either way; read only with PAIRS
        self._add(name, files, consts,
                  [x.buffer, x.buffer, self.values.buffer, self.indices.buffer, pairs], self.rows,
                  dict(geometry, sort_n=n, in_slots=in_slots))

    def _sort_rows(self, x, pairs, geometry) -> bool:
        """Sort whole rows of ``plan.slots`` slots and write the output in one dispatch, from the
        input (``pairs`` None) or from the pairs a selection wrote; False where a row exceeds a
        block."""
        n, rows = self.plan.slots, self.rows
        entry = ("topk_sort_slots_wg.wgsl", "topk_entry_wg.wgsl")
        register_block = self._register_block(n)
        if self.plan.radix_sort:  # one row per workgroup
            slots, sort, block = "topk_slots_pairs.wgsl", ("topk_radix_sort.wgsl",), n
            kind = " radix"
            consts = {"WG": n // 4, "SLOTS": n, "NARROW_LANES": RADIX_NARROW_LANES}
        elif register_block:
            packed = self._packs(n)
            slots, block = _SLOT_FILES[packed], register_block
            sort, entry = _REGISTER_SORT_FILES, ("topk_entry_sg.wgsl",)
            kind = " subgroup" + (" packed" if packed else "")
            reg = self._register_slots(n)
            consts = {"WG": max(block // reg, REGISTER_SORT_WG_MIN), "SLOTS": block,
                      "REG_SLOTS": reg}
        else:
            packed = self._packs(n)
            most = SORT_BLOCK_PACKED if packed else SORT_BLOCK
            block = self._block(rows, n, packed)
            if n > most:
                return False
            slots, sort = _SLOT_FILES[packed], ("topk_bitonic.wgsl",)
            kind = " packed" if packed else ""
            consts = {"WG": SORT_WG}
        files = ("topk_common.wgsl", "topk_keys.wgsl", slots, *sort,
                 _ROW_SOURCE_FILES[pairs is not None], "topk_store_values.wgsl",
                 "topk_write_rows.wgsl", "topk_sort_rows.wgsl", *entry)
        buffers = [x.buffer, self.values.buffer, self.indices.buffer]
        self._add("topk sort rows" + kind + (" of pairs" if pairs else ""), files, consts,
                  buffers + ([pairs] if pairs is not None else []), math.ceil(rows * n / block),
                  dict(geometry, sort_n=n, block=block))
        return True

    def _register_block(self, n: int) -> int:
        """Slots a workgroup of the register sort takes for rows of n slots (whole rows, as many
        as 256 invocations hold); 0 where it does not apply: no subgroups, rows outside
        REGISTER_SORT_SLOTS, or a block beyond the device's workgroup memory."""
        low, high = REGISTER_SORT_SLOTS
        if not (subgroups_enabled(self.ctx) and low <= n <= high):
            return 0
        block = max(min(next_pow2(self.rows * n), 256 * self._register_slots(n)), n)
        slot_bytes = 4 if self._packs(n) else 8
        if block * slot_bytes + SUBGROUP_LAYOUT_BYTES > self.ctx.caps.max_workgroup_memory:
            return 0
        return block

    def _register_slots(self, n: int) -> int:
        """Slots an invocation of the register sort holds for rows of n slots: 4 or 8."""
        return 8 if n >= REGISTER_EIGHT_FROM[self._packs(n)] else 4

    def _packs(self, n: int) -> bool:
        """Whether rows of n sort slots sort packed: keys and indices fit 16 bits each."""
        return self.key_bits <= 16 and n <= SORT_BLOCK_PACKED and self.cols <= NONE_16

    @staticmethod
    def _block(rows: int, n: int, packed: bool) -> int:
        """Slots a workgroup of a sort takes. Packed: up to twice the pairs of an unpacked
        block (blocks of 2048 where larger ones would leave the GPU short of workgroups)."""
        wide = packed and (n > SORT_BLOCK or rows * n >= SORT_PACKED_WIDE_SLOTS)
        return min(next_pow2(rows * n), SORT_BLOCK_PACKED if wide else SORT_BLOCK)

    def _sort(self, pairs, rows, n):
        consts = {"WG": SORT_WG}
        packed = self._packs(n)
        block = self._block(rows, n, packed)
        local = ("topk_common.wgsl", _SLOT_FILES[packed], "topk_bitonic.wgsl",
                 "topk_sort_local.wgsl")
        name = "topk sort local" + (" packed" if packed else "")
        local_groups = math.ceil(rows * n / block)
        base = dict(rows=rows, sort_n=n, block=block)
        self._add(name, local, consts, [pairs], local_groups, base)
        stage = 2 * block
        while stage <= n:
            dist = stage // 2
            while dist >= block:
                self._add("topk sort step", _SORT_STEP_FILES, consts, [pairs],
                          math.ceil(rows * n // 2 / SORT_WG), dict(base, stage=stage, dist=dist))
                dist //= 2
            self._add(name, local, consts, [pairs], local_groups, dict(base, stage=stage))
            stage *= 2

    def run(self) -> None:
        for pipeline, buffers, groups, uniform in self._steps:
            self.ctx.dispatch(pipeline, buffers, groups, uniform)
        self.release()

    def record(self, encoder, steps: int | None = None) -> None:
        """Add this call's dispatches to ``encoder``, one compute pass, dispatches in order (only
        the first ``steps`` of them where given: timing a prefix of the call)."""
        if self._recorded is None:
            self._recorded = []
            for pipeline, buffers, groups, uniform in self._steps:
                ubuf = self.ctx.device.create_buffer_with_data(data=uniform,
                                                               usage=wgpu.BufferUsage.UNIFORM)
                entries = [{"binding": i, "resource": {"buffer": b, "offset": 0, "size": b.size}}
                           for i, b in enumerate(buffers) if b is not None]
                entries.append({"binding": len(buffers),
                                "resource": {"buffer": ubuf, "offset": 0, "size": ubuf.size}})
                group = self.ctx.device.create_bind_group(
                    layout=pipeline.get_bind_group_layout(0), entries=entries)
                self._recorded.append((pipeline, group, groups))
        recorded = self._recorded[:steps]
        if not recorded:
            return
        compute = encoder.begin_compute_pass()
        for pipeline, group, groups in recorded:
            compute.set_pipeline(pipeline)
            compute.set_bind_group(0, group)
            compute.dispatch_workgroups(*groups)
        compute.end()

    def release(self) -> None:
        """Return the scratch buffers to the pool; the results stay valid."""
        for buf in self._scratch:
            self.ctx.release(buf)
        self._scratch = []


def topk(ctx, x: WgpuArray, k: int, largest: bool, sorted: bool, choice):
    """(values, int64 indices) of the k largest (or smallest) entries of each row of 2-D ``x``.

    NaN ranks above +inf, -0.0 equals +0.0, ties rank by ascending index; ``largest=False``
    ranks ascending with NaN last. Values keep their exact bits. ``choice`` changes speed only.
    """
    rows, cols = x.shape
    if not 0 <= k <= cols:
        raise RuntimeError(f"selected index k out of range: k={k} for a dimension of size {cols}")
    if any(s < 0 for s in x.strides):
        x = contiguous(x)
    launch = TopkLaunch(ctx, x, k, largest, sorted, choice)
    launch.run()
    return launch.values, launch.indices
