"""Compiled CPU TopK and sort.

Every kernel works on order-preserving unsigned keys computed from the raw bits of the input
(float16 through its uint16 view): every NaN maps to the largest key, -0.0 and +0.0 share a key,
and for ``largest=False`` the keys are inverted, so NaN still comes last. Equal keys rank by
ascending column index. One compiled kernel per key width (16, 32, 64 bits) serves every dtype.

Choice fields read here: ``alg`` (0 = filtered insertion queue, 1 = radix select), ``u2``
(1 = split each row into chunks of ``ch`` columns, top-k per chunk in parallel, then merge the
candidates) and ``ch``. Every Choice gives the same result. ``sorted=False`` returns the same
values and indices as ``sorted=True``.
"""
from __future__ import annotations

import os
import threading

import numba
import numpy as np
from numba import njit, prange

# numba's OpenMP layer takes milliseconds per parallel call once torch's OpenMP runtime is loaded
# in the same process; the workqueue layer does not. It must not be entered by two threads at
# once, hence the lock around every parallel kernel call.
if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"
_PARALLEL = threading.Lock()

KIND_FLOAT, KIND_SIGNED, KIND_UNSIGNED, KIND_KEY = 0, 1, 2, 3

# (bits dtype, kind) per input dtype; uint8 is widened to uint16 keys.
_KEY_OF = {
    np.dtype(np.float16): (np.uint16, KIND_FLOAT),
    np.dtype(np.float32): (np.uint32, KIND_FLOAT),
    np.dtype(np.float64): (np.uint64, KIND_FLOAT),
    np.dtype(np.int32): (np.uint32, KIND_SIGNED),
    np.dtype(np.int64): (np.uint64, KIND_SIGNED),
    np.dtype(np.uint8): (np.uint16, KIND_UNSIGNED),
}
_INF_BITS = {16: 0x7C00, 32: 0x7F800000, 64: 0x7FF0000000000000}
_LANE = 64  # columns checked against the current threshold at once, before any is looked at
_DEFAULT_CHUNK = 65536
_ARG_BLOCK = 256  # columns per vectorised maximum of the k = 1 kernel
_FIRST_DIGIT_BITS = 11  # the first radix select digit; wide, so few keys tie on it
_RANK_SORT_MAX = 32  # pairs sorted by counting ranks; more take the radix sort
_PAD = 32  # elements (256 bytes) of padding after each per-thread scratch array


@njit(inline="always")
def _float_key(b, width, inf, flip):
    x = np.uint64(b)
    sign = np.uint64(1) << np.uint64(width - 1)
    mag = x & (sign - np.uint64(1))
    k = (sign - mag) if (x & sign) != np.uint64(0) else (sign + mag)
    k = (sign | (sign - np.uint64(1))) if mag > inf else k
    return k ^ flip


@njit(inline="always")
def _int_xor(kind, width, flip):
    """Integer keys are the bits xor this: the sign bit for signed kinds, then the flip."""
    if kind == KIND_SIGNED:
        return flip ^ (np.uint64(1) << np.uint64(width - 1))
    return flip


@njit(inline="always")
def _key(b, kind, width, inf, flip):
    """The order-preserving key of one element's bits, in a uint64."""
    if kind == KIND_FLOAT:
        return _float_key(b, width, inf, flip)
    return np.uint64(b) ^ _int_xor(kind, width, flip)


@njit(inline="always")
def _lane_beats(src, at, kind, width, inf, flip, thr):
    """Whether any of the _LANE elements from ``at`` has a key above thr: a branch-free count
    with a constant trip count, one loop per kind, so it vectorises."""
    count = 0
    if kind == KIND_FLOAT:
        for t in range(_LANE):
            count += _float_key(src[np.uint64(at + t)], width, inf, flip) > thr
    else:
        xor = _int_xor(kind, width, flip)
        for t in range(_LANE):
            count += (np.uint64(src[np.uint64(at + t)]) ^ xor) > thr
    return count != 0


@njit(inline="always")
def _lane_keys(src, at, m, kind, width, inf, flip, out):
    """out[:m] = the keys of the m elements from ``at`` (vectorised, one loop per kind)."""
    if kind == KIND_FLOAT:
        for t in range(m):
            out[t] = _float_key(src[np.uint64(at + t)], width, inf, flip)
    else:
        xor = _int_xor(kind, width, flip)
        for t in range(m):
            out[t] = np.uint64(src[np.uint64(at + t)]) ^ xor


@njit
def _sort_pairs(keys, idx, n, width, tk, ti, digits):
    """Sort keys[:n], idx[:n] by (key descending, index ascending), given with equal keys in
    ascending index order; tk, ti are scratch of n, digits of 8 * 256.

    A stable least-significant-digit radix sort on 8-bit digits of the key, so equal keys keep
    their index order; a digit that all n keys share is skipped. Up to _RANK_SORT_MAX pairs are
    placed by counting, for each, the pairs that rank before it."""
    if n <= _RANK_SORT_MAX:
        for i in range(n):
            x = keys[i]
            rank = 0
            for j in range(i):
                rank += np.int64(keys[j] >= x)
            for j in range(i + 1, n):
                rank += np.int64(keys[j] > x)
            tk[rank] = x
            ti[rank] = idx[i]
        keys[:n] = tk[:n]
        idx[:n] = ti[:n]
        return
    ndig = width // 8
    digits[:ndig * 256] = 0
    for i in range(n):
        x = keys[i]
        for d in range(ndig):
            digits[d * 256 + np.int64((x >> np.uint64(8 * d)) & np.uint64(255))] += 1
    src_k, src_i, dst_k, dst_i = keys, idx, tk, ti
    swapped = False
    for d in range(ndig):
        base = d * 256
        ushift = np.uint64(8 * d)
        if digits[base + np.int64((src_k[0] >> ushift) & np.uint64(255))] == n:
            continue
        # descending: bin 255 first
        total = 0
        for b in range(255, -1, -1):
            c = digits[base + b]
            digits[base + b] = total
            total += c
        for i in range(n):
            x = src_k[i]
            b = base + np.int64((x >> ushift) & np.uint64(255))
            p = digits[b]
            digits[b] = p + 1
            dst_k[p] = x
            dst_i[p] = src_i[i]
        src_k, src_i, dst_k, dst_i = dst_k, dst_i, src_k, src_i
        swapped = not swapped
    if swapped:
        for i in range(n):
            keys[i] = tk[i]
            idx[i] = ti[i]


@njit(inline="always")
def _queue_insert(src, off, j, end, k, kind, width, inf, flip, wk, wi, thr, lane):
    """Insert the keys of columns [j, end) that beat thr into the sorted queue; the new thr."""
    _lane_keys(src, off + j, end - j, kind, width, inf, flip, lane)
    for t in range(j, end):
        x = lane[np.uint64(t - j)]
        if x > thr:
            p = k - 1
            while p > 0 and wk[p - 1] < x:
                wk[p] = wk[p - 1]
                wi[p] = wi[p - 1]
                p -= 1
            wk[p] = x
            wi[p] = t
            thr = wk[k - 1]
    return thr


@njit(inline="always")
def _block_max(src, at, m, kind, width, inf, flip):
    """The largest key of the m elements from ``at`` (a vectorised max, one loop per kind).
    Keys of up to 32 bits are computed in uint32, twice as many per vector as in uint64."""
    if width > 32:
        top = np.uint64(0)
        if kind == KIND_FLOAT:
            for t in range(m):
                top = max(top, _float_key(src[np.uint64(at + t)], width, inf, flip))
        else:
            xor = _int_xor(kind, width, flip)
            for t in range(m):
                top = max(top, np.uint64(src[np.uint64(at + t)]) ^ xor)
        return top
    top32 = np.uint32(0)
    if kind == KIND_FLOAT:
        sign = np.uint32(1 << (width - 1))
        low = np.uint32(sign - np.uint32(1))
        nan = np.uint32(sign | low)
        inf32 = np.uint32(inf)
        flip32 = np.uint32(flip)
        for t in range(m):
            x = np.uint32(src[np.uint64(at + t)])
            mag = np.uint32(x & low)
            k = np.uint32(sign - mag) if (x & sign) != np.uint32(0) else np.uint32(sign + mag)
            k = nan if mag > inf32 else k
            top32 = max(top32, np.uint32(k ^ flip32))
    else:
        xor32 = np.uint32(_int_xor(kind, width, flip))
        for t in range(m):
            top32 = max(top32, np.uint32(np.uint32(src[np.uint64(at + t)]) ^ xor32))
    return np.uint64(top32)


@njit
def _argmax(src, off, n, kind, width, inf, flip, wk, wi):
    """k = 1: one pass of vectorised maxima over blocks of _ARG_BLOCK columns, remembering the
    first block that raised the maximum; then the first column of that block holding it, found
    lane by lane."""
    top = np.uint64(0)
    at = 0
    j = 0
    while j < n:
        m = min(_ARG_BLOCK, n - j)
        block_top = _block_max(src, off + j, m, kind, width, inf, flip)
        if block_top > top:
            top = block_top
            at = j
        j += m
    if top > np.uint64(0):
        while at + _LANE <= n and not _lane_beats(src, off + at, kind, width, inf, flip,
                                                  top - np.uint64(1)):
            at += _LANE
    while _key(src[np.uint64(off + at)], kind, width, inf, flip) != top:
        at += 1
    wk[0] = top
    wi[0] = at


@njit
def _queue_select(src, off, n, k, kind, width, inf, flip, wk, wi, tk, ti, lane, digits):
    """Filtered insertion queue: a sorted buffer of k; only keys beating the k-th enter."""
    _lane_keys(src, off, k, kind, width, inf, flip, wk)
    for j in range(k):
        wi[j] = j
    _sort_pairs(wk, wi, k, width, tk, ti, digits)
    thr = wk[k - 1]
    j = k
    while j + _LANE <= n:
        if _lane_beats(src, off + j, kind, width, inf, flip, thr):
            thr = _queue_insert(src, off, j, j + _LANE, k, kind, width, inf, flip, wk, wi, thr,
                                lane)
        j += _LANE
    _queue_insert(src, off, j, n, k, kind, width, inf, flip, wk, wi, thr, lane)


@njit
def _radix_keep(keys, idx, n, k, width, hist, sk, si):
    """Move the k largest of keys[:n] (ties by position) to keys[:k], idx[:k]; returns their
    smallest key. sk, si are scratch of n. Equal keys keep their relative order.

    Each round takes one digit (_FIRST_DIGIT_BITS bits, then 8) of the keys still undecided,
    which all share the bits above it: a histogram finds the boundary digit, then one
    branch-free pass moves the keys above it to the kept ones and those on it to the next round.
    Rounds end when the undecided keys are exactly the ones still needed, or are all equal."""
    first = keys[0]
    diff = np.uint64(0)
    high = first
    for i in range(n):
        diff |= keys[i] ^ first
        high = max(high, keys[i])
    top = 0
    while top < width and (diff >> np.uint64(top)) != np.uint64(0):
        top += 1
    out = 0
    cnt = n
    need = k
    step = _FIRST_DIGIT_BITS
    while top > 0 and cnt > need:
        shift = max(top - step, 0)
        ushift = np.uint64(shift)
        mask = np.uint64((1 << (top - shift)) - 1)
        hist[:np.int64(mask) + 1] = 0
        for i in range(out, out + cnt):
            hist[np.int64((keys[i] >> ushift) & mask)] += 1
        above = 0
        # no undecided key has a digit above that of the largest
        b = np.int64((high >> ushift) & mask) if step == _FIRST_DIGIT_BITS else np.int64(mask)
        while above + hist[b] < need:
            above += hist[b]
            b -= 1
        step = 8
        boundary = np.uint64(b)
        kept = out
        tied = 0
        for i in range(out, out + cnt):
            # every key is written to both places; only the matching one advances
            x = keys[i]
            j = idx[i]
            digit = (x >> ushift) & mask
            keys[kept] = x
            idx[kept] = j
            sk[tied] = x
            si[tied] = j
            kept += digit > boundary
            tied += digit == boundary
        keys[kept:kept + tied] = sk[:tied]
        idx[kept:kept + tied] = si[:tied]
        out = kept
        cnt = tied
        need -= above
        top = shift
    lowest = keys[0]
    for i in range(k):
        lowest = min(lowest, keys[i])
    return lowest


@njit
def _radix_select(src, off, n, k, kind, width, inf, flip, wk, wi, tk, ti, sk, si, hist, lane,
                  digits):
    """Radix select over a buffer: keys beating the current k-th enter a buffer
    of ``len(tk)``; a full buffer is cut back to its k largest by radix select; the k winners
    are sorted at the end. No O(k * n) cliff: each cut costs O(buffer) and frees >= k slots."""
    cap = len(tk)
    m = min(cap, n)
    _lane_keys(src, off, m, kind, width, inf, flip, tk)
    for j in range(m):
        ti[j] = j
    fill = m
    thr = np.uint64(0)
    if n > m:
        thr = _radix_keep(tk, ti, fill, k, width, hist, sk, si)
        fill = k
    j = m
    while j < n:
        end = min(j + _LANE, n)
        if end - j == _LANE and not _lane_beats(src, off + j, kind, width, inf, flip, thr):
            j = end
            continue
        _lane_keys(src, off + j, end - j, kind, width, inf, flip, lane)
        for t in range(j, end):
            x = lane[np.uint64(t - j)]
            if x > thr:
                if fill == cap:
                    thr = _radix_keep(tk, ti, fill, k, width, hist, sk, si)
                    fill = k
                    if x <= thr:
                        continue
                tk[fill] = x
                ti[fill] = t
                fill += 1
        j = end
    if fill > k:
        _radix_keep(tk, ti, fill, k, width, hist, sk, si)
    wk[:k] = tk[:k]
    wi[:k] = ti[:k]
    _sort_pairs(wk, wi, k, width, tk, ti, digits)


@njit(parallel=True, nogil=True, cache=True)
def _select_segments(src, nrows, row_stride, row_len, seg_len, k, kind, width, inf, flip, alg,
                     write_keys, nblocks, out_bits, out_idx):
    """Top-k of every segment: row r's columns [s*seg_len, (s+1)*seg_len) for each s.

    Segment (r, s) writes min(k, length) winners to out_*[r*nseg + s] columns [0, k), sorted;
    out_bits gets the winners' keys when write_keys else their original bits; out_idx their
    column in the row. A segment shorter than k leaves key 0 (below every key) in its tail."""
    nseg = (row_len + seg_len - 1) // seg_len
    total = nrows * nseg
    for blk in prange(nblocks):
        lo = blk * total // nblocks
        hi = (blk + 1) * total // nblocks
        span = min(seg_len, row_len)
        # padded, so small scratch arrays of different threads never share a cache line
        wk = np.empty(k + _PAD, np.uint64)[:k]
        wi = np.empty(k + _PAD, np.int64)[:k]
        cap = min(span, 4 * k + 1024) if alg == 1 else k
        tk = np.empty(cap + _PAD, np.uint64)[:cap]
        ti = np.empty(cap + _PAD, np.int64)[:cap]
        scap = cap if alg == 1 else 0
        sk = np.empty(scap + _PAD, np.uint64)[:scap]
        si = np.empty(scap + _PAD, np.int64)[:scap]
        hist = np.empty((1 << _FIRST_DIGIT_BITS) + _PAD, np.int64)
        lane = np.empty(_LANE + _PAD, np.uint64)
        digits = np.empty(8 * 256 + _PAD, np.int64)
        for g in range(lo, hi):
            r = g // nseg
            s = g - r * nseg
            start = s * seg_len
            n = min(seg_len, row_len - start)
            kk = min(k, n)
            off = r * row_stride + start
            if kk == 1:
                _argmax(src, off, n, kind, width, inf, flip, wk, wi)
            elif kk > 0:
                if alg == 0 or kk == n:
                    _queue_select(src, off, n, kk, kind, width, inf, flip, wk, wi, tk, ti, lane, digits)
                else:
                    _radix_select(src, off, n, kk, kind, width, inf, flip, wk, wi, tk, ti, sk,
                                  si, hist, lane, digits)
            for j in range(kk):
                out_bits[g, j] = wk[j] if write_keys else src[np.uint64(off + wi[j])]
                out_idx[g, j] = start + wi[j]
            for j in range(kk, k):
                out_bits[g, j] = 0
                out_idx[g, j] = start


def _choice_int(choice, name, default):
    if choice is None:
        return default
    if name in ("u2", "ch"):
        value = getattr(choice, name, default)
    else:
        value = choice.get(name, default)
    return default if value is None else int(value)


def _blocks(tasks: int) -> int:
    return max(1, min(tasks, numba.get_num_threads() * 4))


def _run(flat, rows, row_stride, cols, seg_len, k, kind, width, flip, alg, write_keys):
    nseg = (cols + seg_len - 1) // seg_len
    out_bits = np.empty((rows * nseg, k), flat.dtype)
    out_idx = np.empty((rows * nseg, k), np.int64)
    with _PARALLEL:
        _select_segments(flat, rows, row_stride, cols, seg_len, k, kind, width,
                         np.uint64(_INF_BITS[width]), np.uint64(flip), alg, write_keys,
                         _blocks(rows * nseg), out_bits, out_idx)
    return out_bits, out_idx


def topk(x: np.ndarray, k: int, largest: bool = True, sorted: bool = True, choice=None):
    """(values, int64 indices), each (rows, k), of the 2-D array ``x`` along its last axis."""
    rows, cols = x.shape
    if x.dtype not in _KEY_OF:
        raise TypeError(f"topk: unsupported dtype {x.dtype}")
    if not 0 <= k <= cols:
        raise RuntimeError(f"selected index k out of range: k={k}, size={cols}")
    if cols >= 1 << 32:
        raise RuntimeError(f"topk: rows of {cols} columns are over the 2**32 - 1 limit")
    bits_dtype, kind = _KEY_OF[x.dtype]
    if rows == 0 or k == 0:
        return np.empty((rows, k), x.dtype), np.empty((rows, k), np.int64)
    a = np.ascontiguousarray(x)
    bits = a.astype(bits_dtype) if kind == KIND_UNSIGNED else a.view(bits_dtype)
    width = np.dtype(bits_dtype).itemsize * 8
    flip = 0 if largest else (1 << width) - 1
    alg = _choice_int(choice, "alg", 1 if k > 64 else 0)
    ch = _choice_int(choice, "ch", 0) or _DEFAULT_CHUNK
    two_pass = _choice_int(choice, "u2", 0) == 1 and ch < cols
    flat = bits.reshape(-1)
    if not two_pass:
        vals, idx = _run(flat, rows, cols, cols, cols, k, kind, width, flip, alg, False)
    else:
        # min(k, ch) candidates per chunk: only the last chunk can fall short, so the padding
        # (key 0) sits after every real candidate of the row and never wins a tie
        cand_keys, cand_idx = _run(flat, rows, cols, cols, ch, min(k, ch), kind, width, flip, alg,
                                   True)
        ncand = cand_keys.size // rows
        _, pos = _run(cand_keys.reshape(-1), rows, ncand, ncand, ncand, k, KIND_KEY, width,
                             0, alg, True)
        idx = np.take_along_axis(cand_idx.reshape(rows, ncand), pos, 1)
        vals = np.take_along_axis(bits, idx, 1)
    if kind == KIND_UNSIGNED:
        return vals.astype(x.dtype), idx
    return vals.view(x.dtype), idx


def order_keys(a: np.ndarray, largest: bool = True) -> np.ndarray:
    """Order-preserving unsigned keys of ``a`` (NumPy, elementwise), as the kernels compute them."""
    bits_dtype, kind = _KEY_OF[a.dtype]
    width = np.dtype(bits_dtype).itemsize * 8
    b = a.astype(bits_dtype) if kind == KIND_UNSIGNED else a.view(bits_dtype)
    sign = bits_dtype(1 << (width - 1))
    ones = bits_dtype((1 << width) - 1)
    if kind == KIND_FLOAT:
        mag = b & bits_dtype(sign - 1)
        keys = np.where(b & sign, sign - mag, sign + mag).astype(bits_dtype)
        keys[mag > bits_dtype(_INF_BITS[width])] = ones
    elif kind == KIND_SIGNED:
        keys = b ^ sign
    else:
        keys = b.copy()
    return keys if largest else keys ^ ones


def sort(x: np.ndarray, axis: int = -1, descending: bool = False, stable: bool = False):
    """(values, int64 indices) along ``axis``: NaN largest, equal values by ascending index."""
    if x.dtype == np.bool_:
        x = x.view(np.uint8)
        values, idx = sort(x, axis, descending, stable)
        return values.view(np.bool_), idx
    keys = order_keys(x, largest=not descending)
    idx = np.argsort(keys, axis=axis, kind="stable").astype(np.int64, copy=False)
    return np.take_along_axis(x, idx, axis), idx
