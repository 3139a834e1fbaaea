// Bitonic sorting of rows of n slots (a power of two, at least 4), best first, in a block of
// `block` slots (a multiple of n, at most 4 * WG) in `s_slot`, each invocation holding four
// consecutive slots in registers: compares at distances 1 and 2 run within an invocation, those up
// to 4 * sg_size - 1 by subgroup shuffles, only longer ones through workgroup memory (on the H100:
// 6 of the 55 steps of 1024 slots, against every step of topk_bitonic.wgsl). Needs full subgroups
// laid out linearly (sg_linear of subgroup_layout.wgsl); every invocation of the workgroup calls
// it. A step's `turn` is the position bit that sets its direction (best first where it is 0): the
// stage's, or none in the last stage of a row.

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

// Whether the four slots from position p (a multiple of 4) keep the better of their partners at
// distance dist (a multiple of 4) in a step whose direction bit is `turn` (0, or the stage, above
// dist): p + 1, p + 2 and p + 3 share every bit from 4 up, so one answer serves all four.
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
    let pad = slot_of(vec2<u32>(0u, NONE));
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

// `sort_slots` on subgroups: in registers and shuffles where subgroups are full and laid out
// linearly and the block holds whole rows of at least 4 slots, at most 4 * WG in all; otherwise
// by `sort_block` (topk_bitonic.wgsl).
fn sort_slots(lid: u32, block: u32, n: u32, base: u32) {
    if sg_linear && n >= 4u && n <= block && block <= 4u * WG {
        sort_registers(lid, block, n);
    } else {
        sort_block(lid, block, n, base);
    }
}
