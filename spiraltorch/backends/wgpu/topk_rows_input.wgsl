// Rows for topk_sort_rows.wgsl read from the input: column col of a row as its (key, index) pair,
// (0, NONE) past the row's end.

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> values: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read_write> indices: array<u32>;
@group(0) @binding(3) var<uniform> prm: Params;

fn row_pair(row: u32, col: u32) -> vec2<u32> {
    if col >= prm.cols {
        return vec2<u32>(0u, NONE);
    }
    let raw = read_bits(prm.offset + row * prm.row_stride + col * prm.col_stride);
    return vec2<u32>(keys4(vec4<u32>(raw, 0u, 0u, 0u)).x, col);
}
