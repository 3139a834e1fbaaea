// Entry point of a TopK kernel on subgroup operations: `main` records the subgroup layout
// (subgroup_layout.wgsl) and runs the kernel's `workgroup_main(lid, group)`.

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) size: u32) {
    sg_lane = lane;
    sg_size = size;
    sg_linear = subgroups_linear(lid, lane, size, WG);
    workgroup_main(lid, group_index(wid, nwg));
}
