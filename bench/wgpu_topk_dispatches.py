"""Where the time of a wgpu TopK call goes: each dispatch's share, from timings of its prefixes.

    python3 bench/wgpu_topk_dispatches.py --shapes '4096,32000,1024;16384,4096,128'

A call is a few dispatches in one compute pass (``TopkLaunch.step_names``). The first n of them
are timed alone for every n (device time from timestamp queries, batches of launches, median of
the batches), and a dispatch's share is the prefix's time less the one before it. Each launch
first runs whole for a while: a kernel timed right after its input was uploaded can run several
times slower on the H100's Vulkan driver. The prefixes are timed twice, in rising then falling
order, and the lower time of each is kept, so that a slow stretch does not fall on one prefix.
A dispatch reads what the ones before it wrote, so each share is its time after those ones, as in
the whole call. Launch parameters come from ``heuristics.choose`` unless ``--choice`` names them.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from spiraltorch import dtypes, heuristics  # noqa: E402
from spiraltorch.backends.wgpu.device import get_context  # noqa: E402
from spiraltorch.backends.wgpu.timing import device_time  # noqa: E402
from spiraltorch.backends.wgpu.topk import TopkLaunch  # noqa: E402
from spiraltorch.backends.wgpu.transfer import from_numpy  # noqa: E402
from wgpu_topk import INPUTS, parse_choice  # noqa: E402

WARM_S = 0.5  # each launch runs whole this long before its prefixes are timed


def prefix_times(ctx, launch, launches: int, repeats: int) -> list[float]:
    """Milliseconds of the first n dispatches of ``launch``, for n = 1 .. all."""
    whole = len(launch.step_names)
    deadline = time.perf_counter() + WARM_S
    while time.perf_counter() < deadline:
        device_time(ctx, launch.record, launches=launches, repeats=1)
    best = [float("inf")] * whole
    for order in (range(1, whole + 1), range(whole, 0, -1)):
        for n in order:
            t = device_time(ctx, lambda encoder, n=n: launch.record(encoder, n),
                            launches=launches, repeats=repeats).median
            best[n - 1] = min(best[n - 1], t * 1e3)
    return best


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shapes", required=True, help="'rows,cols,k;rows,cols,k'")
    p.add_argument("--dtypes", default="float32,float16")
    p.add_argument("--input", default="normal", choices=sorted(INPUTS))
    p.add_argument("--launches", type=int, default=None, help="launches per timed batch")
    p.add_argument("--repeats", type=int, default=5, help="timed batches (median taken)")
    p.add_argument("--choice", default="", help="fixed launch parameters, e.g. 'u2=1 ch=8192'")
    args = p.parse_args(argv)
    ctx = get_context()
    if args.launches is None:
        args.launches = 2 if ctx.caps.extra.get("adapter_type", "").upper() == "CPU" else 20
    print(f"# adapter: {ctx.label}")
    rng = np.random.default_rng(0)
    for item in args.shapes.split(";"):
        rows, cols, k = (int(v) for v in item.split(","))
        for name in args.dtypes.split(","):
            dtype = dtypes.to_dtype(name)
            choice = parse_choice(args.choice) if args.choice else heuristics.choose(
                "topk", rows, cols, k, device="wgpu", dtype=dtype)
            x = from_numpy(ctx, INPUTS[args.input](rng, (rows, cols)).astype(dtype.np))
            launch = TopkLaunch(ctx, x, k, True, True, choice)
            times = prefix_times(ctx, launch, args.launches, args.repeats)
            launch.release()
            print(f"{rows} x {cols} k={k} {dtype.name}: {times[-1]:.4f} ms  [{choice}]")
            before = 0.0
            for step, t in zip(launch.step_names, times):
                print(f"    {t - before:+.4f} ms  {step}")
                before = t
    return 0


if __name__ == "__main__":
    sys.exit(main())
