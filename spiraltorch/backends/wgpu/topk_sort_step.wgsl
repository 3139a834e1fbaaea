// One compare-exchange step of a bitonic sort at distance `dist` >= the local block, stage
// `stage`, over `sort_n` (key, index) pairs per row in global memory; best first.

override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read_write> dst: array<u32>;
@group(0) @binding(1) var<uniform> prm: Params;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = group_index(wid, nwg) * WG + lid;
    let half = prm.sort_n / 2u;
    if t >= prm.rows * half {
        return;
    }
    let row = t / half;
    let lo = ((t % half) / prm.dist) * 2u * prm.dist + (t % prm.dist);
    let a_at = 2u * (row * prm.sort_n + lo);
    let b_at = 2u * (row * prm.sort_n + lo + prm.dist);
    let a = vec2<u32>(dst[a_at], dst[a_at + 1u]);
    let b = vec2<u32>(dst[b_at], dst[b_at + 1u]);
    if ranks_before(b, a) == ((lo & prm.stage) == 0u) {
        dst[a_at] = b.x;
        dst[a_at + 1u] = b.y;
        dst[b_at] = a.x;
        dst[b_at + 1u] = a.y;
    }
}
