// select_held's winners in slots of a pair each (topk_slots_pairs.wgsl or, where keys and indices
// fit 16 bits, topk_slots_packed.wgsl), sorted as they are; topk_slots_positions.wgsl gives the
// same two functions for wider keys. The kernel declares `sort_slots`.

fn put_winner(i: u32, pair: vec2<u32>) {
    s_slot[i] = slot_of(pair);
}

// Sorts the row's n slots (the first k the winners, the rest padding) best first.
fn sort_winners(lid: u32, n: u32) {
    sort_slots(lid, n, n, 0u);
}
