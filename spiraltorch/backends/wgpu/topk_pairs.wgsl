// TopK by a full sort of short rows, step 1: each row becomes sort_n (key, index) pairs, in
// column order, its padding slots (0, NONE), which rank below every element. The bitonic sort
// of topk_sort_local.wgsl then ranks whole rows, and the output takes the first k of each.

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> prm: Params;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = group_index(wid, nwg) * WG + lid;
    if t >= prm.rows * prm.sort_n {
        return;
    }
    let row = t / prm.sort_n;
    let col = t % prm.sort_n;
    var pair = vec2<u32>(0u, NONE);
    if col < prm.cols {
        let raw = read_bits(prm.offset + row * prm.row_stride + col * prm.col_stride);
        pair = vec2<u32>(keys4(vec4<u32>(raw, 0u, 0u, 0u)).x, col);
    }
    dst[2u * t] = pair.x;
    dst[2u * t + 1u] = pair.y;
}
