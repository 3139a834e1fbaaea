// Sort slots of one u32 each for select_held's winners with keys too wide to pack: the (key,
// index) pairs stay where the compaction put them (`s_pair`, in index order among equal keys) and
// the sort moves words holding a pair's key less the lowest winner's, above its position p as
// n - 1 - p (a lower position ranks first among equal key fields). Where the winners' keys span
// more than the bits left beside the position, the key field drops its low `shift` bits, and
// runs of equal key fields are put in rank order after the sort (sort_winners). A slot moves four
// bytes instead of eight (H100: the sort of 1024 pairs took half of select_held's time). The
// padding word 0 names the last position, which holds the padding pair wherever a row has pads.
// Needs n <= HELD_MOVES * WG; the kernel declares `WG`, `prm` and `sort_slots`.

alias Slot = u32;

override SLOTS: u32 = 1024u;
const HELD_MOVES: u32 = 8u;  // slots an invocation may move when runs are put in rank order

var<workgroup> s_slot: array<Slot, SLOTS>;
var<workgroup> s_pair: array<vec2<u32>, SLOTS>;
var<workgroup> s_low: atomic<u32>;
var<workgroup> s_high: atomic<u32>;
var<workgroup> s_range: vec2<u32>;  // lowest winner key, bits dropped from the key field

const PAD_SLOT: Slot = 0u;

fn put_winner(i: u32, pair: vec2<u32>) {
    s_pair[i] = pair;
}

fn pair_of(slot: Slot) -> vec2<u32> {
    return s_pair[prm.sort_n - 1u - (slot & (prm.sort_n - 1u))];
}

fn slot_before(a: Slot, b: Slot) -> bool {
    return a > b;
}

// The winners' lowest key and the bits their key field drops, the same in every invocation.
fn winner_range(lid: u32, n: u32) -> vec2<u32> {
    var low = NONE;
    var high = 0u;
    for (var j = lid; j < prm.k; j += WG) {
        low = min(low, s_pair[j].x);
        high = max(high, s_pair[j].x);
    }
    if lid == 0u {
        atomicStore(&s_low, NONE);
        atomicStore(&s_high, 0u);
    }
    workgroupBarrier();
    atomicMin(&s_low, low);
    atomicMax(&s_high, high);
    workgroupBarrier();
    if lid == 0u {
        let lowest = atomicLoad(&s_low);
        let room = 32u - countTrailingZeros(n);  // key field bits
        let used = 32u - countLeadingZeros(atomicLoad(&s_high) - lowest);
        s_range = vec2<u32>(lowest, max(used, room) - room);
    }
    return workgroupUniformLoad(&s_range);
}

// Puts each run of equal key fields among the first k sorted slots in rank order: a slot of a
// run goes to the run's start plus the run's pairs that rank before its own. Runs are rare on
// spread keys (a few slots a row); a row of long runs costs up to k steps a slot, never a
// wrong order.
fn order_runs(lid: u32, n: u32) {
    let bits = countTrailingZeros(n);
    var moves: array<vec2<u32>, HELD_MOVES>;  // (slot, word)
    var count = 0u;
    for (var j = lid; j < prm.k; j += WG) {
        let word = s_slot[j];
        let field = word >> bits;
        let after = j + 1u < prm.k && (s_slot[j + 1u] >> bits) == field;
        if after || (j > 0u && (s_slot[j - 1u] >> bits) == field) {
            var start = j;
            while start > 0u && (s_slot[start - 1u] >> bits) == field {
                start -= 1u;
            }
            let mine = pair_of(word);
            var at = start;
            for (var i = start; i < prm.k && (s_slot[i] >> bits) == field; i++) {
                at += u32(ranks_before(pair_of(s_slot[i]), mine));
            }
            moves[count] = vec2<u32>(at, word);
            count += 1u;
        }
    }
    workgroupBarrier();
    for (var m = 0u; m < count; m++) {
        s_slot[moves[m].x] = moves[m].y;
    }
    workgroupBarrier();
}

// Sorts the row's n slots (the first k the winners, the rest padding) best first.
fn sort_winners(lid: u32, n: u32) {
    let range = winner_range(lid, n);
    let bits = countTrailingZeros(n);
    for (var j = lid; j < n; j += WG) {
        var word = PAD_SLOT;
        if j < prm.k {
            word = (((s_pair[j].x - range.x) >> range.y) << bits) | (n - 1u - j);
        }
        s_slot[j] = word;
    }
    workgroupBarrier();
    sort_slots(lid, n, n, 0u);
    if range.y != 0u {
        order_runs(lid, n);
    }
}
