// TopK selection of one segment (a row, or a chunk of a row) by radix select
// (topk_radix_select.wgsl); k = 1 is a plain (key, index) maximum instead. The segment is read by
// units (topk_units.wgsl): 16-byte words over the body of a contiguous segment.
// Input: the raw tensor (PAIRS = false) or (key, index) candidates of an earlier pass. With
// chunk floors (prm.floors per row, topk_chunk_floor.wgsl), keys below the row's lowest floor are
// passed over: one compaction of the keys at or above it, and only where those exceed k the
// radix select.
// Output: `out_slots` (key, index) pairs per segment, unused slots padded with (0, NONE); with
// EMIT (k = 1 over whole rows of the input), the row's value and int64 index instead.
// Workgroup memory: 8 KiB of histogram (one bin with BEST_ONLY), 3 KiB of scan and reduction
// space (+ 1 KiB in the subgroup entry), within the 16 KiB default.

override WG: u32 = 256u;     // invocations per workgroup (a power of two, 16..256)
override KL: u32 = 1u;       // units per invocation per sweep
override PAIRS: bool = false;
override BEST_ONLY: bool = false;  // k = 1: the maximum only (the host sets HIST_BINS = 1)
override EMIT: bool = false;

const DIGIT_BITS: u32 = 11u;  // digit width of long segments: HIST_BINS = 2048 buckets

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read> src4: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec2<u32>>;  // (key, index) pairs
@group(0) @binding(3) var<storage, read> floors: array<u32>;  // chunk floors
@group(0) @binding(4) var<storage, read_write> values: array<atomic<u32>>;
@group(0) @binding(5) var<storage, read_write> indices: array<u32>;
@group(0) @binding(6) var<uniform> prm: Params;

var<workgroup> best_key: array<u32, 256>;
var<workgroup> best_idx: array<u32, 256>;
var<workgroup> w_floor: atomic<u32>;
var<workgroup> w_pick: u32;

fn better(e: vec2<u32>, best: vec2<u32>) -> vec2<u32> {
    if (e.y != NONE) & ((best.y == NONE) | ranks_before(e, best)) {
        return e;
    }
    return best;
}

fn best_quad(keys: vec4<u32>, col: u32, live: u32, best: vec2<u32>) -> vec2<u32> {
    if best.y != NONE && !any(keys >= vec4<u32>(best.x)) {
        return best;
    }
    var b = best;
    if live > 0u { b = better(vec2<u32>(keys.x, col), b); }
    if live > 1u { b = better(vec2<u32>(keys.y, col + 1u), b); }
    if live > 2u { b = better(vec2<u32>(keys.z, col + 2u), b); }
    if live > 3u { b = better(vec2<u32>(keys.w, col + 3u), b); }
    return b;
}

// The best (key, index) of `units` units in mode `mode`, of this invocation's share.
fn best_of_units(lid: u32, s: Segment, mode: u32, units: u32, start: vec2<u32>) -> vec2<u32> {
    var best = start;
    for (var base = 0u; base < units; base += WG * KL) {
        for (var j = 0u; j < KL; j++) {
            let u = base + j * WG + lid;
            if u < units {
                let un = load_unit(s, mode, u);
                best = best_quad(un.lo, un.col, quad_live(un.n, 0u), best);
                best = best_quad(un.hi, un.col + 4u, quad_live(un.n, 1u), best);
            }
        }
    }
    return best;
}

// The word unit `unit` (NONE: none) holding the best key of element position `pos` as a
// candidate pair, folded into `best`.
fn better_at(s: Segment, key: u32, unit: u32, pos: u32, best: vec2<u32>) -> vec2<u32> {
    if unit == NONE {
        return best;
    }
    return better(vec2<u32>(key, word_col(s, unit) + pos), best);
}

// The best (key, index) of this invocation's share of the word units. Branch-free per unit: each
// element position keeps its best key and the first unit that holds it (units are taken in
// column order, so a later equal key never replaces it); the positions are ranked at the end.
fn best_of_words(lid: u32, s: Segment) -> vec2<u32> {
    let units = word_units(s);
    let wide = s.word_mode == MODE_WORD16;  // eight elements a unit, else four
    var key_lo = vec4<u32>(0u);
    var key_hi = vec4<u32>(0u);
    var unit_lo = vec4<u32>(NONE);
    var unit_hi = vec4<u32>(NONE);
    for (var base = 0u; base < units; base += WG * KL) {
        for (var j = 0u; j < KL; j++) {
            let u = base + j * WG + lid;
            if u < units {
                let un = load_unit(s, s.word_mode, u);
                let at = vec4<u32>(u);
                unit_lo = select(unit_lo, at, (un.lo > key_lo) | (unit_lo == vec4<u32>(NONE)));
                key_lo = max(key_lo, un.lo);
                if wide {
                    unit_hi = select(unit_hi, at,
                                     (un.hi > key_hi) | (unit_hi == vec4<u32>(NONE)));
                    key_hi = max(key_hi, un.hi);
                }
            }
        }
    }
    var best = better_at(s, key_lo.x, unit_lo.x, 0u, vec2<u32>(0u, NONE));
    best = better_at(s, key_lo.y, unit_lo.y, 1u, best);
    best = better_at(s, key_lo.z, unit_lo.z, 2u, best);
    best = better_at(s, key_lo.w, unit_lo.w, 3u, best);
    best = better_at(s, key_hi.x, unit_hi.x, 4u, best);
    best = better_at(s, key_hi.y, unit_hi.y, 5u, best);
    best = better_at(s, key_hi.z, unit_hi.z, 6u, best);
    return better_at(s, key_hi.w, unit_hi.w, 7u, best);
}

// k = 1: the best (key, index) of the segment by a workgroup tree reduction.
fn select_best(lid: u32, s: Segment, out_base: u32) {
    // With fewer than 4 word units an invocation, testing each quad against the best so far
    // costs less than ranking the element positions at the end (H100: rows of 1024 and 4096
    // float16 slower by 2-16% through best_of_words).
    var best = vec2<u32>(0u, NONE);
    if word_units(s) >= 4u * WG {
        best = best_of_words(lid, s);
    } else {
        best = best_of_units(lid, s, s.word_mode, word_units(s), best);
    }
    best = best_of_units(lid, s, single_mode(), single_units(s), best);
    best_key[lid] = best.x;
    best_idx[lid] = best.y;
    workgroupBarrier();
    for (var half = WG / 2u; half > 0u; half /= 2u) {
        if lid < half {
            let other = vec2<u32>(best_key[lid + half], best_idx[lid + half]);
            if (other.y != NONE) & ((best.y == NONE) | ranks_before(other, best)) {
                best = other;
                best_key[lid] = best.x;
                best_idx[lid] = best.y;
            }
        }
        workgroupBarrier();
    }
    if EMIT {
        if lid == 0u {
            emit_best(s.row, best);
        }
        return;
    }
    if lid == 0u {
        dst[out_base] = best;
    }
    pad_slots(lid, out_base, 1u);
}

// The output of row `row` at k = 1: its value and int64 index (lo, 0).
fn emit_best(row: u32, best: vec2<u32>) {
    let per = 32u / ELEM_BITS;
    let shift = (row % per) * ELEM_BITS;
    let bits = element_bits(best.x, prm.offset + row * prm.row_stride, best.y);
    store_values(row / per, bits << shift, value_mask() << shift);
    indices[2u * row] = best.y;
    indices[2u * row + 1u] = 0u;
}

// The lowest chunk floor of the segment's row; 0 (which passes over nothing) without floors.
fn row_floor(lid: u32, row: u32) -> u32 {
    if prm.floors == 0u {
        return 0u;
    }
    if lid == 0u {
        atomicStore(&w_floor, NONE);
    }
    workgroupBarrier();
    var low = NONE;
    for (var i = lid; i < prm.floors; i += WG) {
        low = min(low, floors[row * prm.floors + i]);
    }
    atomicMin(&w_floor, low);
    workgroupBarrier();
    if lid == 0u {
        w_pick = atomicLoad(&w_floor);
    }
    return workgroupUniformLoad(&w_pick);
}

// Ordered compaction of every key at or above `floor` (at most out_slots written); returns how
// many there are, the same in every invocation.
fn compact_from(lid: u32, s: Segment, floor: u32, out_base: u32) -> u32 {
    let runs = compact_segment(lid, s, floor, NONE, NONE, out_base);
    if lid == 0u {
        w_pick = runs.x + runs.y;
    }
    return workgroupUniformLoad(&w_pick);
}

fn workgroup_main(lid: u32, group: u32) {
    if group / prm.nseg >= prm.rows {
        return;
    }
    let s = segment_of_group(group);
    let out_base = group * prm.out_slots;
    if BEST_ONLY {
        select_best(lid, s, out_base);
        return;
    }
    // With a floor, most segments hold no more than k keys at or above it: one compaction.
    let floor = row_floor(lid, s.row);
    if floor > 0u && s.n > prm.k {
        let found = compact_from(lid, s, floor, out_base);
        if found <= prm.k {
            pad_slots(lid, out_base, found);
            return;
        }
    }

    radix_select(lid, s, out_base);
}
