"""How a TopK call is laid out on the wgpu device: a Choice resolved against the call's sizes and
the device (``Layout``, ``layout``), and the sizes that follow from it (candidate and sort slots,
the floor's sample, scratch bytes) and the key format of a dtype. topk.py builds the dispatches."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass

SORT_BLOCK = 2048  # (key, index) pairs sorted in 16 KiB of workgroup memory
RADIX_SORT_SLOTS = (64, 1024)  # rows it sorts: 4 slots per invocation, at most 256 invocations
SELECT_KL_MAX = 8
FILTER_K_MAX = 128
ROWWISE_K_MAX = 32  # K_MAX in topk_rowwise.wgsl
SELECT_ROWS_COLS_MAX = 8192  # its digit counts are 16-bit
# Where ``filter`` beats radix select (H100, Vulkan), by stored element bits: (largest k, shortest
# segment). Its floor keeps all but a few elements out of its buffer when k is small, so short
# segments pay off too; for larger k its buffer costs more than radix passes, which re-read short
# segments from cache. 16-bit elements, half the bytes per element, leave the buffer a larger
# share of the time (measured on rows of 1024, 4096, 8192 and 32000 columns and chunks of 4096 to
# 65536; float32, k=64: 64 x 32768 in chunks of 8192 0.067 -> 0.049 ms by filter, 4096 x 4096
# 0.214 -> 0.189 ms; float16, k=128 on chunks of 8192: 0.053 -> 0.065 ms, so not taken).
FILTER_WINS = {
    32: ((16, 1024), (32, 1024), (64, 4096), (FILTER_K_MAX, 8192)),
    16: ((16, 1024), (32, 4096), (FILTER_K_MAX, 16385)),
}
# ``select_held`` (topk_select_held.wgsl): columns each invocation holds, and the most sort slots
# beside its histogram and scan in 16 KiB (8 KiB of pairs; 12 KiB with the sort words of
# topk_slots_positions.wgsl, a pair and a word a slot).
HELD = 16
HELD_SLOTS_MAX = 1024
HELD_SLOT_BYTES = {False: 8, True: 12}  # by whether the slots are sort words (``hw``)
# Where the device offers the workgroup memory (past WebGPU's default 16 KiB), up to 2048 sort
# slots beside the histogram, scans and subgroup layout (HELD_SCRATCH_BYTES):
# rows of 2049 to 4096 columns at 1024 < k <= 2048 in one dispatch instead of a radix select
# writing 2048 pairs a row and their sort (H100, Vulkan: 16384 x 3000 k=1500 float32 1.823 ->
# 1.643 ms, float16 1.059 -> 0.856; 4096 x 4096 k=2048 0.537 -> 0.433, float16 0.327 -> 0.233;
# 16384 x 4096 k=1100 2.018 -> 1.704).
HELD_SLOTS_WIDE = 2048
HELD_SCRATCH_BYTES = 3 * 1024 + 64
# The buckets of topk_held_ranked.wgsl (RANK_BINS u32 and three words): 1024 pair slots still fit
# WebGPU's default 16 KiB beside them.
HELD_RANK_BYTES = 512 * 4 + 16
# Candidate slots a row of the ``fc`` path keeps (floor_candidates): four times k within these
# bounds (eight times, within twice the bounds, with ``fd``). Its floor aims at the geometric mean
# of k and the slots, so an estimate off by up to 30% (k = 1024, 2048 slots; a factor of 2 for
# smaller k) still leaves between k and the slots.
FLOOR_CANDIDATES = (256, 2048)
# Sampled keys the ``fc`` floor expects at or above its aim (floor_sample_units), where the slots
# are at least 4k (the aim may be off by a factor of 2) and where they are fewer (k = 1024, 2048
# slots: off by at most 30%). Half as many (what the spread of the count alone allows) were slower
# (H100, float32: 256 x 32768 k=1024 0.078 -> 0.114 ms, 4096 x 32000 k=256 0.413 -> 0.438).
FLOOR_SAMPLE_HITS = (64, 256)
FLOOR_SAMPLE_RUN = 8  # word units (128 bytes) in a run of the ``fc`` floor's sample
# dtype name -> (key bits, key kind: 0 float, 1 signed int, 2 unsigned int)
_KEY_FORMATS = {
    "float32": (32, 0),
    "float16": (16, 0),
    "int32": (32, 1),
    "uint8": (8, 2),
    "bool": (8, 2),
}


def subgroups_enabled(ctx) -> bool:
    """Subgroup kernels are compiled only where the device has them and the user allows them."""
    return bool(ctx.caps.subgroups) and os.environ.get("SPIRAL_WGPU_SUBGROUPS", "1") != "0"


def pow2_in(value: int, lo: int, hi: int) -> int:
    """The largest power of two <= ``value`` (at least 1), clamped to [lo, hi]."""
    value = max(int(value), 1)
    return min(max(1 << (value.bit_length() - 1), lo), hi)


def next_pow2(n: int) -> int:
    return 1 << max(n - 1, 0).bit_length()


@dataclass(frozen=True)
class Layout:
    """A Choice resolved against one call's sizes and the device."""

    wg: int
    kl: int
    seg_len: int  # columns per first-pass segment (== cols for one pass)
    nseg: int  # segments per row (1 for one pass)
    subgroups: bool
    filter_subgroups: bool  # ``filter`` sorts its buffer in registers and shuffles
    slots: int  # (key, index) slots per row handed to the sort and the output gather
    filtered: bool  # the one-read ``filter`` path (output already in rank order)
    rowwise: bool  # one invocation per row (output already in rank order)
    full_sort: bool  # whole rows sorted, the first k taken (output already in rank order)
    by_subgroup: bool  # ``select_rows``: one subgroup per row
    radix_sort: bool  # rows of slots sorted by ``topk_radix_sort.wgsl`` where they fit
    held: bool  # ``select_held``: the whole call in one dispatch, keys held in registers
    candidates: int  # candidate slots a row of the ``fc`` path (``floor_compact``); 0: not taken
    retried: bool  # rows whose ``fc`` floor fails go to ``floor_retry`` (the ``fr`` field)
    held_range: bool  # ``select_held``'s first digit fitted to the row's key range (``hr``)
    held_words: bool  # ``select_held`` sorts words of key field and position (``hw``)
    held_ranked: bool  # ``select_held`` ranks its winners by buckets of their keys (``hb``)

    @property
    def ranked(self) -> bool:
        """The selection itself leaves the winners in rank order: no sort follows."""
        return self.filtered or self.rowwise or self.full_sort or self.held or self.candidates > 0

    @property
    def two_pass(self) -> bool:
        return self.nseg > 1


def layout(ctx, cols: int, k: int, sorted: bool, choice, elem_bits: int = 32) -> Layout:
    """Clamp ``choice`` to legal values for (cols, k) of elements stored in ``elem_bits`` bits
    on this device; never changes results."""
    wg = pow2_in(choice.wg, 16, min(256, ctx.caps.max_workgroup_size or 256))
    kl = pow2_in(choice.kl, 1, SELECT_KL_MAX)
    ch = int(choice.ch)
    if ch <= 0 and int(choice.cr) > 1:
        ch = math.ceil(cols / int(choice.cr))
    nseg = 1
    seg_len = cols
    if int(choice.u2) == 1 and ch > 0:
        # A chunk shorter than k only forwards all of its columns: keep chunks at least k long.
        seg_len = min(max(ch, k, wg), cols)
        nseg = math.ceil(cols / seg_len)
    if nseg == 1:
        seg_len = cols
    sg = subgroups_enabled(ctx) and int(choice.get("sg", 1)) == 1
    rowwise = 1 <= k <= ROWWISE_K_MAX and int(choice.get("rw", 0)) == 1
    by_subgroup = (not rowwise and subgroups_enabled(ctx) and 2 <= k
                   and cols <= SELECT_ROWS_COLS_MAX and int(choice.get("sr", 0)) == 1)
    full_sort = (not (rowwise or by_subgroup) and 2 <= k and cols <= SORT_BLOCK
                 and int(choice.get("fs", 0)) == 1)
    held_ranked = int(choice.get("hb", 0)) == 1
    held_words = int(choice.get("hw", 0)) == 1 and not held_ranked
    held = (not (by_subgroup or full_sort or rowwise) and int(choice.get("hk", 0)) == 1
            and held_fits(cols, held_slots(k, sorted), k,
                          held_slots_max(ctx, held_words, held_ranked)))
    if rowwise or full_sort or by_subgroup or held:
        nseg, seg_len = 1, cols
    candidates = floor_candidates(k, int(choice.get("fd", 0)) == 1)
    if (rowwise or full_sort or by_subgroup or held or nseg > 1 or int(choice.get("fc", 0)) != 1
            or candidates >= cols
            # at most HELD_SLOTS_MAX sort slots, wider devices too: up to k = 1024 the candidate
            # slots are at least twice k, beyond it only fd's would be (not measured)
            or not held_fits(candidates, held_slots(k, sorted), k)):
        candidates = 0
    filtered = (not (rowwise or full_sort or by_subgroup or held or candidates)
                and 2 <= k <= FILTER_K_MAX and use_filter(choice.get("fq"), seg_len, k, elem_bits))
    if full_sort:
        slots = next_pow2(cols)
    else:
        slots = next_pow2(k) if sorted and k > 1 and not (filtered or rowwise) else k
    radix_sort = (subgroups_enabled(ctx) and RADIX_SORT_SLOTS[0] <= slots <= RADIX_SORT_SLOTS[1]
                  and int(choice.get("rs", 0)) == 1)
    filter_sg = subgroups_enabled(ctx) and int(choice.get("fg", 0)) == 1
    retried = candidates > 0 and int(choice.get("fr", 0)) == 1
    held_range = int(choice.get("hr", 0)) == 1
    return Layout(wg, kl, seg_len, nseg, sg, filter_sg, slots, filtered, rowwise, full_sort,
                  by_subgroup, radix_sort, held, candidates, retried, held_range, held_words,
                  held_ranked)


def floor_candidates(k: int, doubled: bool = False) -> int:
    """Candidate slots a row of the ``fc`` path keeps: four times k rounded up to a power of two,
    within FLOOR_CANDIDATES; twice that where ``doubled`` (the ``fd`` field)."""
    scale = 2 if doubled else 1
    low, high = FLOOR_CANDIDATES
    return min(max(4 * next_pow2(k), low), high) * scale


def floor_sample_units(cols: int, k: int, elem_bits: int, wg: int = 256,
                       slots: int | None = None) -> int:
    """Word units each invocation of ``floor_compact`` samples (its SAMPLE_UNITS, at most 16 keys):
    the fewest whose sample holds about FLOOR_SAMPLE_HITS keys at or above the floor's aim, as
    its sample_floor spreads them over the row. The sample is read before anything else, so a
    smaller one pays on shorter rows (a row of 8192 columns gives half of itself to 16 keys an
    invocation). ``slots``: the row's candidate slots (floor_candidates(k) where not given)."""
    slots = slots or floor_candidates(k)
    need = FLOOR_SAMPLE_HITS[0 if slots >= 4 * k else 1]
    aim = math.isqrt(k * slots)
    keys_per_unit = 128 // elem_bits
    runs = cols // keys_per_unit // FLOOR_SAMPLE_RUN
    most = elem_bits // 8
    for units in range(1, most):
        every = max(math.ceil(runs * FLOOR_SAMPLE_RUN / (units * wg)), 2)
        keys = math.ceil(runs / every) * FLOOR_SAMPLE_RUN * keys_per_unit
        if aim * keys >= need * cols:
            return units
    return most


def held_slots(k: int, sorted: bool) -> int:
    """Sort slots of a row in ``select_held``: k, rounded up to a power of two when sorted."""
    return next_pow2(k) if sorted else k


def held_fits(columns: int, slots: int, k: int, most: int = HELD_SLOTS_MAX) -> bool:
    """Whether ``select_held`` takes rows of ``columns`` keys (or candidates) and ``slots`` sort
    slots: one workgroup of at most 256 invocations holds them, and at most ``most`` slots."""
    return 2 <= k and columns <= HELD * 256 and slots <= most


def held_slots_max(ctx, words: bool = False, ranked: bool = False) -> int:
    """The most sort slots ``select_held`` takes on this device: HELD_SLOTS_WIDE where its
    workgroup memory holds them (as sort words where ``words``, beside the buckets of the ranked
    winners where ``ranked``), else HELD_SLOTS_MAX (within WebGPU's defaults)."""
    wide = (HELD_SLOTS_WIDE * HELD_SLOT_BYTES[words] + HELD_SCRATCH_BYTES
            + HELD_RANK_BYTES * ranked <= ctx.caps.max_workgroup_memory)
    return HELD_SLOTS_WIDE if wide else HELD_SLOTS_MAX


def scratch_per_row(ctx, cols: int, k: int, sorted: bool, choice, elem_bits: int = 32) -> int:
    """Bytes a row takes in the largest scratch buffer of a call: candidates or sort pairs."""
    plan = layout(ctx, cols, k, sorted, choice, elem_bits)
    return 8 * max(plan.slots, plan.nseg * k if plan.two_pass else 0, plan.candidates)


def use_filter(fq, seg_len: int, k: int, elem_bits: int = 32) -> bool:
    """The Choice's ``fq`` when set, else whether ``filter`` is expected to beat radix select."""
    if fq is not None:
        return int(fq) == 1
    wins = FILTER_WINS[16 if elem_bits <= 16 else 32]
    return any(k <= k_max and seg_len >= shortest for k_max, shortest in wins)


def key_format(dtype, elem_bits: int) -> dict[str, int]:
    """The override constants of ``topk_keys.wgsl``: how elements of ``dtype`` are stored and
    keyed (every pipeline that reads keys is compiled for one format)."""
    if dtype.name not in _KEY_FORMATS:
        raise TypeError(f"topk on the wgpu device does not support dtype {dtype.name}; "
                        f"supported: {', '.join(_KEY_FORMATS)}; move the tensor to the cpu "
                        "device")
    key_bits, kind = _KEY_FORMATS[dtype.name]
    return {"ELEM_BITS": elem_bits, "KEY_BITS": key_bits, "KEY_KIND": kind}
