// Sort slots of one u32 per (key, index) pair, for keys and indices of at most 16 bits:
// key << 16 | (0xffff - index), so that a larger word ranks first, like the pair; the padding
// pair (0, NONE) packs to 0. Up to 4096 slots in 16 KiB of workgroup memory (SLOTS: fewer where
// a sort needs room for more).

alias Slot = u32;

override SLOTS: u32 = 4096u;

var<workgroup> s_slot: array<Slot, SLOTS>;

const PAD_SLOT: Slot = 0u;  // the padding pair (0, NONE)

fn slot_of(pair: vec2<u32>) -> Slot {
    return select((pair.x << 16u) | (0xffffu - pair.y), 0u, pair.y == NONE);
}

fn pair_of(slot: Slot) -> vec2<u32> {
    if slot == 0u {
        return vec2<u32>(0u, NONE);
    }
    return vec2<u32>(slot >> 16u, 0xffffu - (slot & 0xffffu));
}

fn slot_before(a: Slot, b: Slot) -> bool {
    return a > b;
}
