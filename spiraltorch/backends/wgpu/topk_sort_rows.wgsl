// TopK output by a sort of whole rows in workgroup memory, in one dispatch: each workgroup reads
// its rows as (key, index) pairs, sorts them (bitonic) and writes the first k of each row as
// values (recovered from the keys, read from the input for NaN and zero keys) and int64 indices
// (lo, 0). Two small files come first: a slot format (topk_slots_packed.wgsl or
// topk_slots_pairs.wgsl: the type `Slot` of one pair in workgroup memory, `s_slot`, `slot_of`,
// `pair_of`, `slot_before`) and a row source with the bindings (topk_rows_input.wgsl: whole rows
// of the input; topk_rows_pairs.wgsl: the winners a selection wrote), `row_pair(row, col)`.
// Padding is (0, NONE), which ranks below every element. A workgroup holds whole rows (block is
// a multiple of sort_n) and k * elem_bits is a multiple of 32, so no two workgroups write one
// u32 word of the values.

override WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let block = prm.block;
    let n = prm.sort_n;
    let first_row = group_index(wid, nwg) * (block / n);
    if first_row >= prm.rows {
        return;
    }
    for (var i = lid; i < block; i += WG) {
        let row = first_row + i / n;
        let col = i % n;
        var pair = vec2<u32>(0u, NONE);
        if row < prm.rows {
            pair = row_pair(row, col);
        }
        s_slot[i] = slot_of(pair);
    }
    workgroupBarrier();
    for (var stage = 2u; stage <= n; stage *= 2u) {
        for (var dist = stage / 2u; dist > 0u; dist /= 2u) {
            for (var t = lid; t < block / 2u; t += WG) {
                let lo = ((t & ~(dist - 1u)) << 1u) | (t & (dist - 1u));  // dist: a power of two
                let a = s_slot[lo];
                let b = s_slot[lo + dist];
                if slot_before(b, a) == (((lo & (n - 1u)) & stage) == 0u) {
                    s_slot[lo] = b;
                    s_slot[lo + dist] = a;
                }
            }
            workgroupBarrier();
        }
    }
    let per = 32u / prm.elem_bits;
    let rows_here = min(block / n, prm.rows - first_row);
    for (var w = lid; w < rows_here * prm.k / per; w += WG) {
        var word = 0u;
        for (var q = 0u; q < per; q++) {
            let f = w * per + q;  // output number within this workgroup's rows
            let row = first_row + f / prm.k;
            let pair = pair_of(s_slot[(f / prm.k) * n + f % prm.k]);
            var bits = bits_of_key(pair.x);
            if bits == NONE {
                bits = read_bits(prm.offset + row * prm.row_stride + pair.y * prm.col_stride);
            }
            word |= bits << (q * prm.elem_bits);
            indices[2u * (row * prm.k + f % prm.k)] = pair.y;
            indices[2u * (row * prm.k + f % prm.k) + 1u] = 0u;
        }
        values[first_row * prm.k / per + w] = word;
    }
}
