// index_put, pass 2: each position of x claimed in pass 1 takes the value of its last occurrence.
$ENABLE
struct Params { n: u32, x_off: u32, v_off: u32 }

@group(0) @binding(0) var<storage, read_write> x: array<$T>;
@group(0) @binding(1) var<storage, read> last: array<u32>;
@group(0) @binding(2) var<storage, read> values: array<$T>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let o = (wid.y * nwg.x + wid.x) * 256u + lid;
    if (o >= p.n) { return; }
    let j = last[o];
    if (j != 0u) {
        x[p.x_off + o] = values[p.v_off + j - 1u];
    }
}
