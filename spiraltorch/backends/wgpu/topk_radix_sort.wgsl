// Radix sorting of one row of (key, index) pairs in workgroup memory (`s_slot` of
// topk_slots_pairs.wgsl), best first, on subgroup operations: a stable LSD sort with 4-bit
// digits, each invocation holding 4 consecutive slots, so a workgroup of WG invocations sorts a
// row of 4 * WG slots. Stability gives the rank order as long as pairs of equal keys arrive in
// index order, as every selection and whole-row read writes them (padding pairs last).
//
// Each pass ranks every slot by its digit: after every slot of a higher digit in the row, of its
// own digit in earlier subgroups and earlier lanes, and in earlier slots of its own invocation.
// Counts of the 16 digits travel packed: 16-bit fields, two per u32 (`Counts`: digits 0..7 in
// `lo`, 8..15 in `hi`; a row holds at most 4 * 256 slots), and within subgroups of at most
// NARROW_LANES lanes 8-bit fields, four per u32 (at most 4 slots a lane), which halves the
// subgroup sums. Subgroups are told apart by a workgroup counter rather than by their layout, so
// any subgroup size and any layout works.

override NARROW_LANES: u32 = 63u;

var<workgroup> rs_seen: atomic<u32>;  // invocations (low 16 bits) and subgroups (high) counted
var<workgroup> rs_widest: atomic<u32>;  // lanes of the widest subgroup
var<workgroup> rs_lanes: u32;
var<workgroup> rs_totals: array<vec4<u32>, 128>;  // per subgroup: its digit counts (lo, hi)
var<workgroup> rs_base: array<vec4<u32>, 128>;  // per subgroup: where its digits' slots start

struct Counts {
    lo: vec4<u32>,
    hi: vec4<u32>,
}

// One count of digit d in 16-bit fields.
fn count_of(d: u32) -> Counts {
    let one = select(vec4<u32>(0u), vec4<u32>(1u << ((d & 1u) * 16u)),
                     vec4<u32>((d >> 1u) & 3u) == vec4<u32>(0u, 1u, 2u, 3u));
    return Counts(select(one, vec4<u32>(0u), d >= 8u), select(vec4<u32>(0u), one, d >= 8u));
}

// One count of digit d in 8-bit fields: digits 4w..4w+3 in word w.
fn count8_of(d: u32) -> vec4<u32> {
    return select(vec4<u32>(0u), vec4<u32>(1u << ((d & 3u) * 8u)),
                  vec4<u32>(d >> 2u) == vec4<u32>(0u, 1u, 2u, 3u));
}

// 8-bit fields widened to 16-bit ones.
fn widen(v: vec4<u32>) -> Counts {
    let even = v & vec4<u32>(0x00ff00ffu);
    let odd = (v >> vec4<u32>(8u)) & vec4<u32>(0x00ff00ffu);
    let first = (even & vec4<u32>(0xffffu)) | (odd << vec4<u32>(16u));  // digits 4w, 4w + 1
    let second = (even >> vec4<u32>(16u)) | (odd & vec4<u32>(0xffff0000u));  // 4w + 2, 4w + 3
    return Counts(vec4<u32>(first.x, second.x, first.y, second.y),
                  vec4<u32>(first.z, second.z, first.w, second.w));
}

fn add(a: Counts, b: Counts) -> Counts {
    return Counts(a.lo + b.lo, a.hi + b.hi);
}

fn field(c: Counts, d: u32) -> u32 {
    return (select(c.lo, c.hi, d >= 8u)[(d >> 1u) & 3u] >> ((d & 1u) * 16u)) & 0xffffu;
}

// Inclusive prefix sums over the digits, ascending, packed like the counts.
fn inclusive(c: Counts) -> Counts {
    let words_lo = (c.lo & vec4<u32>(0xffffu)) + (c.lo >> vec4<u32>(16u));
    let words_hi = (c.hi & vec4<u32>(0xffffu)) + (c.hi >> vec4<u32>(16u));
    let before_lo = vec4<u32>(0u, words_lo.x, words_lo.x + words_lo.y,
                              words_lo.x + words_lo.y + words_lo.z);
    let all_lo = before_lo.w + words_lo.w;
    let before_hi = vec4<u32>(all_lo, all_lo + words_hi.x, all_lo + words_hi.x + words_hi.y,
                              all_lo + words_hi.x + words_hi.y + words_hi.z);
    return Counts(c.lo + (c.lo << vec4<u32>(16u)) + before_lo * 0x10001u,
                  c.hi + (c.hi << vec4<u32>(16u)) + before_hi * 0x10001u);
}

// Sort the row of `n` = 4 * WG slots in s_slot (`block` == n; `base` unused: one row).
fn sort_block(lid: u32, block: u32, n: u32, base: u32) {
    if lid == 0u {
        atomicStore(&rs_seen, 0u);
        atomicStore(&rs_widest, 0u);
    }
    workgroupBarrier();
    let rank = subgroupExclusiveAdd(1u);
    let lanes = subgroupAdd(1u);
    var seen = 0u;
    if rank == 0u {
        seen = atomicAdd(&rs_seen, lanes | 0x10000u);
        atomicMax(&rs_widest, lanes);
    }
    seen = subgroupBroadcastFirst(seen);
    let me = (seen & 0xffffu) + rank;  // this invocation's place in the workgroup
    let group = seen >> 16u;
    workgroupBarrier();
    let groups = atomicLoad(&rs_seen) >> 16u;
    if lid == 0u {
        rs_lanes = atomicLoad(&rs_widest);
    }
    // one choice for the whole workgroup: subgroup operations stay in uniform control flow
    let narrow = workgroupUniformLoad(&rs_lanes) <= NARROW_LANES;
    for (var shift = 0u; shift < KEY_BITS; shift += 4u) {
        let a = s_slot[4u * me];
        let b = s_slot[4u * me + 1u];
        let c = s_slot[4u * me + 2u];
        let e = s_slot[4u * me + 3u];
        let d = (vec4<u32>(a.x, b.x, c.x, e.x) >> vec4<u32>(shift)) & vec4<u32>(15u);
        // (slots of each digit up to this lane, and before it) in this subgroup
        var upto: Counts;
        var before: Counts;
        if narrow {
            let own = count8_of(d.x) + count8_of(d.y) + count8_of(d.z) + count8_of(d.w);
            let lane_upto = subgroupInclusiveAdd(own);
            upto = widen(lane_upto);
            before = widen(lane_upto - own);
        } else {
            let own = add(add(count_of(d.x), count_of(d.y)), add(count_of(d.z), count_of(d.w)));
            upto = Counts(subgroupInclusiveAdd(own.lo), subgroupInclusiveAdd(own.hi));
            before = Counts(upto.lo - own.lo, upto.hi - own.hi);
        }
        if rank == lanes - 1u {
            rs_totals[2u * group] = upto.lo;
            rs_totals[2u * group + 1u] = upto.hi;
        }
        workgroupBarrier();
        // invocation g < groups finds where subgroup g starts each digit: after every slot of a
        // higher digit (n - slots of digits <= d; n added to each field before subtracting keeps
        // fields non-negative) and after that digit's slots in earlier subgroups
        if me < groups {
            var row = Counts(vec4<u32>(0u), vec4<u32>(0u));
            var earlier = row;
            for (var g = 0u; g < groups; g++) {
                if g == me {
                    earlier = row;
                }
                row = add(row, Counts(rs_totals[2u * g], rs_totals[2u * g + 1u]));
            }
            let row_upto = inclusive(row);
            let full = vec4<u32>(n * 0x10001u);
            rs_base[2u * me] = earlier.lo + full - row_upto.lo;
            rs_base[2u * me + 1u] = earlier.hi + full - row_upto.hi;
        }
        workgroupBarrier();
        let at = add(Counts(rs_base[2u * group], rs_base[2u * group + 1u]), before);
        // earlier slots of this invocation with the same digit come first
        s_slot[field(at, d.x)] = a;
        s_slot[field(at, d.y) + u32(d.y == d.x)] = b;
        s_slot[field(at, d.z) + u32(d.z == d.x) + u32(d.z == d.y)] = c;
        s_slot[field(at, d.w) + u32(d.w == d.x) + u32(d.w == d.y) + u32(d.w == d.z)] = e;
        workgroupBarrier();
    }
}
