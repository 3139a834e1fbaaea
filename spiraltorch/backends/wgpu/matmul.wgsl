// Batched matmul C[b] = A[b] @ B[b] for float inputs with any strides, f32 accumulation.
// A workgroup computes a 64x64 tile of C; each of its 256 invocations a 4x4 block, stepping
// through K in slices of 16 staged in workgroup memory (8 KiB).
$ENABLE
$COMMON

var<workgroup> a_tile: array<f32, 1024>;  // [k][m]
var<workgroup> b_tile: array<f32, 1024>;  // [k][n]

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let bases = batch_bases(wid.z);
    let a_base = bases.x;
    let b_base = bases.y;
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
