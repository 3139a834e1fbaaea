// Bitonic sorting of rows of n slots (a power of two, at least REG_SLOTS) in a block of `block`
// slots (a multiple of n, at most REG_SLOTS * WG) in `s_slot`, each invocation holding REG_SLOTS
// consecutive slots in registers: compares at distances below REG_SLOTS run within an invocation,
// those up to REG_SLOTS * sg_size - 1 by subgroup shuffles, only longer ones through workgroup
// memory (on the H100, four slots an invocation: 6 of the 55 steps of 1024 slots, against every
// step of topk_bitonic.wgsl). Needs full subgroups laid out linearly (sg_linear of
// subgroup_layout.wgsl); every invocation of the workgroup calls it. A step's `turn` is the
// position bit that sets its direction (best first where it is 0): the stage's, or none in the
// last stage of a row.

// Slots an invocation holds: 4 (sort_registers), or 8 (sort_registers_8), which sorts 2048 slots
// with 256 invocations and runs 27 of the 55 steps of 1024 slots in registers and 3 through
// workgroup memory (against 19 and 6; subgroups of 32). Two functions, not one with the second
// four under a test of REG_SLOTS: that one slowed the sort of four (H100, Vulkan, the filter's
// buffer: 4096 x 32000 k=32 float32 0.271 -> 0.321 ms).
override REG_SLOTS: u32 = 4u;

struct Two {
    first: Slot,
    second: Slot,
}

struct Four {
    s0: Slot,
    s1: Slot,
    s2: Slot,
    s3: Slot,
}

// a or b: the one ranking first when `best`, else the other.
fn pick(a: Slot, b: Slot, best: bool) -> Slot {
    return select(b, a, slot_before(a, b) == best);
}

// The compare of slots x (lower position) and y: the better one first when `best_first`.
fn compare(x: Slot, y: Slot, best_first: bool) -> Two {
    let swap = slot_before(y, x) == best_first;
    return Two(select(x, y, swap), select(y, x, swap));
}

// The steps at distance 2 and 1 over the four slots from block position p (a multiple of 4).
fn step_at_2(f: Four, p: u32, turn: u32) -> Four {
    let a = compare(f.s0, f.s2, (p & turn) == 0u);
    let b = compare(f.s1, f.s3, (p & turn) == 0u);
    return Four(a.first, b.first, a.second, b.second);
}

fn step_at_1(f: Four, p: u32, turn: u32) -> Four {
    let a = compare(f.s0, f.s1, (p & turn) == 0u);
    let b = compare(f.s2, f.s3, ((p + 2u) & turn) == 0u);
    return Four(a.first, a.second, b.first, b.second);
}

// Whether the slots of an invocation from position p (a multiple of REG_SLOTS) keep the better of
// their partners at distance dist (a multiple of REG_SLOTS) in a step whose direction bit is
// `turn` (0, or the stage, above dist): they share every bit from REG_SLOTS up, so one answer
// serves all.
fn keeps_best(p: u32, turn: u32, dist: u32) -> bool {
    return ((p & dist) == 0u) == ((p & turn) == 0u);
}

fn step_by_shuffle(f: Four, p: u32, turn: u32, dist: u32) -> Four {
    let lanes = dist / 4u;
    let best = keeps_best(p, turn, dist);
    return Four(pick(f.s0, subgroupShuffleXor(f.s0, lanes), best),
                pick(f.s1, subgroupShuffleXor(f.s1, lanes), best),
                pick(f.s2, subgroupShuffleXor(f.s2, lanes), best),
                pick(f.s3, subgroupShuffleXor(f.s3, lanes), best));
}

fn sort_registers(lid: u32, block: u32, n: u32) {
    let p = 4u * lid;
    let live = p < block;
    let pad = PAD_SLOT;
    var f = Four(pad, pad, pad, pad);
    if live {
        f = Four(s_slot[p], s_slot[p + 1u], s_slot[p + 2u], s_slot[p + 3u]);
    }
    workgroupBarrier();
    // steps through workgroup memory keep slot i of each invocation at i * q + lid, so that the
    // invocations of a subgroup touch consecutive slots
    let q = block / 4u;
    // subgroups holding no slot of the block sit out the steps without barriers (H100: 16384 x
    // 4096, k=128 float32 0.72 -> 0.58 ms)
    let busy = (lid / sg_size) * sg_size * 4u < block;
    // each stage's steps in three runs, with no test a step: through workgroup memory, by
    // shuffles, then in registers (H100, Vulkan, against a test of the distance every step:
    // 4096 x 1024 k=1024 0.175 -> 0.161 ms float32, 0.126 -> 0.110 float16)
    for (var stage = 2u; stage <= n; stage *= 2u) {
        let turn = stage & (n - 1u);
        var dist = stage / 2u;
        for (; dist >= 4u * sg_size; dist /= 2u) {
            if live {
                s_slot[lid] = f.s0;
                s_slot[q + lid] = f.s1;
                s_slot[2u * q + lid] = f.s2;
                s_slot[3u * q + lid] = f.s3;
            }
            workgroupBarrier();
            if live {
                let o = lid ^ (dist / 4u);
                let best = keeps_best(p, turn, dist);
                f = Four(pick(f.s0, s_slot[o], best), pick(f.s1, s_slot[q + o], best),
                         pick(f.s2, s_slot[2u * q + o], best),
                         pick(f.s3, s_slot[3u * q + o], best));
            }
            workgroupBarrier();
        }
        if busy {
            for (; dist >= 4u; dist /= 2u) {
                f = step_by_shuffle(f, p, turn, dist);
            }
            if dist == 2u {
                f = step_at_2(f, p, turn);
            }
            f = step_at_1(f, p, turn);
        }
    }
    if live {
        s_slot[p] = f.s0;
        s_slot[p + 1u] = f.s1;
        s_slot[p + 2u] = f.s2;
        s_slot[p + 3u] = f.s3;
    }
    workgroupBarrier();
}

// Eight slots an invocation: p to p + 3 in `lo`, p + 4 to p + 7 in `hi`.
struct Eight {
    lo: Four,
    hi: Four,
}

// The step at distance 4 over the eight slots from block position p (a multiple of 8), in a
// stage of at least 8 slots: `turn` is 0 or at least 8, so all eight share its bit.
fn step_at_4(e: Eight, p: u32, turn: u32) -> Eight {
    let best = (p & turn) == 0u;
    let a = compare(e.lo.s0, e.hi.s0, best);
    let b = compare(e.lo.s1, e.hi.s1, best);
    let c = compare(e.lo.s2, e.hi.s2, best);
    let d = compare(e.lo.s3, e.hi.s3, best);
    return Eight(Four(a.first, b.first, c.first, d.first),
                 Four(a.second, b.second, c.second, d.second));
}

fn shuffle_four(f: Four, lanes: u32, best: bool) -> Four {
    return Four(pick(f.s0, subgroupShuffleXor(f.s0, lanes), best),
                pick(f.s1, subgroupShuffleXor(f.s1, lanes), best),
                pick(f.s2, subgroupShuffleXor(f.s2, lanes), best),
                pick(f.s3, subgroupShuffleXor(f.s3, lanes), best));
}

// Through workgroup memory, slot i of the four from `lid` sits at i * q + lid.
fn store_four(f: Four, lid: u32, q: u32) {
    s_slot[lid] = f.s0;
    s_slot[q + lid] = f.s1;
    s_slot[2u * q + lid] = f.s2;
    s_slot[3u * q + lid] = f.s3;
}

fn pick_stored(f: Four, other: u32, q: u32, best: bool) -> Four {
    return Four(pick(f.s0, s_slot[other], best), pick(f.s1, s_slot[q + other], best),
                pick(f.s2, s_slot[2u * q + other], best), pick(f.s3, s_slot[3u * q + other], best));
}

fn load_four(p: u32) -> Four {
    return Four(s_slot[p], s_slot[p + 1u], s_slot[p + 2u], s_slot[p + 3u]);
}

fn put_four(f: Four, p: u32) {
    s_slot[p] = f.s0;
    s_slot[p + 1u] = f.s1;
    s_slot[p + 2u] = f.s2;
    s_slot[p + 3u] = f.s3;
}

// sort_registers with eight slots an invocation, in the same three runs a stage.
fn sort_registers_8(lid: u32, block: u32, n: u32) {
    let p = 8u * lid;
    let live = p < block;
    let pad = PAD_SLOT;
    var e = Eight(Four(pad, pad, pad, pad), Four(pad, pad, pad, pad));
    if live {
        e = Eight(load_four(p), load_four(p + 4u));
    }
    workgroupBarrier();
    let q = block / 8u;
    let busy = (lid / sg_size) * sg_size * 8u < block;
    for (var stage = 2u; stage <= n; stage *= 2u) {
        let turn = stage & (n - 1u);
        var dist = stage / 2u;
        for (; dist >= 8u * sg_size; dist /= 2u) {
            if live {
                store_four(e.lo, lid, q);
                store_four(e.hi, 4u * q + lid, q);
            }
            workgroupBarrier();
            if live {
                let other = lid ^ (dist / 8u);
                let best = keeps_best(p, turn, dist);
                e = Eight(pick_stored(e.lo, other, q, best),
                          pick_stored(e.hi, 4u * q + other, q, best));
            }
            workgroupBarrier();
        }
        if busy {
            for (; dist >= 8u; dist /= 2u) {
                let lanes = dist / 8u;
                let best = keeps_best(p, turn, dist);
                e = Eight(shuffle_four(e.lo, lanes, best), shuffle_four(e.hi, lanes, best));
            }
            if dist == 4u {
                e = step_at_4(e, p, turn);
            }
            if dist >= 2u {
                e = Eight(step_at_2(e.lo, p, turn), step_at_2(e.hi, p + 4u, turn));
            }
            e = Eight(step_at_1(e.lo, p, turn), step_at_1(e.hi, p + 4u, turn));
        }
    }
    if live {
        put_four(e.lo, p);
        put_four(e.hi, p + 4u);
    }
    workgroupBarrier();
}

// `sort_slots` on subgroups: in registers and shuffles where subgroups are full and laid out
// linearly and the block holds whole rows of at least REG_SLOTS slots, at most REG_SLOTS * WG in
// all; otherwise by `sort_block` (topk_bitonic.wgsl).
fn sort_slots(lid: u32, block: u32, n: u32, base: u32) {
    if sg_linear && n >= REG_SLOTS && n <= block && block <= REG_SLOTS * WG {
        if REG_SLOTS == 8u {
            sort_registers_8(lid, block, n);
        } else {
            sort_registers(lid, block, n);
        }
    } else {
        sort_block(lid, block, n, base);
    }
}
