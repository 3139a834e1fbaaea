// Batched matmul for large operands: a workgroup computes a 128x128 tile of C, each of its 256
// invocations an 8x8 block (64 accumulators), stepping through K in slices of 8 staged in
// workgroup memory (8 KiB). Same parameters and bindings as matmul.wgsl.
$ENABLE
$COMMON

var<workgroup> a_tile: array<vec4<f32>, 256>;  // [k][m / 4]
var<workgroup> b_tile: array<vec4<f32>, 256>;  // [k][n / 4]

fn load_a(base: u32, row: u32, k: u32) -> f32 {
    if (row < p.m && k < p.k) { return f32(a[base + row * p.a_rs + k * p.a_cs]); }
    return 0.0;
}

fn load_b(base: u32, k: u32, col: u32) -> f32 {
    if (k < p.k && col < p.n) { return f32(b[base + k * p.b_rs + col * p.b_cs]); }
    return 0.0;
}

fn store(base: u32, row: u32, col: u32, v: vec4<f32>) {
    if (row >= p.m) { return; }
    for (var j = 0u; j < 4u; j++) {
        if (col + j < p.n) { c[base + row * p.n + col + j] = $T(v[j]); }
    }
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let bases = batch_bases(wid.z);
    let a_base = bases.x;
    let b_base = bases.y;
    let row0 = wid.y * 128u;
    let col0 = wid.x * 128u;
    let tx = lid % 16u;
    let ty = lid / 16u;
    // this invocation stages rows lm..lm+3 of A at column lk, and row bk of B at columns bn..bn+3
    let lm = row0 + (lid / 8u) * 4u;
    let lk = lid % 8u;
    let bk = lid / 32u;
    let bn = col0 + (lid % 32u) * 4u;
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    var acc4 = vec4<f32>(0.0);
    var acc5 = vec4<f32>(0.0);
    var acc6 = vec4<f32>(0.0);
    var acc7 = vec4<f32>(0.0);
    var acc8 = vec4<f32>(0.0);
    var acc9 = vec4<f32>(0.0);
    var acc10 = vec4<f32>(0.0);
    var acc11 = vec4<f32>(0.0);
    var acc12 = vec4<f32>(0.0);
    var acc13 = vec4<f32>(0.0);
    var acc14 = vec4<f32>(0.0);
    var acc15 = vec4<f32>(0.0);
    for (var k0 = 0u; k0 < p.k; k0 += 8u) {
        let ka = k0 + lk;
        a_tile[lk * 32u + lid / 8u] = vec4<f32>(load_a(a_base, lm, ka), load_a(a_base, lm + 1u, ka),
                                               load_a(a_base, lm + 2u, ka), load_a(a_base, lm + 3u, ka));
        let kb = k0 + bk;
        b_tile[bk * 32u + lid % 32u] = vec4<f32>(load_b(b_base, kb, bn), load_b(b_base, kb, bn + 1u),
                                                load_b(b_base, kb, bn + 2u), load_b(b_base, kb, bn + 3u));
        workgroupBarrier();
        for (var kk = 0u; kk < 8u; kk++) {
            let a0 = a_tile[kk * 32u + ty];
            let a1 = a_tile[kk * 32u + 16u + ty];
            let b0 = b_tile[kk * 32u + tx];
            let b1 = b_tile[kk * 32u + 16u + tx];
            acc0 += a0.x * b0;
            acc1 += a0.x * b1;
            acc2 += a0.y * b0;
            acc3 += a0.y * b1;
            acc4 += a0.z * b0;
            acc5 += a0.z * b1;
            acc6 += a0.w * b0;
            acc7 += a0.w * b1;
            acc8 += a1.x * b0;
            acc9 += a1.x * b1;
            acc10 += a1.y * b0;
            acc11 += a1.y * b1;
            acc12 += a1.z * b0;
            acc13 += a1.z * b1;
            acc14 += a1.w * b0;
            acc15 += a1.w * b1;
        }
        workgroupBarrier();
    }
    // accumulator h*8 + i*2 + g holds row h*64 + ty*4 + i, columns g*64 + tx*4 .. +3
    let c_base = wid.z * p.m * p.n;
    store(c_base, row0 + 0u + ty * 4u, col0 + 0u + tx * 4u, acc0);
    store(c_base, row0 + 0u + ty * 4u, col0 + 64u + tx * 4u, acc1);
    store(c_base, row0 + 1u + ty * 4u, col0 + 0u + tx * 4u, acc2);
    store(c_base, row0 + 1u + ty * 4u, col0 + 64u + tx * 4u, acc3);
    store(c_base, row0 + 2u + ty * 4u, col0 + 0u + tx * 4u, acc4);
    store(c_base, row0 + 2u + ty * 4u, col0 + 64u + tx * 4u, acc5);
    store(c_base, row0 + 3u + ty * 4u, col0 + 0u + tx * 4u, acc6);
    store(c_base, row0 + 3u + ty * 4u, col0 + 64u + tx * 4u, acc7);
    store(c_base, row0 + 64u + ty * 4u, col0 + 0u + tx * 4u, acc8);
    store(c_base, row0 + 64u + ty * 4u, col0 + 64u + tx * 4u, acc9);
    store(c_base, row0 + 65u + ty * 4u, col0 + 0u + tx * 4u, acc10);
    store(c_base, row0 + 65u + ty * 4u, col0 + 64u + tx * 4u, acc11);
    store(c_base, row0 + 66u + ty * 4u, col0 + 0u + tx * 4u, acc12);
    store(c_base, row0 + 66u + ty * 4u, col0 + 64u + tx * 4u, acc13);
    store(c_base, row0 + 67u + ty * 4u, col0 + 0u + tx * 4u, acc14);
    store(c_base, row0 + 67u + ty * 4u, col0 + 64u + tx * 4u, acc15);
}
