// TopK output from sorted rows in workgroup memory: the first k slots of each of `held` rows of
// `n` slots in `s_slot`, from row `first_row` on, as values (recovered from the keys, read from
// the input for NaN and zero keys) and int64 indices (lo, 0). Words of the values shared with the
// rows before and after these go through store_values (topk_store_values.wgsl). The kernel
// declares `src` (for read_bits), `values`, `indices` and `WG`.

// The slots come sorted by their keys alone (the register sort of topk_bitonic_sg.wgsl, set by the
// host for pairs of 32-bit elements): half the work of a compare of pairs, and equal keys, rare
// among the winners of most rows, are put in index order as they are written (write_ranked).
// H100, Vulkan, float32, against the sort of pairs: 16384 x 4096 k=1024 0.899 -> 0.796 ms, 4096 x
// 1024 k=1024 0.157 -> 0.132, 65536 x 256 k=128 0.333 -> 0.305, 4096 x 32000 k=1024 0.615 -> 0.590;
// 256 x 32768 k=1024 0.0698 -> 0.0706.
override SORT_BY_KEY: bool = false;

fn write_rows(lid: u32, first_row: u32, held: u32, n: u32) {
    if SORT_BY_KEY {
        write_ranked(lid, first_row, held, n);
        return;
    }
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

// write_rows for slots sorted by their keys alone, one 32-bit value a word: each slot goes to its
// place among the slots of its row holding its key (place_in_run), so that equal keys come out in
// index order; a slot whose neighbours hold other keys keeps its own place.
fn write_ranked(lid: u32, first_row: u32, held: u32, n: u32) {
    let row_bits = firstTrailingBit(n);  // n is a power of two
    for (var i = lid; i < held * n; i += WG) {
        let r = i >> row_bits;
        let at = place_in_run(r * n, i & (n - 1u), n);
        if at < prm.k {
            let row = first_row + r;
            let pair = pair_of(s_slot[i]);
            let out = row * prm.k + at;
            store_values(out, element_bits(pair.x, prm.offset + row * prm.row_stride, pair.y),
                         0xffffffffu);
            indices[2u * out] = pair.y;
            indices[2u * out + 1u] = 0u;
        }
    }
}

// The place in its row (of n slots from `base`) of slot j of a row sorted by keys alone: j where
// both neighbours hold other keys; otherwise the first slot of the run of its key plus the slots
// of that run of a lower index (padding, (0, NONE), places after every element of key 0, past the
// row's k, as a row holds at least k elements). A run of L equal keys costs each of its slots
// about 2 L reads of workgroup memory.
fn place_in_run(base: u32, j: u32, n: u32) -> u32 {
    let slot = s_slot[base + j];
    let key = sort_key(slot);
    let prev = sort_key(s_slot[base + max(j, 1u) - 1u]) == key;
    let next = sort_key(s_slot[base + min(j + 1u, n - 1u)]) == key;
    if !((prev & (j > 0u)) | (next & (j + 1u < n))) {
        return j;
    }
    var first = j;
    while first > 0u && sort_key(s_slot[base + first - 1u]) == key {
        first -= 1u;
    }
    let idx = pair_of(slot).y;
    var at = first;
    var m = first;
    loop {
        let other = pair_of(s_slot[base + m]).y;
        at += select(0u, 1u, other < idx);
        if m + 1u >= n || sort_key(s_slot[base + m + 1u]) != key {
            break;
        }
        m += 1u;
    }
    return at;
}
