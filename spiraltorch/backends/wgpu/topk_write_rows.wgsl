// TopK output from sorted rows in workgroup memory: the first k slots of each of `held` rows of
// `n` slots in `s_slot`, from row `first_row` on, as values (recovered from the keys, read from
// the input for NaN and zero keys) and int64 indices (lo, 0). Words of the values shared with the
// rows before and after these go through store_values (topk_store_values.wgsl). The kernel
// declares `src` (for read_bits), `values`, `indices` and `WG`.

fn write_rows(lid: u32, first_row: u32, held: u32, n: u32) {
    let per = 32u / ELEM_BITS;
    let first = first_row * prm.k;  // output number of the first value written here
    let lead = first % per;  // values of earlier rows in the first word
    let outputs = held * prm.k;
    for (var w = lid; w < (lead + outputs + per - 1u) / per; w += WG) {
        var word = 0u;
        var mask = 0u;
        for (var q = 0u; q < per; q++) {
            let f = w * per + q - lead;  // output number within these rows (wraps below lead)
            if f < outputs {
                // the row among these and the place in it (no division where the rows are one)
                var r = 0u;
                var j = f;
                if held > 1u {
                    r = f / prm.k;
                    j = f % prm.k;
                }
                let row = first_row + r;
                let pair = pair_of(s_slot[r * n + j]);
                let bits = element_bits(pair.x, prm.offset + row * prm.row_stride, pair.y);
                word |= bits << (q * ELEM_BITS);
                mask |= value_mask() << (q * ELEM_BITS);
                indices[2u * (first + f)] = pair.y;
                indices[2u * (first + f) + 1u] = 0u;
            }
        }
        store_values(first / per + w, word, mask);
    }
}
