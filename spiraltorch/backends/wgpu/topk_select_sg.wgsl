// TopK selection entry point whose scans run on subgroup operations (topk_scan_sg.wgsl).

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) size: u32) {
    sg_lane = lane;
    sg_size = size;
    sg_linear = subgroups_linear(lid, lane, size, WG);
    select_segment(lid, group_index(wid, nwg));
}
