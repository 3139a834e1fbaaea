// Portable entry point of topk_select_held.wgsl: scans in workgroup memory, the bitonic sort of
// topk_bitonic.wgsl.

fn scan_exclusive(v: u32, lid: u32) -> vec2<u32> {
    return scan_workgroup(v, lid);
}

fn sort_row(lid: u32, n: u32) {
    sort_block(lid, n, n, 0u);
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    select_held(lid, group_index(wid, nwg));
}
