// TopK selection of one segment for small k by a filtered candidate buffer, in one read.
//
// The workgroup streams its segment in sweeps of WG * KL units (topk_units.wgsl). An element
// enters the workgroup-memory buffer when it ranks before the current threshold, the k-th best
// pair kept so far. When a sweep finds the buffer full, a bitonic sort keeps only the best k,
// which raises the threshold, and the elements that found no room are offered again (their
// units are read again; each invocation remembers which of its elements are still pending).
// Pairs compare by the total (key, index) order, so the buffer always holds the top k of
// everything read and the result is exact. The output is the top k in rank order (best first),
// so no later sort is needed; unused slots are padded with (0, NONE). With EMIT the workgroup
// writes its row's output instead (topk_write_rows.wgsl): only where each segment is a whole
// row of the input.
// Before the first sweep a floor (topk_floor.wgsl) keeps out the elements that cannot be in the
// top k; without it the first sweep would push every element through the buffer (one atomic
// each, and a sort of the full buffer), with it only a few enter. The threshold then raises it.
// Input: the raw tensor (PAIRS = false) or (key, index) candidates of an earlier pass.
// The buffer is `s_slot` of topk_slots_pairs.wgsl, SLOTS = 512 pairs (set by the host): 4 KiB and
// a few words of workgroup memory, within the 16 KiB default. Its sort is `sort_slots`
// (topk_sort_slots_wg.wgsl, or topk_bitonic_sg.wgsl in registers and shuffles) and an entry file
// gives `main` (topk_entry_wg.wgsl or topk_entry_sg.wgsl).

override WG: u32 = 256u;
override KL: u32 = 1u;       // units per invocation per sweep (at most KL_MAX)
override PAIRS: bool = false;
override EMIT: bool = false;

const KL_MAX: u32 = 4u;      // KL_MAX * UNIT_MAX pending bits fit one u32

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read> src4: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;
@group(0) @binding(3) var<storage, read_write> values: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> indices: array<u32>;
@group(0) @binding(5) var<uniform> prm: Params;

var<workgroup> c_count: atomic<u32>;  // counts every attempt: above SLOTS means some found no room
var<workgroup> w_count: u32;
var<private> have_thr: bool;
var<private> thr: vec2<u32>;

// Sorts the `count` (<= SLOTS) buffered pairs, keeps the best k and sets the threshold once k are
// kept; returns how many are kept.
fn shrink(lid: u32, count: u32) -> u32 {
    var m = 1u;
    while m < count {
        m *= 2u;
    }
    for (var i = count + lid; i < m; i += WG) {
        s_slot[i] = vec2<u32>(0u, NONE);
    }
    workgroupBarrier();
    sort_slots(lid, m, m, 0u);
    let kept = min(count, prm.k);
    if lid == 0u {
        atomicStore(&c_count, kept);
    }
    workgroupBarrier();
    if kept == prm.k {
        have_thr = true;
        thr = s_slot[kept - 1u];
        floor_key = thr.x;
    }
    workgroupBarrier();
    return kept;
}

fn beats(e: vec2<u32>) -> bool {
    return (e.x >= floor_key) & (!have_thr | ranks_before(e, thr));
}

// Buffers `e`; false when the buffer is full.
fn store(e: vec2<u32>) -> bool {
    let at = atomicAdd(&c_count, 1u);
    if at < SLOTS {
        s_slot[at] = e;
        return true;
    }
    return false;
}

// The buffer's attempt count once every invocation has offered its elements.
fn settle(lid: u32) -> u32 {
    workgroupBarrier();
    if lid == 0u {
        w_count = atomicLoad(&c_count);
    }
    return workgroupUniformLoad(&w_count);
}

// Offers one element; returns `bit` when it beat the threshold but found no room.
fn offer(key: u32, col: u32, live: bool, bit: u32) -> u32 {
    let e = vec2<u32>(key, col);
    if live && beats(e) && !store(e) {
        return bit;
    }
    return 0u;
}

// Offers the `live` leading keys of a quad (columns col..col+3) whose bits in `want` are set;
// returns the bits (bit0 << element) of those that found no room.
fn offer_quad(keys: vec4<u32>, col: u32, live: u32, want: u32, bit0: u32) -> u32 {
    // Most quads hold no key that reaches the floor: one vector test.
    if !any(keys >= vec4<u32>(floor_key)) {
        return 0u;
    }
    return offer(keys.x, col, (live > 0u) & ((want & bit0) != 0u), bit0)
        | offer(keys.y, col + 1u, (live > 1u) & ((want & (bit0 << 1u)) != 0u), bit0 << 1u)
        | offer(keys.z, col + 2u, (live > 2u) & ((want & (bit0 << 2u)) != 0u), bit0 << 2u)
        | offer(keys.w, col + 3u, (live > 3u) & ((want & (bit0 << 3u)) != 0u), bit0 << 3u);
}

// Offers the elements of unit u whose bits (UNIT_MAX per unit, from bit0) are set in `want`.
fn offer_unit(s: Segment, mode: u32, u: u32, want: u32, bit0: u32) -> u32 {
    // Where raw_reach allows, a word's elements at or above the floor are found from their stored
    // bits, and only theirs are keyed and offered (few are): H100, 4096 x 32000 k=32 0.312 ->
    // 0.277 ms float32, 0.236 -> 0.196 float16.
    let r = raw_reach(floor_key);
    if mode == s.word_mode && r != 0u {
        let w = src4[s.w0 + u];
        let col = word_col(s, u);
        var rest = raw_hits(w, r) & (want >> firstTrailingBit(bit0));
        var missed = 0u;
        while rest != 0u {
            let i = firstTrailingBit(rest);
            rest &= rest - 1u;
            let key = word_key(w, i);
            missed |= offer(key, col + i, true, bit0 << i);
        }
        return missed;
    }
    let un = load_unit(s, mode, u);
    return offer_quad(un.lo, un.col, quad_live(un.n, 0u), want, bit0)
        | offer_quad(un.hi, un.col + 4u, quad_live(un.n, 1u), want, bit0 << 4u);
}

// Offers every element of `units` units of the segment in mode `mode`. Invocation lid takes
// units base + j * WG + lid of each sweep; `pending` has a bit per element without room.
fn filter_units(lid: u32, s: Segment, mode: u32, units: u32) {
    for (var base = 0u; base < units; base += WG * KL) {
        var pending = 0u;
        for (var j = 0u; j < KL; j++) {
            let u = base + j * WG + lid;
            if u < units {
                pending |= offer_unit(s, mode, u, 0xffffffffu, 1u << (j * UNIT_MAX));
            }
        }
        var count = settle(lid);
        while count > SLOTS {
            shrink(lid, SLOTS);
            for (var j = 0u; j < KL; j++) {
                let bit0 = 1u << (j * UNIT_MAX);
                let mine = pending & (bit0 * 0xffu);
                if mine != 0u {
                    pending = (pending & ~mine) | offer_unit(s, mode, base + j * WG + lid, mine,
                                                             bit0);
                }
            }
            count = settle(lid);
        }
    }
}

fn workgroup_main(lid: u32, group: u32) {
    if group / prm.nseg >= prm.rows {
        return;
    }
    let s = segment_of_group(group);
    let out_base = group * prm.out_slots;

    if lid == 0u {
        atomicStore(&c_count, 0u);
    }
    have_thr = false;
    workgroupBarrier();
    floor_key = segment_floor(lid, s, prm.k);
    filter_units(lid, s, s.word_mode, word_units(s));
    filter_units(lid, s, single_mode(), single_units(s));
    let count = shrink(lid, settle(lid));
    if EMIT {
        write_rows(lid, group, 1u, SLOTS);
        return;
    }
    for (var q = lid; q < prm.out_slots; q += WG) {
        var pair = vec2<u32>(0u, NONE);
        if q < count {
            pair = s_slot[q];
        }
        dst[2u * (out_base + q)] = pair.x;
        dst[2u * (out_base + q) + 1u] = pair.y;
    }
}
