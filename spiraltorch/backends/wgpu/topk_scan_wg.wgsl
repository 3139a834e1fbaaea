// A workgroup scan in workgroup memory, `scan_exclusive(v, lid)` -> (exclusive prefix of v,
// total): scan_workgroup of topk_buckets.wgsl (portable).

fn scan_exclusive(v: u32, lid: u32) -> vec2<u32> {
    return scan_workgroup(v, lid);
}
