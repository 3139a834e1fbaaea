// Portable entry point of a TopK kernel that sorts rows in workgroup memory: `main` runs the
// kernel's `workgroup_main(lid, group)`, and `sort_slots` is the block sort of the slot files
// before it (`sort_block`: topk_bitonic.wgsl or topk_radix_sort.wgsl).

fn sort_slots(lid: u32, block: u32, n: u32, base: u32) {
    sort_block(lid, block, n, base);
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    workgroup_main(lid, group_index(wid, nwg));
}
