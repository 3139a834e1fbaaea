// TopK by a sort of whole short rows in one dispatch, for keys of at most 16 bits: each workgroup
// reads its rows from the input as packed (key, index) words (as in topk_sort_packed.wgsl: key
// << 16 | (0xffff - index), padding 0), sorts them in workgroup memory and writes the first k of
// each row as values (recovered from the keys, read from the input for NaN and zero keys) and
// int64 indices (lo, 0). No pair buffer goes through global memory. A workgroup holds whole rows
// (block is a multiple of sort_n) and k * elem_bits is a multiple of 32, so no two workgroups
// write one u32 word of the values.

override WG: u32 = 256u;
const BLOCK_MAX: u32 = 4096u;  // 4096 packed pairs: 16 KiB of workgroup memory

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> values: array<u32>;
@group(0) @binding(2) var<storage, read_write> indices: array<u32>;
@group(0) @binding(3) var<uniform> prm: Params;

var<workgroup> s_word: array<u32, BLOCK_MAX>;

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
        var word = 0u;
        if row < prm.rows && col < prm.cols {
            let raw = read_bits(prm.offset + row * prm.row_stride + col * prm.col_stride);
            word = (keys4(vec4<u32>(raw, 0u, 0u, 0u)).x << 16u) | (0xffffu - col);
        }
        s_word[i] = word;
    }
    workgroupBarrier();
    for (var stage = 2u; stage <= n; stage *= 2u) {
        for (var dist = stage / 2u; dist > 0u; dist /= 2u) {
            for (var t = lid; t < block / 2u; t += WG) {
                let lo = ((t & ~(dist - 1u)) << 1u) | (t & (dist - 1u));  // dist: a power of two
                let a = s_word[lo];
                let b = s_word[lo + dist];
                if (b > a) == (((lo & (n - 1u)) & stage) == 0u) {
                    s_word[lo] = b;
                    s_word[lo + dist] = a;
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
            let packed = s_word[(f / prm.k) * n + f % prm.k];
            let col = 0xffffu - (packed & 0xffffu);
            var bits = bits_of_key(packed >> 16u);
            if bits == NONE {
                bits = read_bits(prm.offset + row * prm.row_stride + col * prm.col_stride);
            }
            word |= bits << (q * prm.elem_bits);
            indices[2u * (row * prm.k + f % prm.k)] = col;
            indices[2u * (row * prm.k + f % prm.k) + 1u] = 0u;
        }
        values[first_row * prm.k / per + w] = word;
    }
}
