// A workgroup scan on subgroup operations, `scan_exclusive(v, lid)` -> (exclusive prefix of v,
// total). Subgroup prefix sums follow subgroup invocation order. They equal the workgroup's index
// order only when subgroups are full and laid out linearly (sg_linear of subgroup_layout.wgsl);
// without that layout the scan runs in workgroup memory (scan_workgroup, topk_buckets.wgsl).

var<workgroup> sg_totals: array<u32, 256>;

fn scan_exclusive(v: u32, lid: u32) -> vec2<u32> {
    if !sg_linear {
        return scan_workgroup(v, lid);
    }
    let incl = subgroupInclusiveAdd(v);
    let sgi = lid / sg_size;
    if sg_lane == sg_size - 1u {
        sg_totals[sgi] = incl;
    }
    workgroupBarrier();
    var earlier = 0u;
    var total = 0u;
    for (var i = 0u; i < WG / sg_size; i++) {
        let s = sg_totals[i];
        earlier += select(0u, s, i < sgi);
        total += s;
    }
    workgroupBarrier();
    return vec2<u32>(earlier + incl - v, total);
}
