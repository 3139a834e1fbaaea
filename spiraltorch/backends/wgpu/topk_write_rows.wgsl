// TopK output from sorted rows in workgroup memory: the first k slots of each of `held` rows of
// `n` slots in `s_slot`, from row `first_row` on, as values (recovered from the keys, read from
// the input for NaN and zero keys) and int64 indices (lo, 0). The values of the rows are written
// as whole u32 words: the caller makes sure no other workgroup writes into them. The kernel
// declares `src` (for read_bits), `values`, `indices` and `WG`.

fn write_rows(lid: u32, first_row: u32, held: u32, n: u32) {
    let per = 32u / ELEM_BITS;
    let outputs = held * prm.k;
    for (var w = lid; w < (outputs + per - 1u) / per; w += WG) {
        var word = 0u;
        for (var q = 0u; q < per && w * per + q < outputs; q++) {
            let f = w * per + q;  // output number within this workgroup's rows
            let row = first_row + f / prm.k;
            let pair = pair_of(s_slot[(f / prm.k) * n + f % prm.k]);
            let bits = element_bits(pair.x, prm.offset + row * prm.row_stride, pair.y);
            word |= bits << (q * ELEM_BITS);
            indices[2u * (row * prm.k + f % prm.k)] = pair.y;
            indices[2u * (row * prm.k + f % prm.k) + 1u] = 0u;
        }
        values[first_row * prm.k / per + w] = word;
    }
}
