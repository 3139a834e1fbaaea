// Radix sorting of one row of (key, index) pairs in workgroup memory (`s_slot` of
// topk_slots_pairs.wgsl), best first, on subgroup operations: a stable LSD sort with 4-bit
// digits, each invocation holding 4 consecutive slots, so a workgroup of WG invocations sorts a
// row of 4 * WG slots. Stability gives the rank order as long as pairs of equal keys arrive in
// index order, as every selection and whole-row read writes them (padding pairs last).
//
// Each pass ranks every slot by its digit: the count of higher digits in the row, of its own
// digit in earlier subgroups and earlier lanes, and in earlier slots of its own invocation.
// Counts of the 16 digits travel packed, two 16-bit fields per u32 (digits 0..7 in `lo`, 8..15
// in `hi`; a row holds at most 4 * 256 slots). Subgroups are told apart by a workgroup counter
// rather than by their layout, so any subgroup size and any layout works.

var<workgroup> rs_seen: atomic<u32>;  // invocations (low 16 bits) and subgroups (high) counted
var<workgroup> rs_totals: array<vec4<u32>, 128>;  // per subgroup: its digit counts (lo, hi)

struct Counts {
    lo: vec4<u32>,
    hi: vec4<u32>,
}

// One count of digit d, packed.
fn count_of(d: u32) -> Counts {
    let one = select(vec4<u32>(0u), vec4<u32>(1u << ((d & 1u) * 16u)),
                     vec4<u32>((d >> 1u) & 3u) == vec4<u32>(0u, 1u, 2u, 3u));
    return Counts(select(one, vec4<u32>(0u), d >= 8u), select(vec4<u32>(0u), one, d >= 8u));
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

// Where the slot of digit d goes, then one more slot of that digit counted before the next.
fn place(at: ptr<function, Counts>, d: u32) -> u32 {
    let slot = field(*at, d);
    *at = add(*at, count_of(d));
    return slot;
}

// Sort the row of `n` = 4 * WG slots in s_slot (`block` == n; `base` unused: one row).
fn sort_block(lid: u32, block: u32, n: u32, base: u32) {
    if lid == 0u {
        atomicStore(&rs_seen, 0u);
    }
    workgroupBarrier();
    let rank = subgroupExclusiveAdd(1u);
    let lanes = subgroupAdd(1u);
    var seen = 0u;
    if rank == 0u {
        seen = atomicAdd(&rs_seen, lanes | 0x10000u);
    }
    seen = subgroupBroadcastFirst(seen);
    let first = 4u * ((seen & 0xffffu) + rank);  // this invocation's first slot
    let group = seen >> 16u;
    workgroupBarrier();
    let groups = atomicLoad(&rs_seen) >> 16u;
    for (var shift = 0u; shift < prm.key_bits; shift += 4u) {
        let a = s_slot[first];
        let b = s_slot[first + 1u];
        let c = s_slot[first + 2u];
        let e = s_slot[first + 3u];
        let digits = (vec4<u32>(a.x, b.x, c.x, e.x) >> vec4<u32>(shift)) & vec4<u32>(15u);
        let own = add(add(count_of(digits.x), count_of(digits.y)),
                      add(count_of(digits.z), count_of(digits.w)));
        let upto_lane = Counts(subgroupInclusiveAdd(own.lo), subgroupInclusiveAdd(own.hi));
        if rank == lanes - 1u {
            rs_totals[2u * group] = upto_lane.lo;
            rs_totals[2u * group + 1u] = upto_lane.hi;
        }
        var at = Counts(upto_lane.lo - own.lo, upto_lane.hi - own.hi);
        workgroupBarrier();
        var row = Counts(vec4<u32>(0u), vec4<u32>(0u));
        for (var g = 0u; g < groups; g++) {
            let t = Counts(rs_totals[2u * g], rs_totals[2u * g + 1u]);
            row = add(row, t);
            if g < group {
                at = add(at, t);
            }
        }
        // slots of higher digits come first: n - (slots of digits <= d), kept non-negative per
        // field by adding n to each field before subtracting
        let upto = inclusive(row);
        let full = vec4<u32>(n * 0x10001u);
        at = Counts(at.lo + full - upto.lo, at.hi + full - upto.hi);
        let to_a = place(&at, digits.x);
        let to_b = place(&at, digits.y);
        let to_c = place(&at, digits.z);
        let to_e = place(&at, digits.w);
        s_slot[to_a] = a;
        s_slot[to_b] = b;
        s_slot[to_c] = c;
        s_slot[to_e] = e;
        workgroupBarrier();
    }
}
