// Entry point of topk_select_held.wgsl on subgroup operations: subgroup scans
// (topk_scan_sg.wgsl) and the bitonic sort in registers and shuffles (topk_bitonic_sg.wgsl) of
// rows of at least 4 slots, where subgroups are full and laid out linearly; otherwise the
// workgroup-memory versions.

fn sort_row(lid: u32, n: u32) {
    if sg_linear && n >= 4u {
        sort_registers(lid, n);
    } else {
        sort_block(lid, n, n, 0u);
    }
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) size: u32) {
    sg_lane = lane;
    sg_size = size;
    sg_linear = subgroups_linear(lid, lane, size, WG);
    select_held(lid, group_index(wid, nwg));
}
