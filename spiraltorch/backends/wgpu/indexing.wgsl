// Index-driven kernels over an output of up to 8 dimensions (contiguous), one invocation each.
// GATHER: out[c] = x[c with axis DIM replaced by index[c . istride]]
//   (gather: istride = index strides; index_select: istride is zero except along DIM).
// SCATTER: out[c] = x[c] combined, in index order, with every src[c'] whose index[c'] == c[DIM]
//   (c' = c with axis DIM replaced by j); a loop per output keeps it deterministic without atomics.
$ENABLE
struct Params {
    n: u32,
    ndim: u32,
    dim: u32,
    count: u32,  // SCATTER: index.shape[DIM]
    x_off: u32,
    i_off: u32,
    s_off: u32,
    size: u32,  // x.shape[DIM], for negative indices
    shape: array<vec4<u32>, 2>,
    ishape: array<vec4<u32>, 2>,
    x_st: array<vec4<u32>, 2>,
    i_st: array<vec4<u32>, 2>,
    s_st: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<storage, read_write> out: array<$T>;
@group(0) @binding(1) var<storage, read> x: array<$T>;
@group(0) @binding(2) var<storage, read> index: array<vec2<u32>>;
$SRC_DECL
@group(0) @binding($PARAMS) var<uniform> p: Params;

$LIB

fn at(a: array<vec4<u32>, 2>, d: u32) -> u32 { return a[d / 4u][d % 4u]; }

fn position(v: vec2<u32>) -> u32 {
    let i = bitcast<i32>(v.x);
    return select(u32(i), u32(i + i32(p.size)), i < 0);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let o = (wid.y * nwg.x + wid.x) * 256u + lid;
    if (o >= p.n) { return; }
    var rem = o;
    var x_off = p.x_off;
    var i_off = p.i_off;
    var s_off = p.s_off;
    var c_dim = 0u;
    var inside = true;
    for (var d = p.ndim; d > 0u; d--) {
        let e = d - 1u;
        let size = at(p.shape, e);
        let c = rem % size;
        rem = rem / size;
        if (e == p.dim) {
            c_dim = c;
        } else {
            x_off += c * at(p.x_st, e);
            i_off += c * at(p.i_st, e);
            s_off += c * at(p.s_st, e);
            inside = inside && c < at(p.ishape, e);
        }
    }
$BODY
}
