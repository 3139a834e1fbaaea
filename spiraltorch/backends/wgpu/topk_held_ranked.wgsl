// select_held's winners in slots of a pair each (topk_slots_pairs.wgsl or, where keys and indices
// fit 16 bits, topk_slots_packed.wgsl), put in rank order by counting instead of a sort: the
// winners' key range is cut into RANK_BINS buckets of equal width, and a winner's place is the
// count of winners in higher buckets plus the count of those in its own bucket that rank before
// it. Where the largest bucket holds more than RANK_BUCKET_MAX winners (runs of equal keys, or
// keys bunched in a narrow part of the range), the row is sorted (sort_slots) instead, so that
// counting never costs a winner more than RANK_BUCKET_MAX compares. The kernel declares `WG`,
// `prm`, `sort_slots` and `scan_exclusive`; needs k <= RANK_HELD * WG.

const RANK_BINS: u32 = 512u;
const RANK_BUCKET_MAX: u32 = 64u;
const RANK_HELD: u32 = 8u;  // winners an invocation holds

var<workgroup> s_rank_bins: array<atomic<u32>, RANK_BINS>;
var<workgroup> s_rank_low: atomic<u32>;
var<workgroup> s_rank_high: atomic<u32>;
var<workgroup> s_rank_big: u32;

fn put_winner(i: u32, pair: vec2<u32>) {
    s_slot[i] = slot_of(pair);
}

// The bucket of a slot's key under `digit` (shift, lowest key >> shift): higher keys, higher
// buckets.
fn rank_bin(slot: Slot, digit: vec2<u32>) -> u32 {
    return (pair_of(slot).x >> digit.x) - digit.y;
}

// Puts the row's k winners (slots 0 to k - 1, the rest padding) best first.
fn sort_winners(lid: u32, n: u32) {
    var mine: array<Slot, RANK_HELD>;  // winners lid, lid + WG, ...
    var low = NONE;
    var high = 0u;
    for (var i = 0u; i < RANK_HELD; i++) {
        let j = lid + i * WG;
        if j < prm.k {
            mine[i] = s_slot[j];
            let key = pair_of(mine[i]).x;
            low = min(low, key);
            high = max(high, key);
        }
    }
    for (var b = lid; b < RANK_BINS; b += WG) {
        atomicStore(&s_rank_bins[b], 0u);
    }
    if lid == 0u {
        atomicStore(&s_rank_low, NONE);
        atomicStore(&s_rank_high, 0u);
    }
    workgroupBarrier();
    atomicMin(&s_rank_low, low);
    atomicMax(&s_rank_high, high);
    workgroupBarrier();
    let lowest = atomicLoad(&s_rank_low);
    let highest = atomicLoad(&s_rank_high);
    var shift = 0u;
    while (highest >> shift) - (lowest >> shift) >= RANK_BINS {
        shift += 1u;
    }
    let digit = vec2<u32>(shift, lowest >> shift);
    for (var i = 0u; i < RANK_HELD; i++) {
        if lid + i * WG < prm.k {
            atomicAdd(&s_rank_bins[rank_bin(mine[i], digit)], 1u);
        }
    }
    workgroupBarrier();

    // Each bucket's first place, the highest bucket first: invocation lid takes `per` buckets
    // down from `top`; a scan of their counts (and, from bit 16, of invocations holding a bucket
    // too large to count) gives the places.
    let per = RANK_BINS / WG;
    let top = RANK_BINS - 1u - lid * per;
    var sum = 0u;
    var most = 0u;
    for (var i = 0u; i < per; i++) {
        let c = atomicLoad(&s_rank_bins[top - i]);
        sum += c;
        most = max(most, c);
    }
    let sc = scan_exclusive(sum | select(0u, 0x10000u, most > RANK_BUCKET_MAX), lid);
    var at = sc.x & 0xffffu;
    for (var i = 0u; i < per; i++) {
        let c = atomicLoad(&s_rank_bins[top - i]);
        atomicStore(&s_rank_bins[top - i], at);
        at += c;
    }
    if lid == 0u {
        s_rank_big = sc.y >> 16u;
    }
    if workgroupUniformLoad(&s_rank_big) != 0u {
        sort_slots(lid, n, n, 0u);
        return;
    }

    // The winners grouped by bucket (each bucket's bin then holds its end, the next lower
    // bucket's start), then each placed by the count of its bucket's winners ranking before it.
    for (var i = 0u; i < RANK_HELD; i++) {
        if lid + i * WG < prm.k {
            s_slot[atomicAdd(&s_rank_bins[rank_bin(mine[i], digit)], 1u)] = mine[i];
        }
    }
    workgroupBarrier();
    var place: array<u32, RANK_HELD>;
    for (var i = 0u; i < RANK_HELD; i++) {
        let j = lid + i * WG;
        if j < prm.k {
            mine[i] = s_slot[j];
            let b = rank_bin(mine[i], digit);
            let end = atomicLoad(&s_rank_bins[b]);
            var p = 0u;
            if b + 1u < RANK_BINS {
                p = atomicLoad(&s_rank_bins[b + 1u]);
            }
            for (var q = p; q < end; q++) {
                p += u32(slot_before(s_slot[q], mine[i]));
            }
            place[i] = p;
        }
    }
    workgroupBarrier();
    for (var i = 0u; i < RANK_HELD; i++) {
        if lid + i * WG < prm.k {
            s_slot[place[i]] = mine[i];
        }
    }
    workgroupBarrier();
}
