// The floor of each chunk of a two-pass selection (topk_floor.wgsl with ceil(k / full) groups,
// for the `full` chunks of seg_len columns a row has): every full chunk of a row has that many
// elements at or above its floor, so together they have at least k at or above the lowest of
// their floors, and no element below that lowest floor can be among the row's top k. A shorter
// last chunk writes NONE, which takes no part. The selection reads the row's floors and passes
// over what lies below.

override WG: u32 = 256u;
override PAIRS: bool = false;

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read> src4: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> floors: array<u32>;
@group(0) @binding(3) var<uniform> prm: Params;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let group = group_index(wid, nwg);
    if group / prm.nseg >= prm.rows {
        return;
    }
    let full = prm.cols / prm.seg_len;
    if group % prm.nseg >= full {
        if lid == 0u {
            floors[group] = NONE;
        }
        return;
    }
    let floor = segment_floor(lid, segment_of_group(group), (prm.k + full - 1u) / full);
    if lid == 0u {
        floors[group] = floor;
    }
}
