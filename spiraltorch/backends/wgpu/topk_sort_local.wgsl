// Bitonic sort of (key, index) pairs in place, `sort_n` (a power of two) per row, best first.
// One workgroup holds a block of `block` pairs in workgroup memory, in the slot format of the
// file before it (topk_slots_packed.wgsl: rows of up to 4096 slots whose keys and indices fit 16
// bits; topk_slots_pairs.wgsl: 2048 slots): several whole rows when sort_n <= block, otherwise
// part of one row. It sorts each row (stage = 0), or finishes global stage `stage` for every
// compare distance below `block` (topk_sort_step.wgsl does the longer ones).

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read_write> dst: array<u32>;
@group(0) @binding(1) var<uniform> prm: Params;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let block = prm.block;
    let base = group_index(wid, nwg) * block;
    let total = prm.rows * prm.sort_n;
    if base >= total {
        return;
    }
    for (var i = lid; i < block; i += WG) {
        var pair = vec2<u32>(0u, NONE);
        if base + i < total {
            pair = vec2<u32>(dst[2u * (base + i)], dst[2u * (base + i) + 1u]);
        }
        s_slot[i] = slot_of(pair);
    }
    workgroupBarrier();
    if prm.stage == 0u {
        sort_block(lid, block, prm.sort_n, base);
    } else {
        for (var dist = block / 2u; dist > 0u; dist /= 2u) {
            bitonic_step(lid, block, prm.sort_n, base, prm.stage, dist);
        }
    }
    for (var i = lid; i < block; i += WG) {
        if base + i < total {
            let pair = pair_of(s_slot[i]);
            dst[2u * (base + i)] = pair.x;
            dst[2u * (base + i) + 1u] = pair.y;
        }
    }
}
