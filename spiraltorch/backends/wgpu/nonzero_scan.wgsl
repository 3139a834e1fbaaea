// nonzero, pass 2 (one workgroup): exclusive prefix sums of the block counts, in place;
// the total lands in counts[blocks].
struct Params { n: u32, blocks: u32, ndim: u32, pad: u32 }

@group(0) @binding(0) var<storage, read_write> counts: array<u32>;
@group(0) @binding(1) var<uniform> p: Params;

var<workgroup> part: array<u32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32) {
    var carry = 0u;
    for (var base = 0u; base < p.blocks; base += 256u) {
        let i = base + lid;
        let v = select(0u, counts[min(i, p.blocks - 1u)], i < p.blocks);
        part[lid] = v;
        workgroupBarrier();
        for (var w = 1u; w < 256u; w = w << 1u) {  // inclusive Hillis-Steele scan
            let add = select(0u, part[lid - w], lid >= w);
            workgroupBarrier();
            part[lid] += add;
            workgroupBarrier();
        }
        if (i < p.blocks) { counts[i] = carry + part[lid] - v; }
        carry += part[255];
        workgroupBarrier();
    }
    if (lid == 0u) { counts[p.blocks] = carry; }
}
