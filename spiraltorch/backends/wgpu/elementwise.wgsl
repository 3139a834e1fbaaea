// Element-wise kernel template: out[i] = EXPR(x0, x1, x2) over a broadcast, strided index space
// of up to 8 dimensions. The generator fills the $-placeholders (operand declarations, loads,
// the expression and the store); the index arithmetic below is shared by every op and dtype.
$ENABLE
struct Params {
    n: u32,
    ndim: u32,
    flags: u32,  // bit k: operand k is laid out like the output; bit 3: output contiguous
    pad: u32,
    shape: array<vec4<u32>, 2>,
    offs: vec4<u32>,  // element offsets of operands 0..2 and of the output
    strides: array<vec4<u32>, 8>,  // operand k: strides[2k..2k+1]; output: strides[6..7]
}

@group(0) @binding(0) var<storage, read_write> out: array<$OUT_T>;
$DECLS
@group(0) @binding($PARAMS) var<uniform> p: Params;

$LIB

fn stride_of(k: u32, d: u32) -> u32 { return p.strides[2u * k + d / 4u][d % 4u]; }

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = (wid.y * nwg.x + wid.x) * 256u + lid;
    if (i >= p.n) { return; }
    var o = vec4<u32>(p.offs.x + i, p.offs.y + i, p.offs.z + i, p.offs.w + i);
    if (p.flags != 15u) {
        var rem = i;
        var g = p.offs;
        for (var d = p.ndim; d > 0u; d--) {
            let e = d - 1u;
            let size = p.shape[e / 4u][e % 4u];
            let c = rem % size;
            rem = rem / size;
            g += c * vec4<u32>(stride_of(0u, e), stride_of(1u, e), stride_of(2u, e), stride_of(3u, e));
        }
        o = select(g, o, vec4<bool>((p.flags & 1u) != 0u, (p.flags & 2u) != 0u,
                                    (p.flags & 4u) != 0u, (p.flags & 8u) != 0u));
    }
$LOADS
    out[o.w] = $STORE;
}
