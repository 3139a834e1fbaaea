// TopK selection entry point whose compaction scan runs on subgroup operations.
//
// Subgroup prefix sums follow subgroup invocation order. They equal the workgroup's index order
// only when subgroups are full and laid out linearly (subgroup_layout.wgsl); each workgroup
// checks that once and otherwise uses the workgroup-memory scan.

var<private> sg_lane: u32;
var<private> sg_size: u32;
var<private> sg_linear: bool;
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

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) size: u32) {
    sg_lane = lane;
    sg_size = size;
    sg_linear = subgroups_linear(lid, lane, size, WG);
    select_segment(lid, group_index(wid, nwg));
}
