// Batched matmul C[b] = A[b] @ B[b] for float inputs with any strides, f32 accumulation.
// A workgroup computes a 64x64 tile of C; each of its 256 invocations a 4x4 block, stepping
// through K in slices of 16 staged in workgroup memory (8 KiB).
$ENABLE
struct Params {
    m: u32,
    n: u32,
    k: u32,
    nb: u32,  // batch rank
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

var<workgroup> a_tile: array<f32, 1024>;  // [k][m]
var<workgroup> b_tile: array<f32, 1024>;  // [k][n]

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    var rem = wid.z;
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
    let row0 = wid.y * 64u;
    let col0 = wid.x * 64u;
    let tx = lid % 16u;
    let ty = lid / 16u;
    var acc: array<f32, 16>;
    for (var k0 = 0u; k0 < p.k; k0 += 16u) {
        for (var l = 0u; l < 4u; l++) {
            let e = lid + l * 256u;
            let am = e / 16u;
            let ak = e % 16u;
            var av = 0.0;
            if (row0 + am < p.m && k0 + ak < p.k) {
                av = f32(a[a_base + (row0 + am) * p.a_rs + (k0 + ak) * p.a_cs]);
            }
            a_tile[ak * 64u + am] = av;
            let bk = e / 64u;
            let bn = e % 64u;
            var bv = 0.0;
            if (col0 + bn < p.n && k0 + bk < p.k) {
                bv = f32(b[b_base + (k0 + bk) * p.b_rs + (col0 + bn) * p.b_cs]);
            }
            b_tile[bk * 64u + bn] = bv;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < 16u; kk++) {
            let av = vec4<f32>(a_tile[kk * 64u + ty * 4u], a_tile[kk * 64u + ty * 4u + 1u],
                               a_tile[kk * 64u + ty * 4u + 2u], a_tile[kk * 64u + ty * 4u + 3u]);
            let bv = vec4<f32>(b_tile[kk * 64u + tx * 4u], b_tile[kk * 64u + tx * 4u + 1u],
                               b_tile[kk * 64u + tx * 4u + 2u], b_tile[kk * 64u + tx * 4u + 3u]);
            for (var i = 0u; i < 4u; i++) {
                acc[i * 4u] += av[i] * bv.x;
                acc[i * 4u + 1u] += av[i] * bv.y;
                acc[i * 4u + 2u] += av[i] * bv.z;
                acc[i * 4u + 3u] += av[i] * bv.w;
            }
        }
        workgroupBarrier();
    }
    let c_base = wid.z * p.m * p.n;
    for (var i = 0u; i < 4u; i++) {
        let r = row0 + ty * 4u + i;
        for (var j = 0u; j < 4u; j++) {
            let col = col0 + tx * 4u + j;
            if (r < p.m && col < p.n) { c[c_base + r * p.n + col] = $T(acc[i * 4u + j]); }
        }
    }
}
