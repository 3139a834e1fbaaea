// Scalar helpers shared by the generated kernels: IEEE classification by bits (immune to
// fast-math folding of x != x), torch-compatible float functions, and int64 on (lo, hi) u32 pairs.

fn st_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn st_isinf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
fn st_isfinite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) < 0x7f800000u; }
fn st_nan() -> f32 { return bitcast<f32>(0x7fc00000u); }
fn st_inf() -> f32 { return bitcast<f32>(0x7f800000u); }

fn st_log(x: f32) -> f32 {
    if (x < 0.0 || st_isnan(x)) { return st_nan(); }
    if (x == 0.0) { return -st_inf(); }
    return log(x);
}
fn st_sqrt(x: f32) -> f32 { return select(sqrt(x), st_nan(), x < 0.0 || st_isnan(x)); }
fn st_rsqrt(x: f32) -> f32 {
    if (x == 0.0) { return select(st_inf(), -st_inf(), bitcast<u32>(x) != 0u); }
    return 1.0 / st_sqrt(x);
}
fn st_log1p(x: f32) -> f32 {
    if (x < -1.0 || st_isnan(x)) { return st_nan(); }
    if (st_isinf(x)) { return x; }
    let u = 1.0 + x;
    if (u == 1.0) { return x; }
    if (u == 0.0) { return -st_inf(); }
    return log(u) * (x / (u - 1.0));
}
fn st_tanh(x: f32) -> f32 {
    if (st_isnan(x)) { return x; }
    let t = exp(-2.0 * abs(x));
    let r = (1.0 - t) / (1.0 + t);
    return select(r, -r, x < 0.0);
}
fn st_sigmoid(x: f32) -> f32 {
    if (st_isnan(x)) { return x; }
    if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
    let e = exp(x);
    return e / (1.0 + e);
}
fn st_sign(x: f32) -> f32 { return select(select(0.0, 1.0, x > 0.0), -1.0, x < 0.0); }
// by bits: drivers may turn a compare-and-select into a NaN-dropping max
fn st_relu(x: f32) -> f32 {
    let b = bitcast<u32>(x);
    return select(x, 0.0, b > 0x80000000u && b <= 0xff800000u);
}
fn st_maximum(a: f32, b: f32) -> f32 {
    if (st_isnan(a) || st_isnan(b)) { return st_nan(); }
    return select(b, a, a > b);
}
fn st_minimum(a: f32, b: f32) -> f32 {
    if (st_isnan(a) || st_isnan(b)) { return st_nan(); }
    return select(b, a, a < b);
}
fn st_fmod(a: f32, b: f32) -> f32 {
    if (st_isnan(a) || st_isnan(b) || st_isinf(a) || b == 0.0) { return st_nan(); }
    if (st_isinf(b)) { return a; }
    let r = a - b * trunc(a / b);
    // the quotient estimate may be one off; the result must lie in [0, |b|) with a's sign
    let m = abs(b);
    var q = abs(r);
    if (q >= m) { q = q - m; }
    return select(q, -q, a < 0.0 || (a == 0.0 && bitcast<u32>(a) != 0u));
}
fn st_remainder(a: f32, b: f32) -> f32 {
    let r = st_fmod(a, b);
    if (r != 0.0 && ((r < 0.0) != (b < 0.0))) { return r + b; }
    return r;
}
fn st_floor_divide(a: f32, b: f32) -> f32 {
    if (b == 0.0 || st_isinf(b) || st_isnan(a) || st_isnan(b)) { return floor(a / b); }
    return floor((a - st_remainder(a, b)) / b + 0.5);
}
fn st_powf(a: f32, b: f32) -> f32 {
    if (b == 0.0 || a == 1.0) { return 1.0; }
    if (st_isnan(a) || st_isnan(b)) { return st_nan(); }
    let m = abs(a);
    if (m == 1.0 && st_isinf(b)) { return 1.0; }
    var r: f32;
    if (m == 0.0) {
        r = select(0.0, st_inf(), b < 0.0);
    } else if (st_isinf(m)) {
        r = select(st_inf(), 0.0, b < 0.0);
    } else {
        r = pow(m, b);
    }
    if (bitcast<u32>(a) >= 0x80000000u) {
        if (floor(b) != b) { return select(st_nan(), r, m == 0.0 || st_isinf(m)); }
        let half = b * 0.5;
        if (abs(b) < 16777216.0 && floor(half) != half) { return -r; }
    }
    return r;
}

// Truncated quotient and remainder (b != 0) from unsigned magnitudes, so that every driver agrees.
fn st_divmod_i(a: i32, b: i32) -> vec2<i32> {
    let ua = bitcast<u32>(select(a, -a, a < 0));
    let ub = bitcast<u32>(select(b, -b, b < 0));
    let q = bitcast<i32>(ua / ub);
    let r = bitcast<i32>(ua - (ua / ub) * ub);
    return vec2<i32>(select(q, -q, (a < 0) != (b < 0)), select(r, -r, a < 0));
}
fn st_fmod_i(a: i32, b: i32) -> i32 {
    if (b == 0) { return 0; }
    return st_divmod_i(a, b).y;
}
fn st_remainder_i(a: i32, b: i32) -> i32 {
    if (b == 0) { return 0; }
    let r = st_divmod_i(a, b).y;
    return select(r, r + b, r != 0 && ((r < 0) != (b < 0)));
}
fn st_floor_divide_i(a: i32, b: i32) -> i32 {
    if (b == 0) { return 0; }
    let qr = st_divmod_i(a, b);
    return select(qr.x, qr.x - 1, qr.y != 0 && ((a < 0) != (b < 0)));
}
fn st_pow_i(a: i32, b: i32) -> i32 {
    if (b < 0) {
        if (a == 1) { return 1; }
        if (a == -1) { return select(1, -1, (b & 1) != 0); }
        return 0;
    }
    // two's-complement products wrap to the same bits as unsigned ones
    return bitcast<i32>(st_pow_u(bitcast<u32>(a), u32(b)));
}
fn st_pow_u(a: u32, b: u32) -> u32 {
    var r = 1u;
    var base = a;
    var e = b;
    loop {
        if (e == 0u) { break; }
        if ((e & 1u) != 0u) { r = r * base; }
        base = base * base;
        e = e >> 1u;
    }
    return r;
}

// int64 as vec2<u32>(lo, hi), two's complement.
fn l_add(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let lo = a.x + b.x;
    return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}
fn l_neg(a: vec2<u32>) -> vec2<u32> { return l_add(~a, vec2<u32>(1u, 0u)); }
fn l_sub(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return l_add(a, l_neg(b)); }
fn l_mul_wide(a: u32, b: u32) -> vec2<u32> {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
    let lo = (p00 & 0xffffu) | (mid << 16u);
    let hi = a1 * b1 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
    return vec2<u32>(lo, hi);
}
fn l_mul(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let p = l_mul_wide(a.x, b.x);
    return vec2<u32>(p.x, p.y + a.x * b.y + a.y * b.x);
}
fn l_isneg(a: vec2<u32>) -> bool { return a.y >= 0x80000000u; }
fn l_eq(a: vec2<u32>, b: vec2<u32>) -> bool { return a.x == b.x && a.y == b.y; }
fn l_lt(a: vec2<u32>, b: vec2<u32>) -> bool {
    let ah = bitcast<i32>(a.y);
    let bh = bitcast<i32>(b.y);
    return ah < bh || (ah == bh && a.x < b.x);
}
fn l_ult(a: vec2<u32>, b: vec2<u32>) -> bool { return a.y < b.y || (a.y == b.y && a.x < b.x); }
fn l_nz(a: vec2<u32>) -> bool { return (a.x | a.y) != 0u; }
fn l_abs(a: vec2<u32>) -> vec2<u32> { return select(a, l_neg(a), l_isneg(a)); }
fn l_max(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return select(b, a, l_lt(b, a)); }
fn l_min(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> { return select(b, a, l_lt(a, b)); }
fn l_sign(a: vec2<u32>) -> vec2<u32> {
    if (l_isneg(a)) { return vec2<u32>(0xffffffffu, 0xffffffffu); }
    return vec2<u32>(select(0u, 1u, l_nz(a)), 0u);
}
fn l_from_i32(x: i32) -> vec2<u32> { return vec2<u32>(bitcast<u32>(x), select(0u, 0xffffffffu, x < 0)); }
fn l_to_f32(a: vec2<u32>) -> f32 {
    let m = l_abs(a);
    let r = f32(m.y) * 4294967296.0 + f32(m.x);
    return select(r, -r, l_isneg(a));
}
fn l_from_f32(x: f32) -> vec2<u32> {
    let t = trunc(abs(x));
    if (st_isnan(x)) { return vec2<u32>(0u, 0x80000000u); }
    let hi = floor(t / 4294967296.0);
    let lo = t - hi * 4294967296.0;
    let m = vec2<u32>(u32(lo), u32(min(hi, 2147483647.0)));
    return select(m, l_neg(m), x < 0.0);
}
// unsigned 64-bit division by shift-subtract; b != 0
fn l_udivmod(a: vec2<u32>, b: vec2<u32>) -> array<vec2<u32>, 2> {
    var q = vec2<u32>(0u, 0u);
    var r = vec2<u32>(0u, 0u);
    for (var i = 63; i >= 0; i--) {
        r = vec2<u32>((r.x << 1u), (r.y << 1u) | (r.x >> 31u));
        let bit = select(a.x >> u32(i), a.y >> u32(i - 32), i >= 32) & 1u;
        r.x = r.x | bit;
        if (!l_ult(r, b)) {
            r = l_sub(r, b);
            if (i >= 32) { q.y = q.y | (1u << u32(i - 32)); } else { q.x = q.x | (1u << u32(i)); }
        }
    }
    return array<vec2<u32>, 2>(q, r);
}
fn l_div_trunc(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    if (!l_nz(b)) { return vec2<u32>(0u, 0u); }
    let qr = l_udivmod(l_abs(a), l_abs(b));
    return select(qr[0], l_neg(qr[0]), l_isneg(a) != l_isneg(b));
}
fn l_fmod(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    if (!l_nz(b)) { return vec2<u32>(0u, 0u); }
    let qr = l_udivmod(l_abs(a), l_abs(b));
    return select(qr[1], l_neg(qr[1]), l_isneg(a));
}
fn l_remainder(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let r = l_fmod(a, b);
    return select(r, l_add(r, b), l_nz(r) && (l_isneg(r) != l_isneg(b)));
}
fn l_floor_divide(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let q = l_div_trunc(a, b);
    let adjust = l_nz(l_fmod(a, b)) && (l_isneg(a) != l_isneg(b));
    return select(q, l_sub(q, vec2<u32>(1u, 0u)), adjust);
}
fn l_pow(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    var r = vec2<u32>(1u, 0u);
    if (l_isneg(b)) {  // only 1 and -1 have integer negative powers
        if (l_eq(a, r)) { return r; }
        if (l_eq(a, vec2<u32>(0xffffffffu, 0xffffffffu))) { return select(r, a, (b.x & 1u) != 0u); }
        return vec2<u32>(0u, 0u);
    }
    var base = a;
    var e = b;
    loop {
        if (!l_nz(e)) { break; }
        if ((e.x & 1u) != 0u) { r = l_mul(r, base); }
        base = l_mul(base, base);
        e = vec2<u32>((e.x >> 1u) | (e.y << 31u), e.y >> 1u);
    }
    return r;
}

// Order-preserving u32 key of a float: -0.0 and +0.0 share a key; NaN is above +inf.
fn st_fkey(x: f32) -> u32 {
    if (st_isnan(x)) { return 0xffffffffu; }
    let b = select(bitcast<u32>(x), 0u, x == 0.0);
    return b ^ select(0x80000000u, 0xffffffffu, b >= 0x80000000u);
}
