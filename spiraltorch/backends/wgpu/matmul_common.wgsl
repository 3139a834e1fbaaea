// Parameters, bindings and batch addressing shared by the matmul kernels (matmul*.wgsl).
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

// Element offsets of batch z's A and B: z is split over the (collapsed) batch shape, last dim
// fastest, and each index steps by that dim's stride in A and in B (0 where it broadcasts).
fn batch_bases(z: u32) -> vec2<u32> {
    var rem = z;
    var bases = vec2<u32>(p.a_off, p.b_off);
    for (var d = p.nb; d > 0u; d--) {
        let e = d - 1u;
        let size = p.bshape[e / 4u][e % 4u];
        let i = rem % size;
        rem = rem / size;
        bases += i * vec2<u32>(p.a_bs[e / 4u][e % 4u], p.b_bs[e / 4u][e % 4u]);
    }
    return bases;
}
