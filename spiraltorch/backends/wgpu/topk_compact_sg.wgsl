// The compaction of topk_floor_compact.wgsl by subgroups, without a workgroup barrier per sweep:
// the row's units, in index order, are cut into one slice per subgroup, and each subgroup compacts
// its slice's keys at or above `floor` by subgroup prefix sums into its own share of the
// out_slots, padding the rest of its share. The shares follow each other in slice order, so the
// live candidates stay in index order. True where at least k and at most out_slots keys reach
// the floor. Where a slice has more than its share, the workgroup scan (compact_all) compacts the
// row again; without a linear subgroup layout, it does from the start.

var<workgroup> slice_overflow: atomic<u32>;
var<workgroup> slice_found: atomic<u32>;
var<workgroup> w_counts: vec2<u32>;  // slices over their share, keys found

// Writes the keys at or above the floor of four units a lane (unit 0 of every lane, then unit
// 1, ...: index order) from slot `run` of the share on; returns the slot after the last. On
// float16 rows, where no unit of the subgroup holds more than one, each unit's slots come from a
// ballot of the lanes with a hit (H100, 4096 x 32000 float16: k=128 0.288 -> 0.282 ms, k=64 0.291
// -> 0.281; float32 rows ran 1 to 4% slower with it); otherwise the counts, two to a u32 in
// 16-bit fields, take one prefix sum a pair.
fn put_four(h0: Hit, h1: Hit, h2: Hit, h3: Hit, first: u32, run: u32, cap: u32) -> u32 {
    let most = max(max(h0.bits & (h0.bits - 1u), h1.bits & (h1.bits - 1u)),
                   max(h2.bits & (h2.bits - 1u), h3.bits & (h3.bits - 1u)));
    if ELEM_BITS == 16u && subgroupAll(most == 0u) {
        let at1 = put_single(h0, first, run, cap);
        let at2 = put_single(h1, first, at1, cap);
        let at3 = put_single(h2, first, at2, cap);
        return put_single(h3, first, at3, cap);
    }
    return put_four_counted(h0, h1, h2, h3, first, run, cap);
}

// Writes the unit's key at or above the floor, where each lane's unit has at most one, from slot
// `run` on; returns the slot after the last.
fn put_single(h: Hit, first: u32, run: u32, cap: u32) -> u32 {
    let lanes = subgroupBallot(h.bits != 0u);
    if h.bits != 0u {
        put_hit(h, firstTrailingBit(h.bits), first, run + lanes_before(lanes), cap);
    }
    return run + dot(countOneBits(lanes), vec4<u32>(1u));
}

// How many of the ballot's lanes come before this one.
fn lanes_before(lanes: vec4<u32>) -> u32 {
    let d = vec4<i32>(i32(sg_lane)) - vec4<i32>(0, 32, 64, 96);
    let part = (vec4<u32>(1u) << vec4<u32>(clamp(d, vec4<i32>(0), vec4<i32>(31)))) - 1u;
    let below = select(select(vec4<u32>(0u), part, d > vec4<i32>(0)), vec4<u32>(0xffffffffu),
                       d >= vec4<i32>(32));
    return dot(countOneBits(lanes & below), vec4<u32>(1u));
}

// put_four by prefix sums of the units' counts.
fn put_four_counted(h0: Hit, h1: Hit, h2: Hit, h3: Hit, first: u32, run: u32, cap: u32) -> u32 {
    let c01 = countOneBits(h0.bits) | (countOneBits(h1.bits) << 16u);
    let c23 = countOneBits(h2.bits) | (countOneBits(h3.bits) << 16u);
    let e01 = subgroupExclusiveAdd(c01);
    let e23 = subgroupExclusiveAdd(c23);
    let t01 = subgroupAdd(c01);
    let t23 = subgroupAdd(c23);
    let t0 = t01 & 0xffffu;
    let t1 = t01 >> 16u;
    let t2 = t23 & 0xffffu;
    put_hits(h0, first, run + (e01 & 0xffffu), cap);
    put_hits(h1, first, run + t0 + (e01 >> 16u), cap);
    put_hits(h2, first, run + t0 + t1 + (e23 & 0xffffu), cap);
    put_hits(h3, first, run + t0 + t1 + t2 + (e23 >> 16u), cap);
    return run + t0 + t1 + t2 + (t23 >> 16u);
}

fn compact_candidates(lid: u32, s: Segment, floor: u32, first: u32) -> bool {
    if !sg_linear {
        return compact_all(lid, s, floor, first);
    }
    let slices = WG / sg_size;
    let cap = prm.out_slots / slices;
    let share = first + (lid / sg_size) * cap;
    let units = word_units(s) + single_units(s);
    let per = (units + slices - 1u) / slices;
    let begin = (lid / sg_size) * per;
    let end = min(begin + per, units);
    if lid == 0u {
        atomicStore(&slice_overflow, 0u);
        atomicStore(&slice_found, 0u);
    }
    workgroupBarrier();
    var run = 0u;  // the slice's keys at or above the floor so far
    for (var base = begin; base < end; base += 4u * sg_size) {
        let v = base + sg_lane;
        run = put_four(compaction_unit(s, v, end, floor),
                       compaction_unit(s, v + sg_size, end, floor),
                       compaction_unit(s, v + 2u * sg_size, end, floor),
                       compaction_unit(s, v + 3u * sg_size, end, floor), share, run, cap);
    }
    if run > cap {
        atomicOr(&slice_overflow, 1u);
    }
    if sg_lane == 0u {
        atomicAdd(&slice_found, run);
    }
    workgroupBarrier();
    if lid == 0u {
        w_counts = vec2<u32>(atomicLoad(&slice_overflow), atomicLoad(&slice_found));
    }
    let counts = workgroupUniformLoad(&w_counts);
    if counts.y < prm.k || counts.y > prm.out_slots {
        return false;
    }
    if counts.x != 0u {
        storageBarrier();  // the slices' writes to the slots come first
        return compact_all(lid, s, floor, first);
    }
    pad(share, run, cap, sg_lane, sg_size);
    return true;
}
