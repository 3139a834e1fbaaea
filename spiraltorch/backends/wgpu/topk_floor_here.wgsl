// What topk_floor_compact.wgsl does with a row whose floor failed: the same workgroup selects its
// top k by radix select (topk_radix_select.wgsl) into its slots.

fn floor_failed(lid: u32, s: Segment, first: u32, group: u32) {
    storageBarrier();  // the compaction's writes to the slots come first
    radix_select(lid, s, first);
}
