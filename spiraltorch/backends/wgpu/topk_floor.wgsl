// A key that at least `groups` elements of a segment reach, found before the segment is read:
// with groups = k, no element below it can be among the segment's top k. Each invocation takes
// the best key of a few units of its own (of the word units, or of the single units when the
// words are fewer than the invocations), the invocations form GROUPS_PER_KEY * groups groups
// (lid % formed groups, at most WG), and the floor is the `groups`-th largest group maximum:
// group maxima are distinct elements, so `groups` of them reach it, and kernels may ignore every
// key below it; keys equal to it still count (ties go by index). Taking it from twice as many
// groups as it needs raises it well above the lowest of `groups` maxima (random normal rows of
// 32000 columns, k=32: about 86 elements above it instead of 251). 0, which ignores nothing,
// where the units are fewer than the invocations or `groups` exceeds them. Dead elements count
// as key 0, the lowest. Each formed group counts the maxima at or above its own: one workgroup
// read per formed group, in as many invocations.
// The kernel declares `WG` (at most 256) and sets `floor_key`.

var<workgroup> floor_group: array<atomic<u32>, 256>;
var<workgroup> floor_best: atomic<u32>;
var<workgroup> floor_pick: u32;
var<private> floor_key: u32;
// Units each invocation reads for the floor (units lid, lid + WG, ...): more raise the floor, and
// the sweep that follows finds them in cache. Many groups need the larger sample to keep their
// maxima high (H100, rows of 32000 columns: 8 beat 1, 2, 4 and 16 for k = 8 and k = 32, 0.436 ->
// 0.430 ms float32, 0.305 -> 0.291 ms float16; 16 beat 8 for k = 128, 0.750 -> 0.669 ms float32).
const FLOOR_UNITS: u32 = 8u;
const FLOOR_UNITS_MANY_GROUPS: u32 = 16u;
const MANY_GROUPS: u32 = 64u;
// Groups formed per group the floor needs (H100, 4096 x 32000 float32: k=8 0.363 -> 0.338 ms,
// k=32 0.483 -> 0.436, k=128 0.726 -> 0.669 with 2; 4 no better, and one group per invocation
// slower: counting then costs more than it saves).
const GROUPS_PER_KEY: u32 = 2u;

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
    let formed = min(GROUPS_PER_KEY * groups, WG);
    if lid < formed {
        atomicStore(&floor_group[lid], 0u);
    }
    if lid == 0u {
        atomicStore(&floor_best, 0u);
    }
    workgroupBarrier();
    atomicMax(&floor_group[lid % formed], max(max(m.x, m.y), max(m.z, m.w)));
    workgroupBarrier();
    if lid < formed {
        let mine = atomicLoad(&floor_group[lid]);
        var reach = 0u;  // group maxima at or above this one
        for (var g = 0u; g < formed; g++) {
            reach += select(0u, 1u, atomicLoad(&floor_group[g]) >= mine);
        }
        if reach >= groups {
            atomicMax(&floor_best, mine);
        }
    }
    workgroupBarrier();
    if lid == 0u {
        floor_pick = atomicLoad(&floor_best);
    }
    return workgroupUniformLoad(&floor_pick);
}
