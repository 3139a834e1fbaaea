// Batched integer matmul, exact with wrap-around like torch: one invocation per output element
// with a plain loop over K (integer matmuls are small; speed goes to the float kernels).
struct Params {
    m: u32,
    n: u32,
    k: u32,
    nb: u32,
    a_off: u32,
    a_rs: u32,
    a_cs: u32,
    b_off: u32,
    b_rs: u32,
    b_cs: u32,
    pad0: u32,
    pad1: u32,
    bshape: array<vec4<u32>, 2>,
    a_bs: array<vec4<u32>, 2>,
    b_bs: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<storage, read_write> c: array<$T>;
@group(0) @binding(1) var<storage, read> a: array<$T>;
@group(0) @binding(2) var<storage, read> b: array<$T>;
@group(0) @binding(3) var<uniform> p: Params;

$LIB

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let row = gid.y;
    let col = gid.x;
    if (row >= p.m || col >= p.n) { return; }
    var rem = gid.z;
    var a_base = p.a_off;
    var b_base = p.b_off;
    for (var d = p.nb; d > 0u; d--) {
        let e = d - 1u;
        let size = p.bshape[e / 4u][e % 4u];
        let i = rem % size;
        rem = rem / size;
        a_base += i * p.a_bs[e / 4u][e % 4u];
        b_base += i * p.b_bs[e / 4u][e % 4u];
    }
    var acc = $ZERO;
    for (var k = 0u; k < p.k; k++) {
        let x = a[a_base + row * p.a_rs + k * p.a_cs];
        let y = b[b_base + k * p.b_rs + col * p.b_cs];
        acc = $MAD;
    }
    c[gid.z * p.m * p.n + row * p.n + col] = $STORE;
}
