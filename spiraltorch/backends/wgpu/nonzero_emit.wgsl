// nonzero, pass 3: each set flag writes its coordinates (int64) at its row of the output.
struct Params { n: u32, blocks: u32, ndim: u32, pad: u32, shape: array<vec4<u32>, 2> }

@group(0) @binding(0) var<storage, read_write> out: array<vec2<u32>>;
@group(0) @binding(1) var<storage, read> mask: array<u32>;
@group(0) @binding(2) var<storage, read> offsets: array<u32>;
@group(0) @binding(3) var<uniform> p: Params;

var<workgroup> part: array<u32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let b = wid.y * nwg.x + wid.x;
    if (b >= p.blocks) { return; }
    let i = b * 256u + lid;
    let flagged = i < p.n && mask[min(i, p.n - 1u)] != 0u;
    let v = select(0u, 1u, flagged);
    part[lid] = v;
    workgroupBarrier();
    for (var w = 1u; w < 256u; w = w << 1u) {
        let add = select(0u, part[lid - w], lid >= w);
        workgroupBarrier();
        part[lid] += add;
        workgroupBarrier();
    }
    if (flagged) {
        let row = offsets[b] + part[lid] - 1u;
        var rem = i;
        for (var d = p.ndim; d > 0u; d--) {
            let e = d - 1u;
            let size = p.shape[e / 4u][e % 4u];
            out[row * p.ndim + e] = vec2<u32>(rem % size, 0u);
            rem = rem / size;
        }
    }
}
