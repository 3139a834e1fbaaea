// TopK output by a sort of whole rows in workgroup memory, in one dispatch: each workgroup reads
// its rows as (key, index) pairs, sorts them and writes the first k of each row as values
// (recovered from the keys, read from the input for NaN and zero keys) and int64 indices (lo, 0).
// Small files come first: a slot format (topk_slots_packed.wgsl or topk_slots_pairs.wgsl: the type
// `Slot` of one pair in workgroup memory, `s_slot`, `slot_of`, `pair_of`, `slot_before`), a block
// sort `sort_block` (topk_bitonic.wgsl, or topk_radix_sort.wgsl for one row of pairs per
// workgroup), a row source with the bindings (topk_rows_input.wgsl: whole rows of the input;
// topk_rows_pairs.wgsl: the winners a selection wrote), `row_pair(row, col)`, the writer of the
// output (topk_write_rows.wgsl), this file, `sort_slots` (topk_sort_slots_wg.wgsl: `sort_block`;
// topk_bitonic_sg.wgsl: in registers and shuffles) and an entry file (topk_entry_wg.wgsl or
// topk_entry_sg.wgsl with subgroup_layout.wgsl). Padding is (0, NONE), which ranks below every
// element. A workgroup holds whole rows (block is a multiple of sort_n).

override WG: u32 = 256u;

fn workgroup_main(lid: u32, group: u32) {
    let block = prm.block;
    let n = prm.sort_n;
    let first_row = group * (block / n);
    if first_row >= prm.rows {
        return;
    }
    let row_bits = firstTrailingBit(n);  // n is a power of two
    for (var i = lid; i < block; i += WG) {
        let row = first_row + (i >> row_bits);
        let col = i & (n - 1u);
        var pair = vec2<u32>(0u, NONE);
        if row < prm.rows {
            pair = row_pair(row, col);
        }
        s_slot[i] = slot_of(pair);
    }
    workgroupBarrier();
    sort_slots(lid, block, n, first_row * n);
    write_rows(lid, first_row, min(block / n, prm.rows - first_row), n);
}
