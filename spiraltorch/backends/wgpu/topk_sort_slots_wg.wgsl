// `sort_slots` of a kernel that sorts in workgroup memory only: the block sort of the files
// before it (`sort_block`: topk_bitonic.wgsl or topk_radix_sort.wgsl).

fn sort_slots(lid: u32, block: u32, n: u32, base: u32) {
    sort_block(lid, block, n, base);
}
