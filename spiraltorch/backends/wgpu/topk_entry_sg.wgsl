// Entry point on subgroup operations of a TopK kernel that sorts rows in workgroup memory:
// `main` records the subgroup layout (subgroup_layout.wgsl) and runs the kernel's
// `workgroup_main(lid, group)`; `sort_slots` sorts a block of whole rows of at least 4 slots,
// at most 4 * WG slots in all, in registers and shuffles (topk_bitonic_sg.wgsl) where subgroups
// are full and laid out linearly, and otherwise by `sort_block` (topk_bitonic.wgsl).

fn sort_slots(lid: u32, block: u32, n: u32, base: u32) {
    if sg_linear && n >= 4u && n <= block && block <= 4u * WG {
        sort_registers(lid, block, n);
    } else {
        sort_block(lid, block, n, base);
    }
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) size: u32) {
    sg_lane = lane;
    sg_size = size;
    sg_linear = subgroups_linear(lid, lane, size, WG);
    workgroup_main(lid, group_index(wid, nwg));
}
