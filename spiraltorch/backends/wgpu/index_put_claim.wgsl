// index_put, pass 1: every position of x named by an index keeps the number of the last
// occurrence naming it (j + 1; 0 = none). Indices outside 0..size after wrapping negatives name
// nothing. A pass linear in the index count, unlike the scatter loop of accumulate=True.
struct Params { count: u32, size: u32, i_off: u32 }

@group(0) @binding(0) var<storage, read_write> last: array<atomic<u32>>;
@group(0) @binding(1) var<storage, read> index: array<vec2<u32>>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let j = (wid.y * nwg.x + wid.x) * 256u + lid;
    if (j >= p.count) { return; }
    let v = index[p.i_off + j];
    let back = 0u - v.x;  // -index, for a negative index whose high word is all ones
    let wraps = v.y == 0xffffffffu && v.x != 0u && back <= p.size;
    if (wraps || (v.y == 0u && v.x < p.size)) {
        atomicMax(&last[select(v.x, p.size - back, wraps)], j + 1u);
    }
}
