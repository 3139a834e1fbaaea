// Sort slots of one u32 each for select_held's winners with keys too wide to pack: the (key,
// index) pairs stay where the compaction put them (`s_pair`, in index order among equal keys) and
// the sort moves words holding a pair's key less the lowest winner's, above its position p as
// n - 1 - p (a lower position ranks first among equal key fields). Where the winners' keys span
// more than the bits left beside the position, the key field drops its low `shift` bits, and
// runs of equal key fields are put in rank order after the sort (sort_winners): by a count per
// slot where the runs hold few slots (spread keys: a few slots a row), else by sorting the pairs
// themselves, so a row of long runs (one value and an outlier) costs a second sort, never k
// steps a slot. A slot moves four bytes instead of eight (H100: the sort of 1024 pairs took half
// of select_held's time). The padding word 0 names the last position, which holds the padding
// pair wherever a row has pads.
// Needs n <= HELD_MOVES * WG; the kernel declares `WG`, `prm` and `sort_slots`.

alias Slot = u32;

override SLOTS: u32 = 1024u;
const HELD_MOVES: u32 = 8u;  // slots an invocation may move when runs are put in rank order
const RUN_SLOTS_MAX: u32 = 32u;  // slots in runs that order_runs takes (more: sort_pairs)

var<workgroup> s_slot: array<Slot, SLOTS>;
var<workgroup> s_pair: array<vec2<u32>, SLOTS>;
var<workgroup> s_low: atomic<u32>;
var<workgroup> s_high: atomic<u32>;
var<workgroup> s_range: vec2<u32>;  // lowest winner key, bits dropped from the key field
var<workgroup> s_runs: atomic<u32>;
var<workgroup> s_run_slots: u32;

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
        atomicStore(&s_runs, 0u);
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

// Whether sorted slot j (< k) shares its key field with a neighbour among the first k.
fn in_run(j: u32, bits: u32) -> bool {
    let field = s_slot[j] >> bits;
    let after = (j + 1u < prm.k) && (s_slot[min(j + 1u, prm.k - 1u)] >> bits) == field;
    let before = (j > 0u) && (s_slot[max(j, 1u) - 1u] >> bits) == field;
    return after || before;
}

// The sorted slots among the first k that lie in runs, the same in every invocation.
fn run_slots(lid: u32, bits: u32) -> u32 {
    var mine = 0u;
    for (var j = lid; j < prm.k; j += WG) {
        mine += u32(in_run(j, bits));
    }
    atomicAdd(&s_runs, mine);
    workgroupBarrier();
    if lid == 0u {
        s_run_slots = atomicLoad(&s_runs);
    }
    return workgroupUniformLoad(&s_run_slots);
}

// Puts each run of equal key fields among the first k sorted slots in rank order: a slot of a
// run goes to the run's start plus the run's pairs that rank before its own.
fn order_runs(lid: u32, bits: u32) {
    var moves: array<vec2<u32>, HELD_MOVES>;  // (slot, word)
    var count = 0u;
    for (var j = lid; j < prm.k; j += WG) {
        if in_run(j, bits) {
            let word = s_slot[j];
            let field = word >> bits;
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

// Sorts the n pairs themselves best first (bitonic steps in workgroup memory) and names them in
// that order: slot j the pair at position j.
fn sort_pairs(lid: u32, n: u32) {
    for (var stage = 2u; stage <= n; stage *= 2u) {
        for (var dist = stage / 2u; dist > 0u; dist /= 2u) {
            for (var t = lid; t < n / 2u; t += WG) {
                let lo = ((t & ~(dist - 1u)) << 1u) | (t & (dist - 1u));
                let a = s_pair[lo];
                let b = s_pair[lo + dist];
                if ranks_before(b, a) == ((lo & stage) == 0u) {
                    s_pair[lo] = b;
                    s_pair[lo + dist] = a;
                }
            }
            workgroupBarrier();
        }
    }
    for (var j = lid; j < n; j += WG) {
        s_slot[j] = n - 1u - j;
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
    if range.y == 0u {
        return;  // equal fields are equal keys, already in index order
    }
    let runs = run_slots(lid, bits);
    if runs > RUN_SLOTS_MAX {
        sort_pairs(lid, n);
    } else if runs != 0u {
        order_runs(lid, bits);
    }
}
