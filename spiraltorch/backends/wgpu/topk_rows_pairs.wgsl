// Rows for topk_sort_rows.wgsl read from the (key, index) pairs a selection wrote: sort_n slots
// a row, padded with (0, NONE).

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> values: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read_write> indices: array<u32>;
@group(0) @binding(3) var<storage, read> pairs: array<u32>;
@group(0) @binding(4) var<uniform> prm: Params;

fn row_pair(row: u32, col: u32) -> vec2<u32> {
    let at = 2u * (row * prm.sort_n + col);
    return vec2<u32>(pairs[at], pairs[at + 1u]);
}
