// Batched integer matmul, exact with wrap-around like torch: one invocation per output element
// with a plain loop over K (integer matmuls are small; speed goes to the float kernels).
$COMMON

$LIB

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let row = gid.y;
    let col = gid.x;
    if (row >= p.m || col >= p.n) { return; }
    let bases = batch_bases(gid.z);
    let a_base = bases.x;
    let b_base = bases.y;
    var acc = $ZERO;
    for (var k = 0u; k < p.k; k++) {
        let x = a[a_base + row * p.a_rs + k * p.a_cs];
        let y = b[b_base + k * p.b_rs + col * p.b_cs];
        acc = $MAD;
    }
    c[gid.z * p.m * p.n + row * p.n + col] = $STORE;
}
