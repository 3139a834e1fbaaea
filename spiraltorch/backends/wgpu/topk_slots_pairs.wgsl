// Sort slots of one (key, index) pair each, one 8-byte access: up to 2048 slots in 16 KiB of
// workgroup memory (SLOTS: fewer where a sort needs room for more).

alias Slot = vec2<u32>;

override SLOTS: u32 = 2048u;

var<workgroup> s_slot: array<Slot, SLOTS>;

const PAD_SLOT: Slot = Slot(0u, NONE);

fn slot_of(pair: vec2<u32>) -> Slot {
    return pair;
}

fn pair_of(slot: Slot) -> vec2<u32> {
    return slot;
}

fn slot_before(a: Slot, b: Slot) -> bool {
    return ranks_before(a, b);
}
