// Bitonic sort of the (key, index) pairs of rows of at most 4096 slots whose keys have 16 bits
// or fewer and whose indices are below 65535, each pair packed into one u32 in workgroup memory:
// key << 16 | (0xffff - index), so that a larger packed word ranks first, like the pair. The
// padding pair (0, NONE) packs to 0 and unpacks back. Half the workgroup-memory traffic of
// topk_sort_local.wgsl and twice the slots per block; one dispatch sorts whole rows (stage 0).

override WG: u32 = 256u;
const BLOCK_MAX: u32 = 4096u;  // 4096 packed pairs: 16 KiB of workgroup memory

@group(0) @binding(0) var<storage, read_write> dst: array<u32>;
@group(0) @binding(1) var<uniform> prm: Params;

var<workgroup> s_word: array<u32, BLOCK_MAX>;

fn pack(pair: vec2<u32>) -> u32 {
    if pair.y == NONE {
        return 0u;
    }
    return (pair.x << 16u) | (0xffffu - pair.y);
}

fn unpack(word: u32) -> vec2<u32> {
    if word == 0u {
        return vec2<u32>(0u, NONE);
    }
    return vec2<u32>(word >> 16u, 0xffffu - (word & 0xffffu));
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
        var word = 0u;
        if base + i < total {
            word = pack(vec2<u32>(dst[2u * (base + i)], dst[2u * (base + i) + 1u]));
        }
        s_word[i] = word;
    }
    workgroupBarrier();
    for (var stage = 2u; stage <= min(block, prm.sort_n); stage *= 2u) {
        for (var dist = stage / 2u; dist > 0u; dist /= 2u) {
            for (var t = lid; t < block / 2u; t += WG) {
                let lo = ((t & ~(dist - 1u)) << 1u) | (t & (dist - 1u));  // dist: a power of two
                let a = s_word[lo];
                let b = s_word[lo + dist];
                if (b > a) == ((((base + lo) & (prm.sort_n - 1u)) & stage) == 0u) {
                    s_word[lo] = b;
                    s_word[lo + dist] = a;
                }
            }
            workgroupBarrier();
        }
    }
    for (var i = lid; i < block; i += WG) {
        if base + i < total {
            let pair = unpack(s_word[i]);
            dst[2u * (base + i)] = pair.x;
            dst[2u * (base + i) + 1u] = pair.y;
        }
    }
}
