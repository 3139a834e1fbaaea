// TopK of rows of at most HELD * WG columns (or of candidates an earlier pass wrote, PAIRS) in one
// dispatch, one workgroup per row, the row read once: each invocation holds the keys of HELD
// consecutive columns in registers, a radix select with 8-bit digits (topk_buckets.wgsl) runs over
// the held keys (from the top byte, or a first digit fitted to their range: first_digit), an
// ordered compaction puts the winners into workgroup memory in index order, they are sorted there
// when SORTED (the row's `sort_n` slots) and written out from there (topk_write_rows.wgsl).
// A scan file gives `scan_exclusive` (topk_scan_wg.wgsl or topk_scan_sg.wgsl), a sort file
// `sort_slots` (topk_sort_slots_wg.wgsl or topk_bitonic_sg.wgsl), a winners file `put_winner` and
// `sort_winners` (topk_held_direct.wgsl beside a slot format file, or topk_slots_positions.wgsl)
// and an entry file `main` (topk_entry_wg.wgsl or topk_entry_sg.wgsl).
// Needs SLOTS >= sort_n and HIST_BINS = 256; sorts in registers where sort_n <= REG_SLOTS * WG.

override WG: u32 = 256u;
override SORTED: bool = true;
// Rows of (key, index) candidates an earlier pass wrote (`cand`, in_slots a row) instead of the
// input; the input still gives the values of NaN and zero keys.
override PAIRS: bool = false;
// The first radix digit fitted to the range of the row's live keys (the `hr` field): first_digit.
override RANGE_DIGIT: bool = false;

const HELD: u32 = 16u;  // columns per invocation: four quads of keys
const HELD_DIGIT_BITS: u32 = 8u;
const HELD_BINS: u32 = 256u;

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read> src4: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> values: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> indices: array<u32>;
@group(0) @binding(4) var<storage, read> cand: array<vec2<u32>>;  // (key, index) pairs
@group(0) @binding(5) var<uniform> prm: Params;

// Four held keys, their indices, and which of them exist.
struct Quad {
    keys: vec4<u32>,
    idx: vec4<u32>,
    live: vec4<bool>,
}

// Keys of the four columns from `col` of the row whose column 0 is at element `base` (columns
// past the row's end: any key, as their quad's live count leaves them out). Aligned quads of a
// contiguous row take one 16-byte (32-bit elements) or 8-byte (16-bit) load.
fn input_keys(base: u32, col: u32) -> vec4<u32> {
    let lin = base + col;
    if (prm.col_stride == 1u) & (col + 4u <= prm.cols) & (lin % 4u == 0u) {
        if ELEM_BITS == 32u {
            return keys4(src4[lin / 4u]);
        }
        let k = keys_f16_pairs(vec4<u32>(src[lin / 2u], src[lin / 2u + 1u], 0u, 0u));
        return halves(k.x, k.y);
    }
    var raw = vec4<u32>(0u);
    let last = min(prm.cols, col + 4u);
    if col < last { raw.x = read_bits(base + col * prm.col_stride); }
    if col + 1u < last { raw.y = read_bits(base + (col + 1u) * prm.col_stride); }
    if col + 2u < last { raw.z = read_bits(base + (col + 2u) * prm.col_stride); }
    if col + 3u < last { raw.w = read_bits(base + (col + 3u) * prm.col_stride); }
    return keys4(raw);
}

// The quad from column (or candidate slot) `col` of row `row`, whose column 0 is at element
// `base` of the input.
fn quad_at(row: u32, base: u32, col: u32) -> Quad {
    let at = vec4<u32>(col) + vec4<u32>(0u, 1u, 2u, 3u);
    if !PAIRS {
        return Quad(input_keys(base, col), at, at < vec4<u32>(prm.cols));
    }
    var q = Quad(vec4<u32>(0u), vec4<u32>(NONE), vec4<bool>(false));
    let first = row * prm.in_slots + col;
    let last = min(prm.in_slots, col + 4u);
    if col < last { let c = cand[first]; q.keys.x = c.x; q.idx.x = c.y; }
    if col + 1u < last { let c = cand[first + 1u]; q.keys.y = c.x; q.idx.y = c.y; }
    if col + 2u < last { let c = cand[first + 2u]; q.keys.z = c.x; q.idx.z = c.y; }
    if col + 3u < last { let c = cand[first + 3u]; q.keys.w = c.x; q.idx.w = c.y; }
    q.live = q.idx != vec4<u32>(NONE);
    return q;
}

fn count_key(key: u32, hit: bool, shift: u32, base: u32, bins: u32) {
    if hit {
        atomicAdd(&hist[((key >> shift) - base) & (bins - 1u)], 1u);
    }
}

// The digit at `shift` (less `base`) of the live keys under `prefix`, counted in `hist`.
fn count_quad(q: Quad, prefix: u32, mask: u32, shift: u32, base: u32, bins: u32) {
    let keys = q.keys;
    let hit = q.live & ((keys & vec4<u32>(mask)) == vec4<u32>(prefix));
    if !any(hit) {
        return;
    }
    count_key(keys.x, hit.x, shift, base, bins);
    count_key(keys.y, hit.y, shift, base, bins);
    count_key(keys.z, hit.z, shift, base, bins);
    count_key(keys.w, hit.w, shift, base, bins);
}

// The quad's keys, `dead` in place of those that do not exist.
fn live_or(q: Quad, dead: u32) -> vec4<u32> {
    return select(vec4<u32>(dead), q.keys, q.live);
}

// The first radix pass's digit, (shift, base): the digit of a key is (key >> shift) - base. It is
// the top byte, or with RANGE_DIGIT fitted to the range of the row's live keys: the smallest shift
// that leaves at most HELD_BINS digits from the lowest key's. Candidates above a floor lie in a
// narrow range of keys with few values of the top byte, where a pass on it counts most of them
// into one bucket (their atomics on one address) and narrows little. The range's ends are found in
// the histogram's first two bins, unused before the first pass, and published through w_state, so
// that the kernel declares no workgroup memory for them (on the H100's Vulkan driver a kernel's
// workgroup declarations have cost time by themselves).
fn first_digit(lid: u32, q0: Quad, q1: Quad, q2: Quad, q3: Quad) -> vec2<u32> {
    let top = KEY_BITS - HELD_DIGIT_BITS;
    if !RANGE_DIGIT {
        return vec2<u32>(top, 0u);
    }
    if lid == 0u {
        atomicStore(&hist[0], NONE);
        atomicStore(&hist[1], 0u);
    }
    workgroupBarrier();
    let lo = min(min(live_or(q0, NONE), live_or(q1, NONE)), min(live_or(q2, NONE), live_or(q3, NONE)));
    let hi = max(max(live_or(q0, 0u), live_or(q1, 0u)), max(live_or(q2, 0u), live_or(q3, 0u)));
    atomicMin(&hist[0], min(min(lo.x, lo.y), min(lo.z, lo.w)));
    atomicMax(&hist[1], max(max(hi.x, hi.y), max(hi.z, hi.w)));
    workgroupBarrier();
    if lid == 0u {
        let low = atomicLoad(&hist[0]);
        let high = atomicLoad(&hist[1]);  // no live key: nothing is counted
        var shift = 0u;
        while shift < top && (high >> shift) - (low >> shift) >= HELD_BINS {
            shift += 1u;
        }
        w_state = vec4<u32>(shift, low >> shift, 0u, 0u);
    }
    return workgroupUniformLoad(&w_state).xy;
}

// 1 for each live key above the prefix, 0x10000 for each equal to it.
fn tally_quad(q: Quad, prefix: u32, mask: u32) -> u32 {
    let live = q.live;
    let m = q.keys & vec4<u32>(mask);
    let t = select(vec4<u32>(0u), vec4<u32>(1u), live & (m > vec4<u32>(prefix)))
        + select(vec4<u32>(0u), vec4<u32>(0x10000u), live & (m == vec4<u32>(prefix)));
    return t.x + t.y + t.z + t.w;
}

// Puts a winner in its slot. at: keys above the prefix so far (x), keys equal to it so far (y),
// equal keys taken (z = need); a winner's slot counts the earlier ones.
fn place(key: u32, idx: u32, live: bool, prefix: u32, mask: u32, at: ptr<function, vec3<u32>>) {
    let m = key & mask;
    if !live | (m < prefix) {
        return;
    }
    let p = *at;
    if m > prefix {
        put_winner(p.x + min(p.y, p.z), vec2<u32>(key, idx));
        (*at).x += 1u;
    } else {
        if p.y < p.z {
            put_winner(p.x + p.y, vec2<u32>(key, idx));
        }
        (*at).y += 1u;
    }
}

fn place_quad(q: Quad, prefix: u32, mask: u32, at: ptr<function, vec3<u32>>) {
    place(q.keys.x, q.idx.x, q.live.x, prefix, mask, at);
    place(q.keys.y, q.idx.y, q.live.y, prefix, mask, at);
    place(q.keys.z, q.idx.z, q.live.z, prefix, mask, at);
    place(q.keys.w, q.idx.w, q.live.w, prefix, mask, at);
}

fn workgroup_main(lid: u32, row: u32) {
    if row >= prm.rows {
        return;
    }
    let base = prm.offset + row * prm.row_stride;
    let col = lid * HELD;
    let q0 = quad_at(row, base, col);
    let q1 = quad_at(row, base, col + 4u);
    let q2 = quad_at(row, base, col + 8u);
    let q3 = quad_at(row, base, col + 12u);

    // A row no longer than k is taken whole: prefix 0 under mask 0 matches every key.
    var state = first_state();
    if select(prm.cols, prm.in_slots, PAIRS) > state.z {
        let first = first_digit(lid, q0, q1, q2, q3);
        var shift = first.x;
        clear_hist(lid, HELD_BINS);
        count_quad(q0, 0u, 0u, shift, first.y, HELD_BINS);
        count_quad(q1, 0u, 0u, shift, first.y, HELD_BINS);
        count_quad(q2, 0u, 0u, shift, first.y, HELD_BINS);
        count_quad(q3, 0u, 0u, shift, first.y, HELD_BINS);
        state = narrow(lid, state, shift, HELD_BINS);
        if state.y != 0u {
            // the picked digit d stands for the keys whose bits from `shift` up are base + d
            state.x = (first.y + (state.x >> shift)) << shift;
            state.y = NONE << shift;
        }
        while state.w == 0u {
            // whole digits below the top byte; below a fitted one, a last digit may be narrower
            let bits = select(HELD_DIGIT_BITS, min(HELD_DIGIT_BITS, shift), RANGE_DIGIT);
            shift -= bits;
            clear_hist(lid, 1u << bits);
            count_quad(q0, state.x, state.y, shift, 0u, 1u << bits);
            count_quad(q1, state.x, state.y, shift, 0u, 1u << bits);
            count_quad(q2, state.x, state.y, shift, 0u, 1u << bits);
            count_quad(q3, state.x, state.y, shift, 0u, 1u << bits);
            state = narrow(lid, state, shift, 1u << bits);
        }
    }
    let prefix = state.x;
    let mask = state.y;
    let need = state.z;

    let counts = tally_quad(q0, prefix, mask) + tally_quad(q1, prefix, mask)
        + tally_quad(q2, prefix, mask) + tally_quad(q3, prefix, mask);
    let sc = scan_exclusive(counts, lid);
    var at = vec3<u32>(sc.x & 0xffffu, sc.x >> 16u, need);
    place_quad(q0, prefix, mask, &at);
    place_quad(q1, prefix, mask, &at);
    place_quad(q2, prefix, mask, &at);
    place_quad(q3, prefix, mask, &at);
    for (var i = prm.k + lid; i < prm.sort_n; i += WG) {
        put_winner(i, vec2<u32>(0u, NONE));
    }
    workgroupBarrier();
    if SORTED {
        sort_winners(lid, prm.sort_n);
    }
    write_rows(lid, row, 1u, prm.sort_n);
}
