// TopK selection of one segment (a row, or a chunk of a row) by radix select.
//
// Histogram passes over digits of the keys (most significant first) narrow a key
// prefix until the bucket holding the k-th element is known: every key above the prefix is
// taken, and of the keys equal to it the `need` lowest indices. One ordered compaction (a
// workgroup scan) then writes the winners in index order, which keeps a later merge of
// candidates exact. k = 1 is a plain (key, index) maximum instead.
// Input: the raw tensor (PAIRS = false) or (key, index) candidates of an earlier pass.
// Output: `out_slots` (key, index) pairs per segment, unused slots padded with (0, NONE).
// Workgroup memory: 8 KiB of histogram, 3 KiB of scan and reduction space (+ 1 KiB in the
// subgroup entry), within the 16 KiB default.

override WG: u32 = 256u;     // invocations per workgroup (a power of two, 16..256)
override KL: u32 = 1u;       // consecutive elements per invocation per sweep
override PAIRS: bool = false;

const DIGIT_BITS: u32 = 11u;  // digit width of long segments
const BINS: u32 = 2048u;

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> prm: Params;

var<workgroup> hist: array<atomic<u32>, BINS>;
var<workgroup> scan_buf: array<u32, 256>;
var<workgroup> best_key: array<u32, 256>;
var<workgroup> best_idx: array<u32, 256>;
var<workgroup> w_state: vec4<u32>;  // prefix, mask, need, done

// The (key, index) of slot/column `q` of row `row`; index NONE marks an empty slot.
fn element(row: u32, q: u32) -> vec2<u32> {
    if PAIRS {
        let a = 2u * (row * prm.in_slots + q);
        return vec2<u32>(src[a], src[a + 1u]);
    }
    let lin = prm.offset + row * prm.row_stride + q * prm.col_stride;
    return vec2<u32>(key_of(read_bits(lin)), q);
}

// Inclusive Hillis-Steele scan over the workgroup: (exclusive prefix of v, total).
fn scan_workgroup(v: u32, lid: u32) -> vec2<u32> {
    scan_buf[lid] = v;
    workgroupBarrier();
    var acc = v;
    for (var off = 1u; off < WG; off = off * 2u) {
        if lid >= off {
            acc += scan_buf[lid - off];
        }
        workgroupBarrier();
        scan_buf[lid] = acc;
        workgroupBarrier();
    }
    let total = scan_buf[WG - 1u];
    workgroupBarrier();
    return vec2<u32>(acc - v, total);
}

// Finds the bucket of this digit that holds the need-th key (counting from the top) and
// publishes the narrowed prefix in w_state. Each invocation sums a run of buckets, a scan over
// the runs finds the one run that crosses `need`, and its owner walks it.
fn pick_bucket(lid: u32, prefix: u32, mask: u32, need: u32, shift: u32, bins: u32) {
    let per = max(bins / WG, 1u);
    let first = lid * per;  // buckets counted from the top
    var run = 0u;
    if first < bins {
        for (var i = 0u; i < per; i++) {
            run += atomicLoad(&hist[bins - 1u - first - i]);
        }
    }
    let sc = scan_exclusive(run, lid);
    if lid == 0u && sc.y < need {
        w_state = vec4<u32>(prefix, mask, need, 1u);
    }
    if first < bins && sc.x < need && sc.x + run >= need {
        var cum = sc.x;
        for (var i = 0u; i < per; i++) {
            let b = bins - 1u - first - i;
            let h = atomicLoad(&hist[b]);
            if cum + h >= need {
                let done = h == need - cum || shift == 0u;
                w_state = vec4<u32>(prefix | (b << shift), mask | ((bins - 1u) << shift),
                                    need - cum, select(0u, 1u, done));
                break;
            }
            cum += h;
        }
    }
}

fn better(e: vec2<u32>, best: vec2<u32>) -> vec2<u32> {
    if e.y != NONE && (best.y == NONE || ranks_before(e, best)) {
        return e;
    }
    return best;
}

// k = 1: the best (key, index) of the segment by a workgroup tree reduction. Aligned rows of
// 16-bit elements are read a u32 word (two elements) at a time.
fn select_best(lid: u32, row: u32, start: u32, n: u32, out_base: u32) {
    var best = vec2<u32>(0u, NONE);
    let first = prm.offset + row * prm.row_stride + start;
    if !PAIRS && prm.elem_bits == 16u && prm.col_stride == 1u && first % 2u == 0u {
        for (var w = lid; 2u * w < n; w += WG) {
            let word = src[first / 2u + w];
            best = better(vec2<u32>(key_of(word & 0xffffu), start + 2u * w), best);
            if 2u * w + 1u < n {
                best = better(vec2<u32>(key_of(word >> 16u), start + 2u * w + 1u), best);
            }
        }
    } else {
        for (var p = lid; p < n; p += WG) {
            best = better(element(row, start + p), best);
        }
    }
    best_key[lid] = best.x;
    best_idx[lid] = best.y;
    workgroupBarrier();
    for (var half = WG / 2u; half > 0u; half /= 2u) {
        if lid < half {
            let other = vec2<u32>(best_key[lid + half], best_idx[lid + half]);
            if other.y != NONE && (best.y == NONE || ranks_before(other, best)) {
                best = other;
                best_key[lid] = best.x;
                best_idx[lid] = best.y;
            }
        }
        workgroupBarrier();
    }
    if lid == 0u {
        dst[2u * out_base] = best.x;
        dst[2u * out_base + 1u] = best.y;
    }
    for (var q = 1u + lid; q < prm.out_slots; q += WG) {
        dst[2u * (out_base + q)] = 0u;
        dst[2u * (out_base + q) + 1u] = NONE;
    }
}

fn select_segment(lid: u32, group: u32) {
    let row = group / prm.nseg;
    if row >= prm.rows {
        return;
    }
    let seg = group % prm.nseg;
    let start = seg * prm.seg_len;
    let total = select(prm.cols, prm.in_slots, PAIRS);
    let n = min(prm.seg_len, total - start);
    let out_base = group * prm.out_slots;
    let sweep = WG * KL;
    if prm.k == 1u {
        select_best(lid, row, start, n, out_base);
        return;
    }

    var prefix = 0u;
    var mask = 0u;
    var need = prm.k;
    var shift = prm.key_bits;
    // Short segments take 8-bit digits: clearing and scanning 2048 buckets would cost more
    // than the extra pass over the data.
    let digit = select(8u, DIGIT_BITS, n >= 4096u);
    // A segment no longer than k is taken whole: prefix 0 under mask 0 matches every key.
    while n > need {
        let bits = min(digit, shift);
        let bins = 1u << bits;
        shift -= bits;
        for (var b = lid; b < bins; b += WG) {
            atomicStore(&hist[b], 0u);
        }
        workgroupBarrier();
        for (var base = 0u; base < n; base += sweep) {
            for (var j = 0u; j < KL; j++) {
                let p = base + j * WG + lid;
                if p < n {
                    let e = element(row, start + p);
                    if e.y != NONE && (e.x & mask) == prefix {
                        atomicAdd(&hist[(e.x >> shift) & (bins - 1u)], 1u);
                    }
                }
            }
        }
        workgroupBarrier();
        pick_bucket(lid, prefix, mask, need, shift, bins);
        let state = workgroupUniformLoad(&w_state);
        prefix = state.x;
        mask = state.y;
        need = state.z;
        if state.w != 0u {
            break;
        }
    }

    // Ordered compaction: counts of (above prefix) in the low 16 bits, (equal) in the high 16.
    var g_run = 0u;
    var t_run = 0u;
    for (var base = 0u; base < n; base += sweep) {
        let first = base + lid * KL;
        var packed = 0u;
        for (var j = 0u; j < KL; j++) {
            let p = first + j;
            if p < n {
                let e = element(row, start + p);
                let m = e.x & mask;
                if e.y != NONE && m > prefix {
                    packed += 1u;
                } else if e.y != NONE && m == prefix {
                    packed += 0x10000u;
                }
            }
        }
        let sc = scan_exclusive(packed, lid);
        var g = g_run + (sc.x & 0xffffu);
        var t = t_run + (sc.x >> 16u);
        for (var j = 0u; j < KL; j++) {
            let p = first + j;
            if p < n {
                let e = element(row, start + p);
                let m = e.x & mask;
                if e.y != NONE && m > prefix {
                    let at = 2u * (out_base + g + min(t, need));
                    dst[at] = e.x;
                    dst[at + 1u] = e.y;
                    g += 1u;
                } else if e.y != NONE && m == prefix {
                    if t < need {
                        let at = 2u * (out_base + g + t);
                        dst[at] = e.x;
                        dst[at + 1u] = e.y;
                    }
                    t += 1u;
                }
            }
        }
        g_run += sc.y & 0xffffu;
        t_run += sc.y >> 16u;
    }
    for (var q = g_run + min(t_run, need) + lid; q < prm.out_slots; q += WG) {
        dst[2u * (out_base + q)] = 0u;
        dst[2u * (out_base + q) + 1u] = NONE;
    }
}
