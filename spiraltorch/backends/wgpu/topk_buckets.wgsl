// Radix-select bookkeeping shared by the select kernels: a histogram `hist` of one digit of the
// keys under a prefix (HIST_BINS buckets at most), a workgroup scan, and the pick of the bucket
// that holds the need-th key from the top. The kernel declares `WG` (at most 256), `prm` and
// `scan_exclusive(v, lid)`, which returns (exclusive prefix of v, total) over the workgroup.

override HIST_BINS: u32 = 2048u;

var<workgroup> hist: array<atomic<u32>, HIST_BINS>;
var<workgroup> scan_buf: array<u32, 256>;
var<workgroup> w_state: vec4<u32>;  // prefix, mask, need, done
var<workgroup> w_bucket: u32;  // keys in the bucket the last narrow picked

// Inclusive Hillis-Steele scan over the workgroup: (exclusive prefix of v, total).
fn scan_workgroup(v: u32, lid: u32) -> vec2<u32> {
    scan_buf[lid] = v;
    workgroupBarrier();
    var acc = v;
    for (var off = 1u; off < WG; off = off * 2u) {
        if lid >= off {
            acc += scan_buf[lid - off];
        }
        workgroupBarrier();
        scan_buf[lid] = acc;
        workgroupBarrier();
    }
    let total = scan_buf[WG - 1u];
    workgroupBarrier();
    return vec2<u32>(acc - v, total);
}

// The state before the first digit: (prefix, mask, need, done) = (0, 0, k, 0).
fn first_state() -> vec4<u32> {
    return vec4<u32>(0u, 0u, prm.k, 0u);
}

// Digit (key >> shift) & (bins - 1) of the keys under `prefix`, counted in `hist`.
fn count_key_under(key: u32, live: bool, prefix: u32, mask: u32, shift: u32, bins: u32) {
    if live & ((key & mask) == prefix) {
        atomicAdd(&hist[(key >> shift) & (bins - 1u)], 1u);
    }
}

fn count_quad_under(keys: vec4<u32>, live: u32, prefix: u32, mask: u32, shift: u32, bins: u32) {
    // After the first digit, most quads hold no key under the prefix: one vector test.
    if !any((keys & vec4<u32>(mask)) == vec4<u32>(prefix)) {
        return;
    }
    count_key_under(keys.x, live > 0u, prefix, mask, shift, bins);
    count_key_under(keys.y, live > 1u, prefix, mask, shift, bins);
    count_key_under(keys.z, live > 2u, prefix, mask, shift, bins);
    count_key_under(keys.w, live > 3u, prefix, mask, shift, bins);
}

// Zeroes the first `bins` buckets before a digit is counted.
fn clear_hist(lid: u32, bins: u32) {
    for (var b = lid; b < bins; b += WG) {
        atomicStore(&hist[b], 0u);
    }
    workgroupBarrier();
}

// Once every invocation has counted its keys of the digit at `shift` under the state's prefix:
// the state narrowed to the bucket holding the need-th key, the same in every invocation.
fn narrow(lid: u32, state: vec4<u32>, shift: u32, bins: u32) -> vec4<u32> {
    workgroupBarrier();
    pick_bucket(lid, state.x, state.y, state.z, shift, bins);
    return workgroupUniformLoad(&w_state);
}

// The keys counted in the bucket the last `narrow` picked (where it picked one), the same in every
// invocation.
fn picked_bucket_keys() -> u32 {
    return workgroupUniformLoad(&w_bucket);
}

// Finds the bucket of this digit that holds the need-th key (counting from the top) and
// publishes the narrowed prefix in w_state. Each invocation sums a run of buckets, a scan over
// the runs finds the one run that crosses `need`, and its owner walks it.
fn pick_bucket(lid: u32, prefix: u32, mask: u32, need: u32, shift: u32, bins: u32) {
    let per = max(bins / WG, 1u);
    let first = lid * per;  // buckets counted from the top
    var run = 0u;
    if first < bins {
        for (var i = 0u; i < per; i++) {
            run += atomicLoad(&hist[bins - 1u - first - i]);
        }
    }
    let sc = scan_exclusive(run, lid);
    if lid == 0u && sc.y < need {
        w_state = vec4<u32>(prefix, mask, need, 1u);
    }
    if first < bins && sc.x < need && sc.x + run >= need {
        var cum = sc.x;
        for (var i = 0u; i < per; i++) {
            let b = bins - 1u - first - i;
            let h = atomicLoad(&hist[b]);
            if cum + h >= need {
                let done = h == need - cum || shift == 0u;
                w_state = vec4<u32>(prefix | (b << shift), mask | ((bins - 1u) << shift),
                                    need - cum, select(0u, 1u, done));
                w_bucket = h;
                break;
            }
            cum += h;
        }
    }
}
