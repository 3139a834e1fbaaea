// TopK selection entry point with a workgroup-memory scan (portable).

fn scan_exclusive(v: u32, lid: u32) -> vec2<u32> {
    return scan_workgroup(v, lid);
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    select_segment(lid, group_index(wid, nwg));
}
