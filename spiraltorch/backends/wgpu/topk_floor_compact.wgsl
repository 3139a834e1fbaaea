// TopK's floor candidates (the `fc` path), one workgroup per row: a floor estimated from a
// sample of the row (sample_floor), then every key of the row at or above it compacted in index
// order into the row's out_slots (key, index) slots, the rest padded with (0, NONE), for
// topk_select_held.wgsl to select the top k from. Where fewer than k keys or more than out_slots
// reach the floor, the row's top k are selected by radix select instead (topk_radix_select.wgsl),
// written in index order into the slots and padded the same way: a failure file gives
// `floor_failed`, which runs it in the same workgroup (topk_floor_here.wgsl) or lists the row for
// a dispatch of its own (topk_floor_later.wgsl, topk_floor_retry.wgsl).
// A compaction file gives `compact_candidates` (topk_compact_wg.wgsl, or topk_compact_sg.wgsl on
// subgroups); a scan file `scan_exclusive`, an entry file `main`.
// Workgroup memory: a histogram of HIST_BINS = 2^DIGIT_BITS buckets (at most 8 KiB) and 1 KiB of
// scan space (+ 1 KiB on subgroups), within the 16 KiB default.

override WG: u32 = 256u;  // invocations per workgroup (a power of two, 16..256)
override KL: u32 = 1u;  // units per invocation per sweep of the radix select

const PAIRS: bool = false;  // the segments are rows of the input
// Digit width of the sample's radix passes and of a radix select over the row (at most 11).
override DIGIT_BITS: u32 = 11u;
override SAMPLE_RUN: u32 = 8u;  // word units in a run of the sample (set by the host)
// Sampled units an invocation holds, at most 16 keys (four float32 words or two float16 ones): the
// host takes the fewest that sample enough of the row (floor_sample_units of topk.py).
override SAMPLE_UNITS: u32 = ELEM_BITS / 8u;

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read> src4: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec2<u32>>;  // (key, index) pairs
@group(0) @binding(5) var<uniform> prm: Params;  // 3 and 4: the failure file's

var<workgroup> w_taken: u32;

// The floor, estimated from a sample of the row: runs of SAMPLE_RUN word units (128 bytes) spread
// evenly over it, at most SAMPLE_UNITS units an invocation and half the row, held in registers. The
// floor is the key that ranks ceil(aim * sampled / n) in the sample (or the lowest key of a bucket
// that holds it, where few_in_bucket), with the aim the geometric mean of k and out_slots, so that
// about that many keys of the row reach it. It is only an estimate: the compaction checks that at
// least k and at most out_slots keys reach it. 0 (which passes over nothing) for rows too short to
// sample, or without word units (strided rows).
fn sample_floor(lid: u32, s: Segment) -> u32 {
    let runs = word_units(s) / SAMPLE_RUN;
    if runs < 2u {
        return 0u;
    }
    let every = max((runs * SAMPLE_RUN + SAMPLE_UNITS * WG - 1u) / (SAMPLE_UNITS * WG), 2u);
    let sampled = (runs + every - 1u) / every * SAMPLE_RUN;  // units
    let u0 = sample_unit(s, lid, 0u, every, sampled);
    let u1 = sample_unit(s, lid, 1u, every, sampled);
    let u2 = sample_unit(s, lid, 2u, every, sampled);
    let u3 = sample_unit(s, lid, 3u, every, sampled);
    let keys = sampled * (128u / ELEM_BITS);
    let aim = u32(sqrt(f32(prm.k) * f32(prm.out_slots)));
    var state = vec4<u32>(0u, 0u, max((aim * keys + s.n - 1u) / s.n, 1u), 0u);
    var shift = KEY_BITS;
    while shift > 0u {
        let bits = min(DIGIT_BITS, shift);
        let bins = 1u << bits;
        shift -= bits;
        clear_hist(lid, bins);
        count_unit(u0, state.x, state.y, shift, bins);
        count_unit(u1, state.x, state.y, shift, bins);
        count_unit(u2, state.x, state.y, shift, bins);
        count_unit(u3, state.x, state.y, shift, bins);
        state = narrow(lid, state, shift, bins);
        let in_bucket = picked_bucket_keys();
        if state.w != 0u || few_in_bucket(in_bucket, keys, s.n, aim) {
            break;
        }
    }
    return state.x;
}

// Whether the row's keys in a bucket holding `in_sample` of the sample's keys are likely few enough
// to take the whole bucket: a quarter of the slots beyond the aim (aim <= out_slots, as k <=
// out_slots). The floor is then the bucket's lowest key, and the digits below it are not counted
// (a pass of the sample or more less on float rows, whose buckets narrow fast: 16-bit keys after
// one digit of 11 bits).
fn few_in_bucket(in_sample: u32, keys: u32, n: u32, aim: u32) -> bool {
    return f32(in_sample) * f32(n) <= f32(keys) * f32(prm.out_slots - aim) / 4.0;
}

// The j-th unit invocation `lid` holds of sample_floor's sample (sampled units in runs 0, every,
// 2 every, ... of SAMPLE_RUN units), or none.
fn sample_unit(s: Segment, lid: u32, j: u32, every: u32, sampled: u32) -> Unit {
    let t = lid + j * WG;
    if j >= SAMPLE_UNITS || t >= sampled {
        return Unit(vec4<u32>(0u), vec4<u32>(0u), 0u, 0u);
    }
    return load_unit(s, s.word_mode, (t / SAMPLE_RUN) * every * SAMPLE_RUN + t % SAMPLE_RUN);
}

fn count_unit(un: Unit, prefix: u32, mask: u32, shift: u32, bins: u32) {
    if un.n == 0u {
        return;
    }
    count_quad_under(un.lo, quad_live(un.n, 0u), prefix, mask, shift, bins);
    count_quad_under(un.hi, quad_live(un.n, 1u), prefix, mask, shift, bins);
}

// Unit v of the segment in index order: head singles, body words, tail singles; no elements
// from `end` on.
fn unit_in_order(s: Segment, v: u32, end: u32) -> Unit {
    let words = word_units(s);
    if v >= end {
        return Unit(vec4<u32>(0u), vec4<u32>(0u), 0u, 0u);
    }
    if v < s.head {
        return load_unit(s, single_mode(), v);
    }
    if v < s.head + words {
        return load_unit(s, s.word_mode, v - s.head);
    }
    return load_unit(s, single_mode(), v - words);
}

// Which of the quad's live keys reach `floor`.
fn reaching(keys: vec4<u32>, live: u32, floor: u32) -> vec4<bool> {
    return (keys >= vec4<u32>(floor)) & (vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(live));
}

// The unit's keys at or above `floor`, as bits: bit i for element i.
fn unit_hits(un: Unit, floor: u32) -> u32 {
    let lo = reaching(un.lo, quad_live(un.n, 0u), floor);
    let hi = reaching(un.hi, quad_live(un.n, 1u), floor);
    return dot(select(vec4<u32>(0u), vec4<u32>(1u, 2u, 4u, 8u), lo), vec4<u32>(1u))
        | dot(select(vec4<u32>(0u), vec4<u32>(16u, 32u, 64u, 128u), hi), vec4<u32>(1u));
}

// A unit of the compaction and its elements that reach the floor. A raw word unit (raw_hits)
// holds the stored word in `un.lo`, not keys.
struct Hit {
    un: Unit,
    bits: u32,
    raw: bool,
}

// Unit v of the segment in index order (unit_in_order) and its hits: each unit is tested as it is
// loaded, not after a sweep's four loads (H100: 16384 x 8192 float32 k=128 0.663 -> 0.621 ms,
// 4096 x 32000 float16 k=128 0.292 -> 0.286). Word units go by raw_hits where raw_reach allows,
// their keys computed only for the hits (4096 x 32000 k=128: float16 0.268 -> 0.239 ms, float32
// 0.398 -> 0.385).
fn compaction_unit(s: Segment, v: u32, end: u32, floor: u32) -> Hit {
    let r = raw_reach(floor);
    if (r != 0u) & (v >= s.head) & (v < min(s.head + word_units(s), end)) {
        let w = src4[s.w0 + v - s.head];
        let un = Unit(w, vec4<u32>(0u), word_col(s, v - s.head), 128u / ELEM_BITS);
        return Hit(un, raw_hits(w, r), true);
    }
    let un = unit_in_order(s, v, end);
    return Hit(un, unit_hits(un, floor), false);
}

// Writes the elements named by the hit's bits from slot `at` (of `cap` from `first`) on. Few
// units hold any: a loop over the set bits costs far less than a test of every element (H100,
// 4096 x 32000 float16, k=128: the whole dispatch 0.320 -> 0.262 ms).
fn put_hits(h: Hit, first: u32, at: u32, cap: u32) {
    var rest = h.bits;
    var slot = at;
    while rest != 0u {
        put_hit(h, firstTrailingBit(rest), first, slot, cap);
        rest &= rest - 1u;
        slot += 1u;
    }
}

// Writes element i of the hit's unit to slot `slot` (of `cap` from `first`).
fn put_hit(h: Hit, i: u32, first: u32, slot: u32, cap: u32) {
    var key: u32;
    if h.raw {
        key = word_key(h.un.lo, i);
    } else {
        let quad = select(h.un.lo, h.un.hi, i >= 4u);
        let j = i & 3u;
        key = select(select(quad.x, quad.y, j == 1u), select(quad.z, quad.w, j == 3u), j >= 2u);
    }
    if slot < cap {
        dst[first + slot] = vec2<u32>(key, h.un.col + i);
    }
}

// Pads slots [start, stop) after `first` with (0, NONE), `step` invocations from `lane` on.
fn pad(first: u32, start: u32, stop: u32, lane: u32, step: u32) {
    for (var q = start + lane; q < stop; q += step) {
        dst[first + q] = vec2<u32>(0u, NONE);
    }
}

// Ordered compaction on the workgroup scan: sweeps of a unit an invocation, each keeping the
// index order by an exclusive scan of the counts. Returns how many keys reach `floor` (at most
// out_slots written), the same in every invocation.
fn compact_by_scan(lid: u32, s: Segment, floor: u32, first: u32) -> u32 {
    let units = word_units(s) + single_units(s);
    var run = 0u;
    for (var base = 0u; base < units; base += WG) {
        let h = compaction_unit(s, base + lid, units, floor);
        let sc = scan_exclusive(countOneBits(h.bits), lid);
        put_hits(h, first, run + sc.x, prm.out_slots);
        run += sc.y;
    }
    return run;
}

// The whole compaction on the workgroup scan: true where at least k and at most out_slots keys
// reach `floor`, the rest of the slots then padded.
fn compact_all(lid: u32, s: Segment, floor: u32, first: u32) -> bool {
    let found = compact_by_scan(lid, s, floor, first);
    if found < prm.k || found > prm.out_slots {
        return false;
    }
    pad(first, found, prm.out_slots, lid, WG);
    return true;
}

fn workgroup_main(lid: u32, group: u32) {
    if group >= prm.rows {
        return;
    }
    let s = segment_of(group, 0u, prm.cols);
    let first = group * prm.out_slots;
    let taken = compact_candidates(lid, s, sample_floor(lid, s), first);
    if lid == 0u {
        w_taken = u32(taken);  // the same in every invocation, made uniform for floor_failed
    }
    if workgroupUniformLoad(&w_taken) == 0u {
        floor_failed(lid, s, first, group);
    }
}
