// Reports the subgroup size the device runs compute shaders with.
@group(0) @binding(0) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(subgroup_size) size: u32, @builtin(local_invocation_index) lid: u32) {
    if (lid == 0u) { out[0] = size; }
}
