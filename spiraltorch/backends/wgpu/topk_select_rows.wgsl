// TopK selection of many short rows, one subgroup per row: the radix select of topk_select.wgsl
// with digits of ROW_DIGIT_BITS (1 or 2) counted by subgroup sums instead of a workgroup
// histogram, and an ordered compaction by subgroup prefix sums, so a row needs no workgroup memory
// and no barrier. Output as select's: k (key, index) pairs per row in index order, unused slots
// padded with (0, NONE).
//
// The subgroups of a workgroup take its ROWS rows one at a time from a counter, so any subgroup
// size and any layout of subgroups over the workgroup works; a lane's place among the active
// lanes of its subgroup comes from a subgroup prefix sum. Lane r of m active lanes reads units
// r, r + m, ... of its row. A row of at most two word units per lane keeps them in registers for
// the digit counts; the compaction reads them again (from cache). (Compacting from the registers
// too measured faster but gave wrong float32 results on the H100's Vulkan driver, right ones on
// lavapipe; the cause was not found.)

override ROWS: u32 = 4u;  // rows per workgroup
override ROW_DIGIT_BITS: u32 = 2u;  // 1: one subgroup sum a digit; 2: two

var<workgroup> next_row: atomic<u32>;

// the segment selection's workgroup scan, which this entry point does not call.
fn scan_exclusive(v: u32, lid: u32) -> vec2<u32> {
    return scan_workgroup(v, lid);
}

// Counts of the 2-bit digit at `shift` of the quad's live keys under `prefix`: digits 0 and 1 in
// the low and high halves of x, digits 2 and 3 in those of y.
fn digit_counts(keys: vec4<u32>, live: u32, prefix: u32, mask: u32, shift: u32) -> vec2<u32> {
    if (live == 0u) | !any((keys & vec4<u32>(mask)) == vec4<u32>(prefix)) {
        return vec2<u32>(0u);
    }
    let under = (keys & vec4<u32>(mask)) == vec4<u32>(prefix)
        & (vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(live));
    let digit = (keys >> vec4<u32>(shift)) & vec4<u32>(3u);
    let one = vec4<u32>(1u) << ((digit & vec4<u32>(1u)) * 16u);
    let low = select(vec4<u32>(0u), one, under & (digit < vec4<u32>(2u)));
    let high = select(vec4<u32>(0u), one, under & (digit >= vec4<u32>(2u)));
    return vec2<u32>(low.x + low.y + low.z + low.w, high.x + high.y + high.z + high.w);
}

// Keys under `prefix` with bit `shift` set, of the quad's live keys.
fn ones_under(keys: vec4<u32>, live: u32, prefix: u32, mask: u32, shift: u32) -> u32 {
    let on = ((keys & vec4<u32>(mask)) == vec4<u32>(prefix))
        & (vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(live))
        & (((keys >> vec4<u32>(shift)) & vec4<u32>(1u)) == vec4<u32>(1u));
    let c = select(vec4<u32>(0u), vec4<u32>(1u), on);
    return c.x + c.y + c.z + c.w;
}

// The unit's counts of the digit at `shift` (1-bit digits: the keys with the bit set in x).
fn unit_counts(un: Unit, prefix: u32, mask: u32, shift: u32) -> vec2<u32> {
    if ROW_DIGIT_BITS == 1u {
        return vec2<u32>(ones_under(un.lo, quad_live(un.n, 0u), prefix, mask, shift)
                         + ones_under(un.hi, quad_live(un.n, 1u), prefix, mask, shift), 0u);
    }
    return digit_counts(un.lo, quad_live(un.n, 0u), prefix, mask, shift)
        + digit_counts(un.hi, quad_live(un.n, 1u), prefix, mask, shift);
}

fn count_lane_units(s: Segment, mode: u32, units: u32, lane: u32, lanes: u32, prefix: u32,
                    mask: u32, shift: u32) -> vec2<u32> {
    var counts = vec2<u32>(0u);
    for (var u = lane; u < units; u += lanes) {
        counts += unit_counts(load_unit(s, mode, u), prefix, mask, shift);
    }
    return counts;
}

// Ordered compaction of units [first, last) in mode `mode`, one unit per lane per sweep.
fn compact_lane_units(s: Segment, mode: u32, first: u32, last: u32, lane: u32, lanes: u32,
                      prefix: u32, mask: u32, need: u32, out_base: u32,
                      runs: vec2<u32>) -> vec2<u32> {
    var run = runs;
    for (var base = first; base < last; base += lanes) {
        let u = base + lane;
        var packed = 0u;
        var un: Unit;
        if u < last {
            un = load_unit(s, mode, u);
            packed = tally_quad(un.lo, quad_live(un.n, 0u), prefix, mask)
                + tally_quad(un.hi, quad_live(un.n, 1u), prefix, mask);
        }
        let before = subgroupExclusiveAdd(packed);
        let total = subgroupAdd(packed);
        if packed != 0u {
            var at = vec3<u32>(run.x + (before & 0xffffu), run.y + (before >> 16u), need);
            place_quad(un.lo, un.col, quad_live(un.n, 0u), prefix, mask, out_base, &at);
            place_quad(un.hi, un.col + 4u, quad_live(un.n, 1u), prefix, mask, out_base, &at);
        }
        run += vec2<u32>(total & 0xffffu, total >> 16u);
    }
    return run;
}

fn select_row(row: u32, lane: u32, lanes: u32) {
    let s = segment_of(row, 0u, prm.cols);
    let out_base = row * prm.out_slots;
    var prefix = 0u;
    var mask = 0u;
    var need = prm.k;
    var shift = KEY_BITS;
    let held = single_units(s) == 0u && word_units(s) <= 2u * lanes;
    var first = Unit(vec4<u32>(0u), vec4<u32>(0u), 0u, 0u);  // n = 0: no elements
    var second = first;
    if held && lane < word_units(s) {
        first = load_unit(s, s.word_mode, lane);
    }
    if held && lane + lanes < word_units(s) {
        second = load_unit(s, s.word_mode, lane + lanes);
    }
    // As in topk_select.wgsl: a row no longer than k is taken whole (prefix 0 under mask 0).
    var open = s.n > need;
    var here = s.n;  // keys under the prefix
    while open {
        shift -= ROW_DIGIT_BITS;
        var mine = unit_counts(first, prefix, mask, shift) + unit_counts(second, prefix, mask,
                                                                         shift);
        if !held {
            mine = count_lane_units(s, s.word_mode, word_units(s), lane, lanes, prefix, mask,
                                    shift)
                + count_lane_units(s, single_mode(), single_units(s), lane, lanes, prefix, mask,
                                   shift);
        }
        if ROW_DIGIT_BITS == 1u {
            let ones = subgroupAdd(mine.x);
            if ones >= need {
                prefix |= 1u << shift;
                here = ones;
            } else {
                need -= ones;
                here -= ones;
            }
            mask |= 1u << shift;
            open = (here != need) & (shift > 0u);
            continue;
        }
        let counts = subgroupAdd(mine);
        let per_digit = vec4<u32>(counts.x & 0xffffu, counts.x >> 16u, counts.y & 0xffffu,
                                  counts.y >> 16u);
        // The digit whose bucket holds the need-th key, counting from the top: the highest whose
        // keys and those of the digits above reach `need` (digit 0 when no other does, as the
        // keys under the prefix number at least `need`), picked without branches.
        let from_top = vec3<u32>(per_digit.w, per_digit.w + per_digit.z,
                                 per_digit.w + per_digit.z + per_digit.y);
        let reached = from_top >= vec3<u32>(need);
        let digit = select(select(select(0u, 1u, reached.z), 2u, reached.y), 3u, reached.x);
        let above = select(select(select(from_top.z, from_top.y, reached.z), from_top.x,
                                  reached.y), 0u, reached.x);
        here = select(select(select(per_digit.x, per_digit.y, reached.z), per_digit.z, reached.y),
                      per_digit.w, reached.x);
        prefix |= digit << shift;
        mask |= 3u << shift;
        need -= above;
        open = (here != need) & (shift > 0u);
    }
    var runs = compact_lane_units(s, single_mode(), 0u, s.head, lane, lanes, prefix, mask, need,
                                  out_base, vec2<u32>(0u, 0u));
    runs = compact_lane_units(s, s.word_mode, 0u, word_units(s), lane, lanes, prefix, mask, need,
                              out_base, runs);
    runs = compact_lane_units(s, single_mode(), s.head, single_units(s), lane, lanes, prefix,
                              mask, need, out_base, runs);
    for (var q = runs.x + min(runs.y, need) + lane; q < prm.out_slots; q += lanes) {
        dst[out_base + q] = vec2<u32>(0u, NONE);
    }
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    if lid == 0u {
        atomicStore(&next_row, 0u);
    }
    workgroupBarrier();
    let lane = subgroupExclusiveAdd(1u);
    let lanes = subgroupAdd(1u);
    let first = group_index(wid, nwg) * ROWS;
    loop {
        var slot = 0u;
        if lane == 0u {
            slot = atomicAdd(&next_row, 1u);
        }
        slot = subgroupMax(slot);  // the others hold 0
        if slot >= ROWS || first + slot >= prm.rows {
            break;
        }
        select_row(first + slot, lane, lanes);
    }
}
