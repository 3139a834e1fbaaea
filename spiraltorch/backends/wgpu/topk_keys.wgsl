// TopK input reading and order-preserving keys; the kernel declares `src` (array<u32>).
//
// Elements are read as raw bits (16-bit floats two to a u32 word), so no shader-f16 is needed.
// Floats: every NaN maps to the top key, -0.0 to +0.0's key, negatives are bit-flipped; signed
// ints flip the sign bit; unsigned ints are their own key. largest=false flips every key bit,
// so ascending order with NaN last follows from the same "larger key first" rule. The element
// format is fixed per pipeline (the host sets these three), so the driver compiles the reading
// and keying of one dtype only: branches on the format fold away, and the code and registers of
// the other formats' paths are gone (H100, Vulkan, 4096 x 32000 float32: k=32 0.429 -> 0.359 ms,
// k=1024 0.938 -> 0.790, against the format in the uniform block). `largest` stays in the
// uniform block: fixing it too gained 1 to 3% for twice the pipelines.

override ELEM_BITS: u32;  // stored bits per element: 32 or 16 (two to a u32 word)
override KEY_BITS: u32;   // significant bits of a key: 32, 16 or 8
override KEY_KIND: u32;   // 0 float, 1 signed int, 2 unsigned int

fn key_mask() -> u32 {
    return 0xffffffffu >> (32u - KEY_BITS);
}

// The stored bits of the element at linear element position `lin`.
fn read_bits(lin: u32) -> u32 {
    if ELEM_BITS == 32u {
        return src[lin];
    }
    let per = 32u / ELEM_BITS;
    let word = src[lin / per];
    return (word >> ((lin % per) * ELEM_BITS)) & (0xffffffffu >> (32u - ELEM_BITS));
}

// The stored bits of the element of key `key` at column `col` of the row whose column 0 is at
// element `base`: from the key, or read from the input where the key does not give them (NaN
// payloads, the sign of zero).
fn element_bits(key: u32, base: u32, col: u32) -> u32 {
    let bits = bits_of_key(key);
    if bits != NONE {
        return bits;
    }
    return read_bits(base + col * prm.col_stride);
}

// Keys of four raw elements at once (vector operations: one pass of selects for four keys).
fn keys4(raw: vec4<u32>) -> vec4<u32> {
    let mask = vec4<u32>(key_mask());
    let bits = raw & mask;
    let sign = vec4<u32>(1u << (KEY_BITS - 1u));
    var key = bits;
    if KEY_KIND == 0u {
        let inf = vec4<u32>(select(0x7c00u, 0x7f800000u, KEY_BITS == 32u));
        let mag = bits & (sign - 1u);
        key = select(bits | sign, ~bits & mask, (bits & sign) != vec4<u32>(0u));
        key = select(key, sign, mag == vec4<u32>(0u));
        key = select(key, mask, mag > inf);
    } else if KEY_KIND == 1u {
        key = bits ^ sign;
    }
    if prm.largest == 0u {
        key = key ^ mask;
    }
    return key;
}

// The stored bits of the element whose key is `key`, or NONE where the key does not tell: the one
// key of every NaN (payloads differ) and of both zeros (signs differ); those read the input.
fn bits_of_key(key: u32) -> u32 {
    let mask = key_mask();
    let sign = 1u << (KEY_BITS - 1u);
    var k = key;
    if prm.largest == 0u {
        k = k ^ mask;
    }
    if KEY_KIND == 0u {
        if k == sign || k == mask {
            return NONE;
        }
        return select(~k & mask, k ^ sign, (k & sign) != 0u);
    }
    if KEY_KIND == 1u {
        return k ^ sign;
    }
    return k;
}

// The 16-bit halves of a and b, each low half first.
fn halves(a: u32, b: u32) -> vec4<u32> {
    return vec4<u32>(a & 0xffffu, a >> 16u, b & 0xffffu, b >> 16u);
}

// The keys of keys4 for the eight float16 elements of a 16-byte word (the only dtype stored in
// 16 bits), computed on both 16-bit halves of each u32 at once and left two to a u32.
fn keys_f16_pairs(w: vec4<u32>) -> vec4<u32> {
    let signs = vec4<u32>(0x80008000u);
    let mag = w & vec4<u32>(0x7fff7fffu);
    let neg = (w >> vec4<u32>(15u)) & vec4<u32>(0x00010001u);
    var key = w ^ (neg * 0x7fffu) ^ signs;
    // 1 in the low bit of each half that holds a zero (either sign), a NaN; the guard bits keep
    // one half's arithmetic from carrying into the other
    let zero = (~((mag | signs) - vec4<u32>(0x00010001u)) & signs) >> vec4<u32>(15u);
    let nan = ((mag + vec4<u32>(0x03ff03ffu)) & signs) >> vec4<u32>(15u);
    key = (key & ~(zero * 0xffffu)) | (zero * 0x8000u) | (nan * 0xffffu);
    if prm.largest == 0u {
        key = ~key;
    }
    return key;
}

// Elements tested against a floor key on their stored bits, without keys (kernels key only the few
// that reach it): for float rows, largest first, with a floor above zero and at most +inf, the
// lowest stored bits that reach it (the floor's key is those bits with the sign bit set); 0
// otherwise.
fn raw_reach(floor: u32) -> u32 {
    let sign = 1u << (KEY_BITS - 1u);
    let inf = select(0xfc00u, 0xff800000u, KEY_BITS == 32u);  // the key of +inf
    if KEY_KIND != 0u || prm.largest == 0u || floor <= sign || floor > inf {
        return 0u;
    }
    return floor - sign;
}

// The elements of a word that reach the floor of raw_reach r, as bits (bit i for element i), from
// their stored bits, without keys: an element reaches it where it is a positive value (or NaN) of
// at least r, or a NaN of negative sign. Each element is tested in the top bits of a u32, where its
// sign is the sign of the i32 (float16 halves: the low one shifted up).
fn raw_hits(w: vec4<u32>, r: u32) -> u32 {
    let nan = vec4<u32>(select(0xfc00ffffu, 0xff800000u, ELEM_BITS == 32u));
    let least = vec4<i32>(i32(r << (32u - ELEM_BITS)));
    let hi = (bitcast<vec4<i32>>(w) >= least) | (w > nan);
    if ELEM_BITS == 32u {
        return dot(select(vec4<u32>(0u), vec4<u32>(1u, 2u, 4u, 8u), hi), vec4<u32>(1u));
    }
    let low = w << vec4<u32>(16u);
    let lo = (bitcast<vec4<i32>>(low) >= least) | (low > nan);
    return dot(select(vec4<u32>(0u), vec4<u32>(1u, 4u, 16u, 64u), lo), vec4<u32>(1u))
        | dot(select(vec4<u32>(0u), vec4<u32>(2u, 8u, 32u, 128u), hi), vec4<u32>(1u));
}

// The key of element i of a 16-byte word of stored bits.
fn word_key(w: vec4<u32>, i: u32) -> u32 {
    let per = 32u / ELEM_BITS;  // elements a u32
    let j = i / per;
    let word = select(select(w.x, w.y, j == 1u), select(w.z, w.w, j == 3u), j >= 2u);
    return keys4(vec4<u32>((word >> ((i % per) * ELEM_BITS)) & key_mask(), 0u, 0u, 0u)).x;
}
