// Sort, step 3: the first n sorted column indices of each padded row, as int64.
struct Params { rows: u32, n: u32, width: u32, pad: u32 }

@group(0) @binding(0) var<storage, read_write> out: array<vec2<u32>>;
@group(0) @binding(1) var<storage, read> idx: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let t = (wid.y * nwg.x + wid.x) * 256u + lid;
    if (t >= p.rows * p.n) { return; }
    out[t] = vec2<u32>(idx[(t / p.n) * p.width + t % p.n], 0u);
}
