"""TopK on the wgpu device against torch.topk, over a grid of bench/topk_shapes.json.

    python3 bench/wgpu_topk.py                      # the `gpu` grid, float32 and float16
    python3 bench/wgpu_topk.py --grid wgpu_ci       # small grid (software adapters, CI)
    python3 bench/wgpu_topk.py --input quarters     # heavy ties (--input constant: one value)

Our time is device time from timestamp queries (batches of launches, ``timing.device_time``);
torch's is CUDA-event time on the same GPU when torch sees CUDA, wall time on the CPU otherwise.
GB/s counts the input read once (rows * cols * itemsize); the JSON rows' ``copy_pct`` compares it
with the copy bandwidth (bytes read + written per second) of a wgpu buffer-to-buffer copy measured
in the same run, after the grid: on the H100 (Vulkan) a kernel timed within about 0.3 s of a
second of buffer copies ran 2 to 4 times slower. Launch parameters come from ``heuristics.choose``
unless ``--choice`` names them.
"""
from __future__ import annotations

import argparse
import datetime
import json
import math
import statistics
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from spiraltorch import dtypes  # noqa: E402
from spiraltorch import heuristics  # noqa: E402
from spiraltorch.bench import torch_topk_ms  # noqa: E402
from spiraltorch.backends.wgpu.device import get_context  # noqa: E402
from spiraltorch.backends.wgpu.timing import copy_bandwidth, device_time  # noqa: E402
from spiraltorch.backends.wgpu.topk import TopkLaunch  # noqa: E402
from spiraltorch.backends.wgpu.topk_layout import layout  # noqa: E402
from spiraltorch.backends.wgpu.transfer import from_numpy, to_numpy  # noqa: E402

SHAPES = Path(__file__).resolve().parent / "topk_shapes.json"


def parse_choice(text: str) -> heuristics.Choice:
    """'u2=1 ch=8192 wg=256 kl=4 sg=1' -> Choice (names other than the core ones go to extra)."""
    fields = dict(item.split("=") for item in text.split())
    core = {name: int(fields.pop(name)) for name in list(fields) if name in heuristics.CORE_FIELDS}
    return heuristics.Choice(**core, extra=tuple((n, int(v)) for n, v in fields.items()))


# Inputs by name: random normal values (the grid's), the same rounded to quarters (runs of equal
# keys among the winners) and rows of one value (every key equal).
INPUTS = {
    "normal": lambda rng, shape: rng.standard_normal(shape, dtype=np.float32),
    "quarters": lambda rng, shape: np.round(rng.standard_normal(shape, dtype=np.float32) * 4) / 4,
    "constant": lambda rng, shape: np.zeros(shape, np.float32),
}


def bench_one(ctx, rows, cols, k, dtype, args, torch_device, rng):
    a = INPUTS[args.input](rng, (rows, cols)).astype(dtype.np)
    choice = parse_choice(args.choice) if args.choice else heuristics.choose(
        "topk", rows, cols, k, device="wgpu", dtype=dtype)
    x = from_numpy(ctx, a)
    launch = TopkLaunch(ctx, x, k, True, True, choice)
    ours = device_time(ctx, launch.record, launches=args.launches, repeats=args.repeats).median
    xt = torch.from_numpy(a).to(torch_device)
    theirs = torch_topk_ms(torch, xt, k, args.launches, args.repeats) / 1e3
    status = "ok"
    if args.check:
        want = torch.topk(xt, k, dim=-1).values.cpu().numpy()
        if not np.array_equal(to_numpy(launch.values).view(np.uint8), want.view(np.uint8)):
            status = "WRONG VALUES"
    launch.release()
    plan = layout(ctx, cols, k, True, choice)
    gbs = rows * cols * dtype.itemsize / ours / 1e9
    return dict(rows=rows, cols=cols, k=k, dtype=dtype.name, input=args.input, ours_ms=ours * 1e3,
                torch_ms=theirs * 1e3, ratio=theirs / ours, gbs=gbs, choice=str(choice),
                passes=2 if plan.two_pass else 1, subgroups=plan.subgroups, status=status)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--grid", default="gpu", help="grid name in topk_shapes.json (gpu, wgpu_ci)")
    p.add_argument("--shapes", default="",
                   help="explicit shapes instead of a grid: 'rows,cols,k;rows,cols,k'")
    p.add_argument("--dtypes", default="float32,float16")
    p.add_argument("--input", default="normal", choices=sorted(INPUTS),
                   help="input values: random normal, normal rounded to quarters (heavy ties) "
                        "or one value a row")
    p.add_argument("--launches", type=int, default=None, help="launches per timed batch")
    p.add_argument("--repeats", type=int, default=5, help="timed batches (median taken)")
    p.add_argument("--choice", default="", help="fixed launch parameters, e.g. 'u2=1 ch=8192'")
    p.add_argument("--no-check", dest="check", action="store_false",
                   help="skip comparing our values with torch's")
    p.add_argument("--json", default="", help="also write the rows as JSON Lines here")
    args = p.parse_args(argv)
    if args.shapes:
        grid = [[int(v) for v in item.split(",")] for item in args.shapes.split(";")]
    else:
        grid = json.loads(SHAPES.read_text())[args.grid]
    ctx = get_context()
    software = ctx.caps.extra.get("adapter_type", "").upper() == "CPU"
    if args.launches is None:
        args.launches = 2 if software else 20
    torch_device = "cuda" if torch.cuda.is_available() else "cpu"
    print(f"# {' '.join(sys.argv)}")
    print(f"# {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}; adapter: "
          f"{ctx.label}; torch {torch.__version__} on {torch_device}"
          + (f" ({torch.cuda.get_device_name()})" if torch_device == "cuda" else ""))
    head = (f"{'rows':>6} {'cols':>9} {'k':>5} {'dtype':>8} {'ours ms':>9} {'torch ms':>9} "
            f"{'ratio':>6} {'GB/s':>7}  choice")
    print(head)
    rng = np.random.default_rng(0)
    results = []
    for name in args.dtypes.split(","):
        dtype = dtypes.to_dtype(name)
        for rows, cols, k in grid:
            r = bench_one(ctx, rows, cols, k, dtype, args, torch_device, rng)
            results.append(r)
            print(f"{rows:>6} {cols:>9} {k:>5} {dtype.name:>8} {r['ours_ms']:>9.3f} "
                  f"{r['torch_ms']:>9.3f} {r['ratio']:>6.2f} {r['gbs']:>7.1f}  {r['choice']}"
                  + ("" if r["status"] == "ok" else f"  {r['status']}"), flush=True)
        ratios = [r["ratio"] for r in results if r["dtype"] == dtype.name]
        print(f"# {dtype.name}: geometric mean speed-up over torch.topk "
              f"{math.exp(statistics.fmean(math.log(q) for q in ratios)):.2f}x")
    copy_bytes = (32 if software else 256) << 20
    copy_bw = copy_bandwidth(ctx, copy_bytes, launches=args.launches, repeats=args.repeats)
    best = max(r["gbs"] for r in results)
    print(f"# wgpu copy bandwidth ({copy_bytes >> 20} MiB, after the grid): {copy_bw / 1e9:.1f} "
          f"GB/s read+write; the best row's input read: {100 * best * 1e9 / copy_bw:.1f}% of it")
    for r in results:
        r["copy_pct"] = 100 * r["gbs"] * 1e9 / copy_bw
    if args.json:
        with open(args.json, "a") as f:
            for r in results:
                f.write(json.dumps(dict(r, adapter=ctx.label)) + "\n")
    return 0 if all(r["status"] == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
