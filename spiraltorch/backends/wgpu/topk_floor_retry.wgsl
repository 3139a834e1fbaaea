// The rows whose floor failed in topk_floor_compact.wgsl, as topk_floor_later.wgsl listed them:
// each of the dispatch's GROUPS workgroups selects the top k of every GROUPS-th listed row by radix
// select (topk_radix_select.wgsl) into the row's candidate slots. The count word `failed` holds the
// listed rows in its low COUNT_BITS and, above them, the workgroups that have read it; the last to
// read it sets it back to zero for the next call, so the word needs no clearing of its own.

override WG: u32 = 256u;
override KL: u32 = 1u;
override DIGIT_BITS: u32 = 11u;
override GROUPS: u32 = 64u;  // workgroups of the dispatch (at most 2^(32 - COUNT_BITS))

const PAIRS: bool = false;
const COUNT_BITS: u32 = 24u;

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read> src4: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec2<u32>>;  // (key, index) pairs
@group(0) @binding(3) var<storage, read_write> failed_rows: array<u32>;
@group(0) @binding(4) var<storage, read_write> failed: atomic<u32>;
@group(0) @binding(5) var<uniform> prm: Params;

var<workgroup> w_word: u32;

// The listed rows, the same in every invocation; counts this workgroup as having read them.
fn listed_rows(lid: u32) -> u32 {
    if lid == 0u {
        let seen = atomicAdd(&failed, 1u << COUNT_BITS);
        if (seen >> COUNT_BITS) + 1u == GROUPS {
            atomicStore(&failed, 0u);
        }
        w_word = seen & ((1u << COUNT_BITS) - 1u);
    }
    return workgroupUniformLoad(&w_word);
}

// Row i of the list, the same in every invocation.
fn listed_row(lid: u32, i: u32) -> u32 {
    if lid == 0u {
        w_word = failed_rows[i];
    }
    return workgroupUniformLoad(&w_word);
}

fn workgroup_main(lid: u32, group: u32) {
    let count = listed_rows(lid);
    for (var i = group; i < count; i += GROUPS) {
        // A count left over by a compaction recorded without this dispatch may name rows of
        // another call: the top k of any row of this one is still right, and others are skipped.
        let row = listed_row(lid, i);
        if row < prm.rows {
            radix_select(lid, segment_of(row, 0u, prm.cols), row * prm.out_slots);
        }
    }
}
