// Counter-based random fill: element g of a draw with seed s is a pure function of (s, g), so any
// launch split gives the same numbers. A launch fills elements first .. first + n - 1 of the
// whole array; `out` is bound from element `first` on.
$ENABLE
struct Params {
    n: u32,
    seed_lo: u32,
    seed_hi: u32,
    range: u32,  // integers: high - low (0 means 2^32)
    low: vec2<u32>,  // integers: low as (lo, hi)
    a: f32,  // uniform: low; normal: mean
    b: f32,  // uniform: high; normal: std
    first: u32,
}

@group(0) @binding(0) var<storage, read_write> out: array<$T>;
@group(0) @binding(1) var<uniform> p: Params;

$LIB

fn mix32(v: u32) -> u32 {
    var x = v;
    x ^= x >> 16u;
    x *= 0x7feb352du;
    x ^= x >> 15u;
    x *= 0x846ca68bu;
    x ^= x >> 16u;
    return x;
}

fn draw(i: u32, stream: u32) -> u32 {
    let key = mix32(p.seed_lo ^ mix32(p.seed_hi + 0x9e3779b9u * (stream + 1u)));
    return mix32(mix32(i ^ key) + key);
}

fn unit(h: u32) -> f32 { return f32(h >> 8u) * (1.0 / 16777216.0); }

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let i = (wid.y * nwg.x + wid.x) * 256u + lid;
    if (i >= p.n) { return; }
    let g = p.first + i;
$BODY
}
