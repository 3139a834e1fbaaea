// Merging sorted runs of a 1-D sort: each element of a sorted run Q adds to its place in the
// whole the number of elements of another sorted run R that come before it, found by binary
// search on the order keys. R's elements equal to it come first when R lies earlier in the input
// (`inclusive`), so equal keys keep index order. The first run counted (`fresh`) also starts
// each place at the element's position in Q.
$ENABLE
struct Params { n_run: u32, n_query: u32, descending: u32, inclusive: u32, run_offset: u32,
                query_offset: u32, fresh: u32 }

@group(0) @binding(0) var<storage, read_write> places: array<vec2<u32>>;
@group(0) @binding(1) var<storage, read> run: array<$T>;
@group(0) @binding(2) var<storage, read> query: array<$T>;
@group(0) @binding(3) var<uniform> p: Params;

$LIB

fn order_key(v: $T) -> vec2<u32> {
    let k = $KEY;
    return select(k, ~k, p.descending != 0u);
}

fn precedes(a: vec2<u32>, b: vec2<u32>) -> bool {
    return a.x < b.x || (a.x == b.x && (a.y < b.y || (p.inclusive != 0u && a.y == b.y)));
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    let t = (wid.y * nwg.x + wid.x) * 256u + lid;
    if (t >= p.n_query) { return; }
    let q = order_key(query[p.query_offset + t]);
    var lo = 0u;
    var hi = p.n_run;
    while (lo < hi) {
        let mid = lo + (hi - lo) / 2u;
        if (precedes(order_key(run[p.run_offset + mid]), q)) { lo = mid + 1u; } else { hi = mid; }
    }
    if (p.fresh != 0u) {
        places[t] = vec2<u32>(t + lo, 0u);
    } else {
        places[t].x += lo;
    }
}
