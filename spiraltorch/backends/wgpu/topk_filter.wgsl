// TopK selection of one segment for small k by a filtered candidate buffer, in one read.
//
// The workgroup streams its segment in sweeps of WG * KL units (a unit is one element, or two
// 16-bit elements of one u32 word when the row is packed and aligned). An element enters the
// workgroup-memory buffer when it ranks before the current threshold, the k-th best pair kept
// so far; before a sweep that could overflow the buffer (and once the buffer is half full, to
// have a threshold early), a bitonic sort keeps only the best k and raises the threshold. Pairs
// compare by the total (key, index) order, so the buffer always holds the top k of everything
// read and the result is exact. The output is the top k in rank
// order (best first), so no later sort is needed; unused slots are padded with (0, NONE).
// Input: the raw tensor (PAIRS = false) or (key, index) candidates of an earlier pass.
// Workgroup memory: 8 KiB of buffer and a few words, within the 16 KiB default.
// The host keeps WG * KL * (units' elements) + k <= CAP so a sweep always fits.

override WG: u32 = 256u;
override KL: u32 = 1u;       // units per invocation per sweep (at most KL_MAX)
override PAIRS: bool = false;

const CAP: u32 = 1024u;
const KL_MAX: u32 = 8u;

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> prm: Params;

var<workgroup> c_key: array<u32, CAP>;
var<workgroup> c_idx: array<u32, CAP>;
var<workgroup> c_count: atomic<u32>;
var<workgroup> w_count: u32;

// Bitonic sort of the first `m` (a power of two) buffer slots, best first. Distances are powers
// of two, so slot arithmetic is masks and shifts.
fn sort_buffer(lid: u32, m: u32) {
    for (var stage = 2u; stage <= m; stage *= 2u) {
        for (var dist = stage / 2u; dist > 0u; dist /= 2u) {
            for (var t = lid; t < m / 2u; t += WG) {
                let lo = ((t & ~(dist - 1u)) << 1u) | (t & (dist - 1u));
                let hi = lo + dist;
                let a = vec2<u32>(c_key[lo], c_idx[lo]);
                let b = vec2<u32>(c_key[hi], c_idx[hi]);
                if ranks_before(b, a) == ((lo & stage) == 0u) {
                    c_key[lo] = b.x;
                    c_idx[lo] = b.y;
                    c_key[hi] = a.x;
                    c_idx[hi] = a.y;
                }
            }
            workgroupBarrier();
        }
    }
}

// Sorts the `count` buffered pairs and keeps the best k; returns how many are kept.
fn shrink(lid: u32, count: u32) -> u32 {
    var m = 1u;
    while m < count {
        m *= 2u;
    }
    for (var i = count + lid; i < m; i += WG) {
        c_key[i] = 0u;
        c_idx[i] = NONE;
    }
    workgroupBarrier();
    sort_buffer(lid, m);
    let kept = min(count, prm.k);
    if lid == 0u {
        atomicStore(&c_count, kept);
    }
    workgroupBarrier();
    return kept;
}

fn offer(e: vec2<u32>, have_thr: bool, thr: vec2<u32>) {
    if e.y != NONE && (!have_thr || ranks_before(e, thr)) {
        let at = atomicAdd(&c_count, 1u);
        c_key[at] = e.x;
        c_idx[at] = e.y;
    }
}

// The raw load of unit `u` of the segment: a (key, index) pair, a packed word, or the bits of
// one element; out-of-segment units read as empty.
fn load_unit(row: u32, start: u32, n: u32, u: u32, packed: bool) -> vec2<u32> {
    if PAIRS {
        if u < n {
            let a = 2u * (row * prm.in_slots + start + u);
            return vec2<u32>(src[a], src[a + 1u]);
        }
        return vec2<u32>(0u, NONE);
    }
    if packed {
        if 2u * u < n {
            return vec2<u32>(src[(prm.offset + row * prm.row_stride + start) / 2u + u], 0u);
        }
        return vec2<u32>(0u, NONE);
    }
    if u < n {
        return vec2<u32>(read_bits(prm.offset + row * prm.row_stride + (start + u) * prm.col_stride),
                         0u);
    }
    return vec2<u32>(0u, NONE);
}

fn offer_unit(v: vec2<u32>, start: u32, n: u32, u: u32, packed: bool, have_thr: bool,
              thr: vec2<u32>) {
    if v.y == NONE {
        return;
    }
    if PAIRS {
        offer(v, have_thr, thr);
    } else if packed {
        offer(vec2<u32>(key_of(v.x & 0xffffu), start + 2u * u), have_thr, thr);
        if 2u * u + 1u < n {
            offer(vec2<u32>(key_of(v.x >> 16u), start + 2u * u + 1u), have_thr, thr);
        }
    } else {
        offer(vec2<u32>(key_of(v.x), start + u), have_thr, thr);
    }
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let group = group_index(wid, nwg);
    let row = group / prm.nseg;
    if row >= prm.rows {
        return;
    }
    let seg = group % prm.nseg;
    let start = seg * prm.seg_len;
    let total = select(prm.cols, prm.in_slots, PAIRS);
    let n = min(prm.seg_len, total - start);
    let out_base = group * prm.out_slots;
    let packed = !PAIRS && prm.elem_bits == 16u && prm.col_stride == 1u
        && (prm.offset + row * prm.row_stride + start) % 2u == 0u;
    let per = select(1u, 2u, packed);
    let units = (n + per - 1u) / per;
    let sweep = WG * KL;

    if lid == 0u {
        atomicStore(&c_count, 0u);
    }
    workgroupBarrier();
    var count = 0u;
    var have_thr = false;
    var thr = vec2<u32>(0u, NONE);
    var cur: array<vec2<u32>, KL_MAX>;
    var nxt: array<vec2<u32>, KL_MAX>;
    for (var j = 0u; j < KL; j++) {
        cur[j] = load_unit(row, start, n, j * WG + lid, packed);
    }
    for (var base = 0u; base < units; base += sweep) {
        // Loads of the next sweep are in flight while this one is filtered.
        for (var j = 0u; j < KL; j++) {
            nxt[j] = load_unit(row, start, n, base + sweep + j * WG + lid, packed);
        }
        if count + sweep * per > CAP || (!have_thr && count >= CAP / 2u) {
            count = shrink(lid, count);
            have_thr = count == prm.k;
            thr = vec2<u32>(c_key[prm.k - 1u], c_idx[prm.k - 1u]);
        }
        for (var j = 0u; j < KL; j++) {
            offer_unit(cur[j], start, n, base + j * WG + lid, packed, have_thr, thr);
            cur[j] = nxt[j];
        }
        workgroupBarrier();
        if lid == 0u {
            w_count = atomicLoad(&c_count);
        }
        count = workgroupUniformLoad(&w_count);
    }
    count = shrink(lid, count);
    for (var q = lid; q < prm.out_slots; q += WG) {
        var pair = vec2<u32>(0u, NONE);
        if q < count {
            pair = vec2<u32>(c_key[q], c_idx[q]);
        }
        dst[2u * (out_base + q)] = pair.x;
        dst[2u * (out_base + q) + 1u] = pair.y;
    }
}
