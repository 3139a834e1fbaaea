// Sort, step 1: rows of x (contiguous, rows x n) become rows of P = pow2 >= n order keys plus
// their column indices; padding gets the largest key and index so it sorts last.
$ENABLE
struct Params { rows: u32, n: u32, width: u32, descending: u32, offset: u32 }

@group(0) @binding(0) var<storage, read_write> keys: array<vec2<u32>>;
@group(0) @binding(1) var<storage, read_write> idx: array<u32>;
@group(0) @binding(2) var<storage, read> x: array<$T>;
@group(0) @binding(3) var<uniform> p: Params;

$LIB

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let t = (wid.y * nwg.x + wid.x) * 256u + lid;
    if (t >= p.rows * p.width) { return; }
    let row = t / p.width;
    let col = t % p.width;
    if (col >= p.n) {
        keys[t] = vec2<u32>(0xffffffffu, 0xffffffffu);
        idx[t] = 0xffffffffu;
        return;
    }
    let v = x[p.offset + row * p.n + col];
    let k = $KEY;
    keys[t] = select(k, ~k, p.descending != 0u);
    idx[t] = col;
}
