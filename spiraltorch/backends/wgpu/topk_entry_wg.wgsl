// Portable entry point of a TopK kernel: `main` runs the kernel's `workgroup_main(lid, group)`.

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    workgroup_main(lid, group_index(wid, nwg));
}
