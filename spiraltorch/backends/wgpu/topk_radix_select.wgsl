// Radix select of one segment into out_slots (key, index) pairs from `out_base` of `dst`:
// histogram passes over digits of the keys (most significant first, topk_buckets.wgsl) narrow a
// key prefix until the bucket holding the k-th element is known; every key above the prefix is
// taken, and of the keys equal to it the `need` lowest indices. One ordered compaction (a
// workgroup scan) then writes the winners in index order, which keeps a later merge of
// candidates exact, and pads the other slots with (0, NONE).
// The kernel declares `src`, `src4`, `dst` (array<vec2<u32>>), `prm`, the overrides WG, KL
// (units per invocation per sweep) and PAIRS, DIGIT_BITS (the digit width of segments of at
// least 4096 keys, with HIST_BINS >= 2^DIGIT_BITS), and `scan_exclusive`.

// Histogram of the digit over the keys under `prefix`, of `units` units in mode `mode`.
fn count_digits(lid: u32, s: Segment, mode: u32, units: u32, prefix: u32, mask: u32,
                shift: u32, bins: u32) {
    for (var base = 0u; base < units; base += WG * KL) {
        for (var j = 0u; j < KL; j++) {
            let u = base + j * WG + lid;
            if u < units {
                let un = load_unit(s, mode, u);
                count_quad_under(un.lo, quad_live(un.n, 0u), prefix, mask, shift, bins);
                count_quad_under(un.hi, quad_live(un.n, 1u), prefix, mask, shift, bins);
            }
        }
    }
}

// 1 for a key above the prefix, 0x10000 for one equal to it, 0 otherwise (or not live).
fn tally(key: u32, live: bool, prefix: u32, mask: u32) -> u32 {
    let m = key & mask;
    if !live | (m < prefix) {
        return 0u;
    }
    return select(0x10000u, 1u, m > prefix);
}

fn tally_quad(keys: vec4<u32>, live: u32, prefix: u32, mask: u32) -> u32 {
    return tally(keys.x, live > 0u, prefix, mask) + tally(keys.y, live > 1u, prefix, mask)
        + tally(keys.z, live > 2u, prefix, mask) + tally(keys.w, live > 3u, prefix, mask);
}

// Where the compaction writes next: winners above the prefix so far (x), keys equal to it
// so far (y), and how many equal keys are taken (z = need).
fn place(key: u32, col: u32, live: bool, prefix: u32, mask: u32, out_base: u32,
         at: ptr<function, vec3<u32>>) {
    let c = tally(key, live, prefix, mask);
    if c == 0u {
        return;
    }
    let p = *at;
    let q = p.x + min(p.y, p.z);
    if ((c == 1u) | (p.y < p.z)) & (q < prm.out_slots) {
        dst[out_base + q] = vec2<u32>(key, col);
    }
    *at += select(vec3<u32>(0u, 1u, 0u), vec3<u32>(1u, 0u, 0u), c == 1u);
}

fn place_quad(keys: vec4<u32>, col: u32, live: u32, prefix: u32, mask: u32, out_base: u32,
              at: ptr<function, vec3<u32>>) {
    place(keys.x, col, live > 0u, prefix, mask, out_base, at);
    place(keys.y, col + 1u, live > 1u, prefix, mask, out_base, at);
    place(keys.z, col + 2u, live > 2u, prefix, mask, out_base, at);
    place(keys.w, col + 3u, live > 3u, prefix, mask, out_base, at);
}

// Ordered compaction of units [first, last) in mode `mode`: each sweep, invocation lid takes
// KL consecutive units, so a workgroup scan of the counts gives every winner its slot (at most
// 256 * 8 * 8 per sweep: the 16-bit halves of the packed counts cannot overflow).
// runs: winners above the prefix and keys equal to it written so far.
fn compact_units(lid: u32, s: Segment, mode: u32, first: u32, last: u32, prefix: u32,
                 mask: u32, need: u32, out_base: u32, runs: vec2<u32>) -> vec2<u32> {
    var run = runs;
    for (var base = first; base < last; base += WG * KL) {
        let u0 = base + lid * KL;
        var packed = 0u;
        for (var j = 0u; j < KL; j++) {
            if u0 + j < last {
                let un = load_unit(s, mode, u0 + j);
                packed += tally_quad(un.lo, quad_live(un.n, 0u), prefix, mask)
                    + tally_quad(un.hi, quad_live(un.n, 1u), prefix, mask);
            }
        }
        let sc = scan_exclusive(packed, lid);
        var at = vec3<u32>(run.x + (sc.x & 0xffffu), run.y + (sc.x >> 16u), need);
        for (var j = 0u; j < KL; j++) {
            if (u0 + j < last) & (packed != 0u) {
                let un = load_unit(s, mode, u0 + j);
                place_quad(un.lo, un.col, quad_live(un.n, 0u), prefix, mask, out_base, &at);
                place_quad(un.hi, un.col + 4u, quad_live(un.n, 1u), prefix, mask, out_base, &at);
            }
        }
        run += vec2<u32>(sc.y & 0xffffu, sc.y >> 16u);
    }
    return run;
}

// Ordered compaction of the whole segment: head singles, body words, tail singles, which is
// index order.
fn compact_segment(lid: u32, s: Segment, prefix: u32, mask: u32, need: u32,
                   out_base: u32) -> vec2<u32> {
    var runs = compact_units(lid, s, single_mode(), 0u, s.head, prefix, mask, need, out_base,
                             vec2<u32>(0u, 0u));
    runs = compact_units(lid, s, s.word_mode, 0u, word_units(s), prefix, mask, need, out_base,
                         runs);
    return compact_units(lid, s, single_mode(), s.head, single_units(s), prefix, mask, need,
                         out_base, runs);
}

// Pads the segment's slots from `first` on with (0, NONE).
fn pad_slots(lid: u32, out_base: u32, first: u32) {
    for (var q = first + lid; q < prm.out_slots; q += WG) {
        dst[out_base + q] = vec2<u32>(0u, NONE);
    }
}

// The top prm.k of the segment by radix select, in index order, into its slots from `out_base`.
fn radix_select(lid: u32, s: Segment, out_base: u32) {
    var state = first_state();
    var shift = KEY_BITS;
    // Short segments take 8-bit digits: clearing and scanning 2048 buckets would cost more
    // than the extra pass over the data.
    let digit = select(8u, DIGIT_BITS, s.n >= 4096u);
    // A segment no longer than k is taken whole: prefix 0 under mask 0 matches every key.
    while s.n > state.z {
        let bits = min(digit, shift);
        let bins = 1u << bits;
        shift -= bits;
        clear_hist(lid, bins);
        count_digits(lid, s, s.word_mode, word_units(s), state.x, state.y, shift, bins);
        count_digits(lid, s, single_mode(), single_units(s), state.x, state.y, shift, bins);
        state = narrow(lid, state, shift, bins);
        if state.w != 0u {
            break;
        }
    }

    let runs = compact_segment(lid, s, state.x, state.y, state.z, out_base);
    pad_slots(lid, out_base, runs.x + min(runs.y, state.z));
}
