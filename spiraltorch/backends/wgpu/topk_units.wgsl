// TopK segment reading by units. The body of a contiguous segment is read in 16-byte words, one
// vec4<u32> load for 4 elements of 32 bits or 8 of 16 bits; its unaligned head and tail, strided
// segments and (key, index) candidates of an earlier pass are read one element (or pair) per unit.
// A kernel walks the word units (mode = seg.word_mode) and the single units (mode = single_mode())
// of a segment in any order it likes. A loaded unit holds the keys of its elements (computed four
// at a time, or eight float16 ones at a time) and the column of the first: elements 0..3 are the
// components of `lo`, elements 4..7 those of `hi`, with columns col + 0..7, and only the first n
// exist. Empty candidate slots load as n = 0. Kernels handle a unit as two quads of keys (quad_live
// says how many of a quad exist), naming components, never indexing them: a vector indexed by a
// loop counter can cost a trip through local memory.
// The kernel declares `src` (array<u32>), `src4` (the same buffer as array<vec4<u32>>), `prm` and
// the override `PAIRS`.

const MODE_WORD32: u32 = 0u;
const MODE_WORD16: u32 = 1u;
const MODE_SINGLE: u32 = 2u;
const MODE_PAIR: u32 = 3u;
const UNIT_MAX: u32 = 8u;  // elements per unit, at most

struct Segment {
    row: u32,
    start: u32,      // first column of the segment
    n: u32,          // columns (or candidate slots) in the segment
    base: u32,       // linear element position of column 0 of the row
    w0: u32,         // body words [w0, w1) of src4
    w1: u32,
    head: u32,       // segment positions [0, head) and [tail, n) are single units
    tail: u32,
    word_mode: u32,
}

fn segment_of(row: u32, start: u32, n: u32) -> Segment {
    var s = Segment(row, start, n, prm.offset + row * prm.row_stride, 0u, 0u, n, n,
                    select(MODE_WORD32, MODE_WORD16, ELEM_BITS == 16u));
    if !PAIRS && prm.col_stride == 1u {
        let per = 128u / ELEM_BITS;
        let lin0 = s.base + start;
        let w0 = (lin0 + per - 1u) / per;
        let w1 = min((lin0 + n) / per, arrayLength(&src4));
        if w1 > w0 {
            s.w0 = w0;
            s.w1 = w1;
            s.head = w0 * per - lin0;
            s.tail = w1 * per - lin0;
        }
    }
    return s;
}

// The segment of workgroup `group`: segment group % nseg of row group / nseg (the caller has
// checked that the row exists).
fn segment_of_group(group: u32) -> Segment {
    let start = (group % prm.nseg) * prm.seg_len;
    let total = select(prm.cols, prm.in_slots, PAIRS);
    return segment_of(group / prm.nseg, start, min(prm.seg_len, total - start));
}

fn single_mode() -> u32 {
    return select(MODE_SINGLE, MODE_PAIR, PAIRS);
}

fn word_units(s: Segment) -> u32 {
    return s.w1 - s.w0;
}

// Single units number the head positions first, then the tail positions.
fn single_units(s: Segment) -> u32 {
    return s.head + s.n - s.tail;
}

// Segment position of single unit u.
fn single_pos(s: Segment, u: u32) -> u32 {
    return select(u, u - s.head + s.tail, u >= s.head);
}

struct Unit {
    lo: vec4<u32>,  // keys of elements 0..3
    hi: vec4<u32>,  // keys of elements 4..7
    col: u32,       // column (index) of element 0
    n: u32,         // elements in the unit
}

// Elements of quad q (0: lo, 1: hi) of a unit of n elements.
fn quad_live(n: u32, q: u32) -> u32 {
    return min(n, 4u * q + 4u) - min(n, 4u * q);
}

// Column of the first element of word unit u.
fn word_col(s: Segment, u: u32) -> u32 {
    return (s.w0 + u) * (128u / ELEM_BITS) - s.base;
}

fn load_unit(s: Segment, mode: u32, u: u32) -> Unit {
    let none = vec4<u32>(0u);
    switch mode {
        case MODE_WORD32: {
            return Unit(keys4(src4[s.w0 + u]), none, word_col(s, u), 4u);
        }
        case MODE_WORD16: {
            let k = keys_f16_pairs(src4[s.w0 + u]);
            return Unit(halves(k.x, k.y), halves(k.z, k.w), word_col(s, u), 8u);
        }
        case MODE_PAIR: {
            let a = 2u * (s.row * prm.in_slots + s.start + single_pos(s, u));
            let idx = src[a + 1u];
            return Unit(vec4<u32>(src[a], 0u, 0u, 0u), none, idx, select(1u, 0u, idx == NONE));
        }
        default: {
            let p = s.start + single_pos(s, u);
            let raw = read_bits(s.base + p * prm.col_stride);
            return Unit(keys4(vec4<u32>(raw, 0u, 0u, 0u)), none, p, 1u);
        }
    }
}
