// TopK output values as u32 words that neighbouring rows may share: where a row's outputs do not
// fill whole words (an odd k of 16-bit values), its first or last word also holds values of the
// row before or after it, which another workgroup (or invocation) writes at the same time. Each
// writer changes only its own bits of such a word, by atomics; whole words are stored. The kernel
// declares `values` as array<atomic<u32>>.

// Bits of one value in a word.
fn value_mask() -> u32 {
    return 0xffffffffu >> (32u - ELEM_BITS);
}

// Sets the bits `mask` of word `at` of the values to those of `bits`, leaving the others.
fn store_values(at: u32, bits: u32, mask: u32) {
    if mask == 0xffffffffu {
        atomicStore(&values[at], bits);
        return;
    }
    atomicAnd(&values[at], ~mask);
    atomicOr(&values[at], bits & mask);
}
