// TopK shared declarations: launch parameters and the rank order of (key, index) pairs.
//
// A larger key ranks first; equal keys rank by ascending index. That is a total order, and the
// pair (0, NONE) ranks below every real element, so it pads unused slots. Each kernel declares
// its own bindings, `prm` among them.

const NONE: u32 = 0xffffffffu;

struct Params {
    rows: u32,
    cols: u32,
    k: u32,
    seg_len: u32,      // elements per segment (chunk) of a row
    nseg: u32,         // segments per row
    out_slots: u32,    // (key, index) slots written per segment
    in_slots: u32,     // (key, index) slots per row of a candidate input
    row_stride: u32,   // input strides and offset, in elements
    col_stride: u32,
    offset: u32,
    sort_n: u32,       // slots per row of the sort buffer (a power of two)
    stage: u32,        // bitonic stage size; 0 = a full local sort
    dist: u32,         // bitonic compare distance of a global step
    block: u32,        // pairs per workgroup of a local sort
    largest: u32,      // 0 flips every key bit: ascending order, NaN last
    floors: u32,       // floors per row of a chunk floor buffer (0: none)
}

// Flat workgroup number of a 1-D or 2-D grid.
fn group_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.x + wid.y * nwg.x;
}

// a ranks strictly before b.
fn ranks_before(a: vec2<u32>, b: vec2<u32>) -> bool {
    return (a.x > b.x) | ((a.x == b.x) & (a.y < b.y));
}
