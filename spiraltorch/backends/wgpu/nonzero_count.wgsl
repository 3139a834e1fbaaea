// nonzero, pass 1: the number of set flags in each block of 256.
struct Params { n: u32, blocks: u32, ndim: u32, pad: u32 }

@group(0) @binding(0) var<storage, read_write> counts: array<u32>;
@group(0) @binding(1) var<storage, read> mask: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

var<workgroup> part: array<u32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let b = wid.y * nwg.x + wid.x;
    if (b >= p.blocks) { return; }
    let i = b * 256u + lid;
    part[lid] = select(0u, 1u, i < p.n && mask[min(i, p.n - 1u)] != 0u);
    workgroupBarrier();
    for (var w = 128u; w > 0u; w = w >> 1u) {
        if (lid < w) { part[lid] += part[lid + w]; }
        workgroupBarrier();
    }
    if (lid == 0u) { counts[b] = part[0]; }
}
