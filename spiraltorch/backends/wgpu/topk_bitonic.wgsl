// Bitonic sorting of a block of slots in workgroup memory (`s_slot` and `slot_before` come from a
// slot format file), best first. The block holds `block` slots of rows of `n` slots (both powers
// of two) and starts at slot `base` of the whole: several whole rows when n <= block, otherwise
// part of one row. Each compare's direction follows its slot's place in its row, so rows sort on
// their own. The kernel declares `WG`.

// Compare-exchange at distance `dist` of bitonic stage `stage`, then a barrier.
fn bitonic_step(lid: u32, block: u32, n: u32, base: u32, stage: u32, dist: u32) {
    for (var t = lid; t < block / 2u; t += WG) {
        let lo = ((t & ~(dist - 1u)) << 1u) | (t & (dist - 1u));  // dist: a power of two
        let a = s_slot[lo];
        let b = s_slot[lo + dist];
        if slot_before(b, a) == ((((base + lo) & (n - 1u)) & stage) == 0u) {
            s_slot[lo] = b;
            s_slot[lo + dist] = a;
        }
    }
    workgroupBarrier();
}

// Every stage that fits the block: whole rows come out sorted when n <= block.
fn sort_block(lid: u32, block: u32, n: u32, base: u32) {
    for (var stage = 2u; stage <= min(block, n); stage *= 2u) {
        for (var dist = stage / 2u; dist > 0u; dist /= 2u) {
            bitonic_step(lid, block, n, base, stage, dist);
        }
    }
}
