// The compaction of topk_floor_compact.wgsl on the workgroup scan (portable).

fn compact_candidates(lid: u32, s: Segment, floor: u32, first: u32) -> bool {
    return compact_all(lid, s, floor, first);
}
