// TopK of short rows for small k, one invocation per row, no workgroup memory and no barrier.
//
// Each invocation keeps the best K (key, index) pairs of its row in rank order in registers and
// streams the row by units (topk_units.wgsl); an element enters only when it ranks before the
// K-th kept pair, by one pass of compare-and-swap down the list. Pairs compare by the total
// (key, index) order, so the result is exact, and it comes out in rank order: no sort follows.
// Every loop over the list has the constant bound K, so the list needs no indexed memory once
// the compiler unrolls it. With EMIT each invocation writes its row's output (values and int64
// indices) instead of pairs.

override WG: u32 = 64u;
override K: u32 = 8u;         // k, at most K_MAX
const K_MAX: u32 = 32u;
override PAIRS: bool = false;  // topk_units.wgsl reads raw rows only here
override EMIT: bool = false;

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read> src4: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;
@group(0) @binding(3) var<storage, read_write> values: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> indices: array<u32>;
@group(0) @binding(5) var<uniform> prm: Params;

var<private> best: array<vec2<u32>, K_MAX>;

fn insert(key: u32, col: u32) {
    var carry = vec2<u32>(key, col);
    if !ranks_before(carry, best[K - 1u]) {
        return;
    }
    for (var i = 0u; i < K; i++) {
        let here = best[i];
        if ranks_before(carry, here) {
            best[i] = carry;
            carry = here;
        }
    }
}

fn insert_quad(keys: vec4<u32>, col: u32, live: u32) {
    if !any(keys >= vec4<u32>(best[K - 1u].x)) {
        return;
    }
    if live > 0u { insert(keys.x, col); }
    if live > 1u { insert(keys.y, col + 1u); }
    if live > 2u { insert(keys.z, col + 2u); }
    if live > 3u { insert(keys.w, col + 3u); }
}

fn insert_units(s: Segment, mode: u32, units: u32) {
    for (var u = 0u; u < units; u++) {
        let un = load_unit(s, mode, u);
        insert_quad(un.lo, un.col, quad_live(un.n, 0u));
        insert_quad(un.hi, un.col + 4u, quad_live(un.n, 1u));
    }
}

// The kept list as the row's values (through store_values: with an odd K of 16-bit values, the
// neighbouring rows' invocations write into the first and last words) and int64 indices (lo, 0).
fn write_best(s: Segment) {
    let per = 32u / ELEM_BITS;
    var word = 0u;
    var mask = 0u;
    for (var i = 0u; i < K; i++) {
        let f = s.row * K + i;  // output number
        let pair = best[i];
        word |= element_bits(pair.x, s.base, pair.y) << ((f % per) * ELEM_BITS);
        mask |= value_mask() << ((f % per) * ELEM_BITS);
        indices[2u * f] = pair.y;
        indices[2u * f + 1u] = 0u;
        if f % per == per - 1u || i == K - 1u {
            store_values(f / per, word, mask);
            word = 0u;
            mask = 0u;
        }
    }
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let row = group_index(wid, nwg) * WG + lid;
    if row >= prm.rows {
        return;
    }
    for (var i = 0u; i < K; i++) {
        best[i] = vec2<u32>(0u, NONE);
    }
    let s = segment_of(row, 0u, prm.cols);
    insert_units(s, s.word_mode, word_units(s));
    insert_units(s, single_mode(), single_units(s));
    if EMIT {
        write_best(s);
        return;
    }
    for (var i = 0u; i < K; i++) {
        dst[2u * (row * prm.out_slots + i)] = best[i].x;
        dst[2u * (row * prm.out_slots + i) + 1u] = best[i].y;
    }
}
