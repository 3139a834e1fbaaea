"""Element-wise add and f32 matmul on the wgpu device, next to a buffer copy and torch.

    python bench/wgpu_ops.py [--mb 256] [--n 4096] [--repeat 20]

Prints the copy bandwidth measured through wgpu (read + write bytes), the add's bandwidth (two
reads and a write) as a share of it, and matmul TFLOP/s next to torch's f32 matmul on CUDA when
torch sees a GPU. wgpu times are wall clock around a batch of launches, synchronised by a read;
torch's are CUDA events.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import spiraltorch as st
from spiraltorch import backends


def _sync(t: st.Tensor) -> None:
    t._be.ctx.read(t._data.buffer, 0, 4)


def wall(fn, sync_on, launches: int, repeats: int) -> float:
    """Median seconds per launch of ``fn`` over ``repeats`` batches."""
    fn()
    _sync(sync_on())
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(launches):
            out = fn()
        _sync(out)
        times.append((time.perf_counter() - t0) / launches)
    return statistics.median(times)


def copy_seconds(ctx, nbytes: int, launches: int, repeats: int) -> float:
    src, dst = ctx.buffer(nbytes), ctx.buffer(nbytes)
    times = []
    for _ in range(repeats + 1):
        ctx.read(dst, 0, 4)
        t0 = time.perf_counter()
        for _ in range(launches):
            ctx.copy(src, 0, dst, 0, nbytes)
        ctx.read(dst, 0, 4)
        times.append((time.perf_counter() - t0) / launches)
    ctx.release(src)
    ctx.release(dst)
    return statistics.median(times[1:])


def torch_cuda_seconds(fn, launches: int, repeats: int):
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(launches):
            fn()
        stop.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(stop) * 1e-3 / launches)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mb", type=int, default=256, help="MB per add operand")
    ap.add_argument("--n", type=int, default=4096, help="matmul size n (n x n @ n x n)")
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    be = backends.get("wgpu")
    print(f"adapter: {be.caps.name} ({be.caps.api}, {be.caps.driver})")
    nbytes = args.mb << 20
    copy_s = copy_seconds(be.ctx, nbytes, 10, args.repeat)
    copy_bw = 2 * nbytes / copy_s
    print(f"copy {args.mb} MB: {copy_s * 1e3:.3f} ms, {copy_bw / 1e9:.0f} GB/s (read + write)")

    n = nbytes // 4
    a = st.rand(n, device="wgpu")
    b = st.rand(n, device="wgpu")
    add_s = wall(lambda: a + b, lambda: a, 10, args.repeat)
    add_bw = 3 * nbytes / add_s
    print(f"add {args.mb} MB f32: {add_s * 1e3:.3f} ms, {add_bw / 1e9:.0f} GB/s = "
          f"{100 * add_bw / copy_bw:.0f}% of the copy bandwidth")

    m = args.n
    x = st.randn(m, m, device="wgpu")
    y = st.randn(m, m, device="wgpu")
    mm_s = wall(lambda: x @ y, lambda: x, 5, max(3, args.repeat // 4))
    flops = 2 * m ** 3
    line = f"matmul {m}^3 f32: {mm_s * 1e3:.2f} ms, {flops / mm_s / 1e12:.2f} TFLOP/s"
    check = (x[:64] @ y).cpu().numpy()
    ref = x[:64].cpu().numpy().astype(np.float64) @ y.cpu().numpy().astype(np.float64)
    line += f" (max abs err on 64 rows {np.abs(check - ref).max():.2e})"
    try:
        import torch
        if torch.cuda.is_available():
            torch.backends.cuda.matmul.allow_tf32 = False
            tx = torch.randn(m, m, device="cuda")
            ty = torch.randn(m, m, device="cuda")
            t_s = torch_cuda_seconds(lambda: tx @ ty, 5, max(3, args.repeat // 4))
            line += (f"; torch f32 (no TF32) {t_s * 1e3:.2f} ms, {flops / t_s / 1e12:.2f} TFLOP/s; "
                     f"ours = {100 * t_s / mm_s:.0f}% of torch")
    except ImportError:
        pass
    print(line)


if __name__ == "__main__":
    main()
