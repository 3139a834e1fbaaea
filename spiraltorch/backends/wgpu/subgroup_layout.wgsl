// Whether this workgroup's subgroups are full and laid out linearly over
// local_invocation_index (lane = lid % size), the layout that subgroup prefix sums and shuffles
// by lane need to match workgroup order. Every invocation calls it once, in uniform control
// flow, and gets the same answer; kernels fall back to workgroup memory otherwise.
// (wgpu's shader compiler takes subgroup builtins without an `enable subgroups;` directive and
// rejects the directive; browsers require it.)

// What an entry point records once for the kernels it calls: lane, subgroup size, and whether
// subgroups_linear holds.
var<private> sg_lane: u32;
var<private> sg_size: u32;
var<private> sg_linear: bool;

var<workgroup> sg_irregular: atomic<u32>;
var<workgroup> sg_layout: u32;

fn subgroups_linear(lid: u32, lane: u32, size: u32, wg: u32) -> bool {
    if lid == 0u {
        atomicStore(&sg_irregular, 0u);
    }
    workgroupBarrier();
    let full = subgroupAdd(1u) == size;
    let linear = lane == lid % size && subgroupBroadcastFirst(lid / size) == lid / size;
    if !(full && linear) || wg % size != 0u {
        atomicOr(&sg_irregular, 1u);
    }
    workgroupBarrier();
    if lid == 0u {
        sg_layout = atomicLoad(&sg_irregular);
    }
    return workgroupUniformLoad(&sg_layout) == 0u;
}
