// A key that at least `groups` elements of a segment reach, found before the segment is read:
// with groups = k, no element below it can be among the segment's top k. Each invocation takes
// the best key of a few units of its own (of the word units, or of the single units when the
// words are fewer than the invocations), the invocations form `groups` groups (lid % groups),
// and the floor is the lowest of the group maxima. Those maxima are distinct
// elements that reach it, so kernels may ignore every key below it; keys equal to it still count
// (ties go by index). 0, which ignores nothing, where the units are fewer than the invocations
// or `groups` exceeds them. Dead elements count as key 0, the lowest. A few atomics and barriers:
// ranking the invocations' keys instead costs WG steps per invocation, as much as reading a
// short row.
// The kernel declares `WG` (at most 256) and sets `floor_key`.

var<workgroup> floor_group: array<atomic<u32>, 256>;
var<workgroup> floor_low: atomic<u32>;
var<workgroup> floor_pick: u32;
var<private> floor_key: u32;
// Units each invocation reads for the floor (units lid, lid + WG, ...): more raise the floor, and
// the sweep that follows finds them in cache. Many groups need the larger sample to keep their
// lowest maximum high (H100, rows of 32000 columns: 8 beat 1, 2, 4 and 16 for k = 8; 16 beat 8
// for k = 32, 0.528 -> 0.480 ms float32, and k = 128, 0.602 -> 0.551 ms float16).
const FLOOR_UNITS: u32 = 8u;
const FLOOR_UNITS_MANY_GROUPS: u32 = 16u;
const MANY_GROUPS: u32 = 32u;

fn segment_floor(lid: u32, s: Segment, groups: u32) -> u32 {
    var mode = s.word_mode;
    var units = word_units(s);
    if units < WG {
        mode = single_mode();
        units = single_units(s);
    }
    if units < WG || groups > WG {
        return 0u;
    }
    let at = vec4<u32>(0u, 1u, 2u, 3u);
    var m = vec4<u32>(0u);
    let sample = select(FLOOR_UNITS, FLOOR_UNITS_MANY_GROUPS, groups >= MANY_GROUPS);
    for (var j = 0u; j < sample && lid + j * WG < units; j++) {
        let un = load_unit(s, mode, lid + j * WG);
        m = max(m, select(vec4<u32>(0u), un.lo, at < vec4<u32>(un.n)));
        m = max(m, select(vec4<u32>(0u), un.hi, at + vec4<u32>(4u) < vec4<u32>(un.n)));
    }
    if lid < groups {
        atomicStore(&floor_group[lid], 0u);
    }
    if lid == 0u {
        atomicStore(&floor_low, 0xffffffffu);
    }
    workgroupBarrier();
    atomicMax(&floor_group[lid % groups], max(max(m.x, m.y), max(m.z, m.w)));
    workgroupBarrier();
    if lid < groups {
        atomicMin(&floor_low, atomicLoad(&floor_group[lid]));
    }
    workgroupBarrier();
    if lid == 0u {
        floor_pick = atomicLoad(&floor_low);
    }
    return workgroupUniformLoad(&floor_pick);
}
