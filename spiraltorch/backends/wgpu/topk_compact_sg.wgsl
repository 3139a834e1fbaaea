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
// 1, ...: index order) from slot `run` of the share on; returns the slot after the last. The
// counts, two to a u32 in 16-bit fields, take one prefix sum a pair.
fn put_four(h0: Hit, h1: Hit, h2: Hit, h3: Hit, first: u32, run: u32, cap: u32) -> u32 {
    let c01 = countOneBits(h0.bits) | (countOneBits(h1.bits) << 16u);
    let c23 = countOneBits(h2.bits) | (countOneBits(h3.bits) << 16u);
    let e01 = subgroupExclusiveAdd(c01);
    let e23 = subgroupExclusiveAdd(c23);
    let t01 = subgroupAdd(c01);
    let t23 = subgroupAdd(c23);
    let t0 = t01 & 0xffffu;
    let t1 = t01 >> 16u;
    let t2 = t23 & 0xffffu;
    put_hits(h0.un, h0.bits, first, run + (e01 & 0xffffu), cap);
    put_hits(h1.un, h1.bits, first, run + t0 + (e01 >> 16u), cap);
    put_hits(h2.un, h2.bits, first, run + t0 + t1 + (e23 & 0xffffu), cap);
    put_hits(h3.un, h3.bits, first, run + t0 + t1 + t2 + (e23 >> 16u), cap);
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
