// Reduction template: each output combines the elements of its reduced sub-space.
// Outputs are (kept index, part) pairs: part p covers reduced positions [p*chunk, (p+1)*chunk), so a
// long reduction can be split over many workgroups and finished by a second launch.
// PER_THREAD: one invocation per output (short reductions); else one workgroup per output.
$ENABLE
struct Params {
    n_out: u32,
    inner: u32,
    parts: u32,
    chunk: u32,
    nk: u32,
    nr: u32,
    offset: u32,
    pad: u32,
    kshape: array<vec4<u32>, 2>,
    kstride: array<vec4<u32>, 2>,
    rshape: array<vec4<u32>, 2>,
    rstride: array<vec4<u32>, 2>,
}

override PER_THREAD: bool = false;

@group(0) @binding(0) var<storage, read_write> out: array<$OUT_T>;
@group(0) @binding(1) var<storage, read> x: array<$IN_T>;
@group(0) @binding(2) var<uniform> p: Params;

$LIB

var<workgroup> scratch: array<$ACC_T, 256>;

fn combine(a: $ACC_T, b: $ACC_T) -> $ACC_T { return $COMBINE; }
fn map(v: $IN_T, j: u32) -> $ACC_T { return $MAP; }

fn kept_offset(k: u32) -> u32 {
    var rem = k;
    var off = p.offset;
    for (var d = p.nk; d > 0u; d--) {
        let e = d - 1u;
        let size = p.kshape[e / 4u][e % 4u];
        off += (rem % size) * p.kstride[e / 4u][e % 4u];
        rem = rem / size;
    }
    return off;
}

fn reduced_offset(j: u32) -> u32 {
    if (p.nr == 1u) { return j * p.rstride[0].x; }
    var rem = j;
    var off = 0u;
    for (var d = p.nr; d > 0u; d--) {
        let e = d - 1u;
        let size = p.rshape[e / 4u][e % 4u];
        off += (rem % size) * p.rstride[e / 4u][e % 4u];
        rem = rem / size;
    }
    return off;
}

fn span(o: u32) -> vec3<u32> {
    let part = o % p.parts;
    let start = part * p.chunk;
    return vec3<u32>(kept_offset(o / p.parts), start, min(p.inner, start + p.chunk));
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let flat = wid.y * nwg.x + wid.x;
    if (PER_THREAD) {
        let o = flat * 256u + lid;
        if (o < p.n_out) {
            let s = span(o);
            var acc: $ACC_T = $IDENTITY;
            for (var j = s.y; j < s.z; j++) {
                acc = combine(acc, map(x[s.x + reduced_offset(j)], j));
            }
            out[o] = $STORE;
        }
    } else if (flat < p.n_out) {
        let s = span(flat);
        var acc: $ACC_T = $IDENTITY;
        var j = s.y + lid;
        // four independent loads per step keep more memory requests in flight
        for (; j + 768u < s.z; j += 1024u) {
            let v0 = map(x[s.x + reduced_offset(j)], j);
            let v1 = map(x[s.x + reduced_offset(j + 256u)], j + 256u);
            let v2 = map(x[s.x + reduced_offset(j + 512u)], j + 512u);
            let v3 = map(x[s.x + reduced_offset(j + 768u)], j + 768u);
            acc = combine(acc, combine(combine(v0, v1), combine(v2, v3)));
        }
        for (; j < s.z; j += 256u) {
            acc = combine(acc, map(x[s.x + reduced_offset(j)], j));
        }
        scratch[lid] = acc;
        workgroupBarrier();
        for (var w = 128u; w > 0u; w = w >> 1u) {
            if (lid < w) { scratch[lid] = combine(scratch[lid], scratch[lid + w]); }
            workgroupBarrier();
        }
        if (lid == 0u) {
            acc = scratch[0];
            out[flat] = $STORE;
        }
    }
}
