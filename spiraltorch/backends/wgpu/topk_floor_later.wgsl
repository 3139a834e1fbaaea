// What topk_floor_compact.wgsl does with a row whose floor failed: it lists the row for the
// dispatch after it (topk_floor_retry.wgsl), which selects its top k by radix select. The radix
// select's code in the compaction kernel slowed even rows whose floor holds (H100, float32: 4096 x
// 32000 k=1024 0.335 -> 0.313 ms without it).

@group(0) @binding(3) var<storage, read_write> failed_rows: array<u32>;
@group(0) @binding(4) var<storage, read_write> failed: atomic<u32>;  // rows listed (low 24 bits)

fn floor_failed(lid: u32, s: Segment, first: u32, group: u32) {
    if lid == 0u {
        failed_rows[atomicAdd(&failed, 1u)] = group;
    }
}
