// Sort, step 2: one compare-exchange pass (block size K, distance J) of a bitonic sort on every
// row; order is (key, index), so equal keys keep index order and the result is exact.
struct Params { rows: u32, width: u32, k: u32, j: u32 }

@group(0) @binding(0) var<storage, read_write> keys: array<vec2<u32>>;
@group(0) @binding(1) var<storage, read_write> idx: array<u32>;
@group(0) @binding(2) var<uniform> p: Params;

fn before(ka: vec2<u32>, ia: u32, kb: vec2<u32>, ib: u32) -> bool {
    return ka.x < kb.x || (ka.x == kb.x && (ka.y < kb.y || (ka.y == kb.y && ia < ib)));
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let t = (wid.y * nwg.x + wid.x) * 256u + lid;
    let half = p.width / 2u;
    if (t >= p.rows * half) { return; }
    let row = t / half;
    let q = t % half;
    let i = (q / p.j) * 2u * p.j + q % p.j;
    let a = row * p.width + i;
    let b = a + p.j;
    let ascending = (i & p.k) == 0u;
    let ka = keys[a];
    let kb = keys[b];
    let ia = idx[a];
    let ib = idx[b];
    if (before(kb, ib, ka, ia) == ascending) {
        keys[a] = kb;
        keys[b] = ka;
        idx[a] = ib;
        idx[b] = ia;
    }
}
