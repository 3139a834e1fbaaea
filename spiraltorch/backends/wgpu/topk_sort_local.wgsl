// Bitonic sort of (key, index) pairs, `sort_n` (a power of two) per row, best first. One
// workgroup holds a block of `block` pairs in workgroup memory: several whole rows when
// sort_n <= block, otherwise part of one row. It sorts each row (stage = 0), or finishes
// global stage `stage` for every compare distance below `block`.

override WG: u32 = 256u;
const BLOCK_MAX: u32 = 2048u;  // 2048 (key, index) pairs: 16 KiB of workgroup memory

@group(0) @binding(0) var<storage, read_write> dst: array<u32>;
@group(0) @binding(1) var<uniform> prm: Params;

var<workgroup> s_pair: array<vec2<u32>, BLOCK_MAX>;  // (key, index): one 8-byte access

fn local_steps(lid: u32, base: u32, stage: u32, dist: u32) {
    for (var t = lid; t < prm.block / 2u; t += WG) {
        let lo = ((t & ~(dist - 1u)) << 1u) | (t & (dist - 1u));  // dist: a power of two
        let hi = lo + dist;
        let a = s_pair[lo];
        let b = s_pair[hi];
        if ranks_before(b, a) == ((((base + lo) & (prm.sort_n - 1u)) & stage) == 0u) {
            s_pair[lo] = b;
            s_pair[hi] = a;
        }
    }
    workgroupBarrier();
}

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
        if base + i < total {
            s_pair[i] = vec2<u32>(dst[2u * (base + i)], dst[2u * (base + i) + 1u]);
        } else {
            s_pair[i] = vec2<u32>(0u, NONE);
        }
    }
    workgroupBarrier();
    if prm.stage == 0u {
        for (var stage = 2u; stage <= min(block, prm.sort_n); stage *= 2u) {
            for (var dist = stage / 2u; dist > 0u; dist /= 2u) {
                local_steps(lid, base, stage, dist);
            }
        }
    } else {
        for (var dist = block / 2u; dist > 0u; dist /= 2u) {
            local_steps(lid, base, prm.stage, dist);
        }
    }
    for (var i = lid; i < block; i += WG) {
        if base + i < total {
            dst[2u * (base + i)] = s_pair[i].x;
            dst[2u * (base + i) + 1u] = s_pair[i].y;
        }
    }
}
