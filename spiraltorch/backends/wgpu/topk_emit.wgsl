// TopK output: the first k (key, index) pairs of each row become int64 indices (lo, 0) and the
// values, recovered from the keys, or gathered from the input where a key does not give the
// exact bits (NaN payloads, the sign of zero). One invocation per u32 word of
// the values buffer, so 16-bit values are written two at a time, without races.

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read> pairs: array<u32>;
@group(0) @binding(2) var<storage, read_write> values: array<u32>;
@group(0) @binding(3) var<storage, read_write> indices: array<u32>;
@group(0) @binding(4) var<uniform> prm: Params;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let w = group_index(wid, nwg) * WG + lid;
    let per = 32u / ELEM_BITS;
    let count = prm.rows * prm.k;
    if w * per >= count {
        return;
    }
    var word = 0u;
    for (var q = 0u; q < per; q++) {
        let f = w * per + q;
        if f < count {
            let row = f / prm.k;
            let at = 2u * (row * prm.out_slots + f % prm.k);
            let idx = pairs[at + 1u];
            let bits = element_bits(pairs[at], prm.offset + row * prm.row_stride, idx);
            word |= bits << (q * ELEM_BITS);
            indices[2u * f] = idx;
            indices[2u * f + 1u] = 0u;
        }
    }
    values[w] = word;
}
