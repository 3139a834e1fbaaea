"""``spiraltorch bench topk`` (the shape grid against a baseline) and ``spiraltorch topk`` (one
checked run).

Each Choice is the one the heuristics pick for a user's ``st.topk``. On the cpu a time is the
wall time of ``st.topk``; on wgpu it is device time from timestamp queries around batches of the
call's launches. Every figure is a ratio measured in the same process: against the baseline
(``torch.topk`` on the same data: with the same thread count on the cpu, on CUDA where torch has
it for a GPU device) and against the bandwidth floor, the input bytes read once over the copy
bandwidth measured in the same run (read + write), after the grid.
"""
from __future__ import annotations

import datetime
import importlib.resources
import json
import math
import platform
import statistics
import sys
import time

import numpy as np

from .reference import reference_topk

SHAPES_RESOURCE = "topk_shapes.json"
WGPU_LAUNCHES = 20  # launches a timed batch on a GPU (timestamps or CUDA events around them)


def register(subparsers) -> None:
    bench = subparsers.add_parser("bench", help="benchmarks")
    which = bench.add_subparsers(dest="bench", metavar="BENCH")
    grid = which.add_parser("topk", help="time st.topk over a grid of shapes")
    grid.add_argument("--device", default="cpu")
    grid.add_argument("--grid", default=None, help="grid name in topk_shapes.json "
                      "(default: cpu for the cpu device, gpu otherwise)")
    grid.add_argument("--dtype", default="float32", choices=("float32", "float16"))
    grid.add_argument("--against", default="torch", choices=("torch", "none"))
    grid.add_argument("--out", default=None, help="write the results as JSON to this file")
    grid.add_argument("--repeat", type=int, default=7, help="timed runs per shape (median)")
    grid.add_argument("--shapes", default=None, help="a JSON file with grids (default: packaged)")
    grid.set_defaults(func=run_grid)
    bench.set_defaults(func=lambda args: (bench.print_help(), 2)[1])

    one = subparsers.add_parser("topk", help="one TopK on random data, checked against the exact "
                                "reference, with its time and Choice")
    one.add_argument("--rows", type=int, required=True)
    one.add_argument("--cols", type=int, required=True)
    one.add_argument("-k", type=int, required=True)
    one.add_argument("--device", default="cpu")
    one.add_argument("--dtype", default="float32",
                     choices=("float16", "float32", "float64", "int32", "int64", "uint8"))
    one.add_argument("--smallest", action="store_true", help="largest=False")
    one.add_argument("--seed", type=int, default=0)
    one.set_defaults(func=run_one)


# -- inputs, timing ---------------------------------------------------------------------------

def random_input(rows: int, cols: int, dtype: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dtype.startswith("float"):
        return rng.standard_normal((rows, cols), dtype=np.float32).astype(dtype)
    high = 256 if dtype == "uint8" else 1000
    return rng.integers(0 if dtype == "uint8" else -high, high, (rows, cols)).astype(dtype)


def set_threads(n: int) -> None:
    import numba

    from .backends.cpu import topk  # noqa: F401  (picks numba's threading layer before it starts)

    numba.set_num_threads(n)
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(n)


def _wait(tensors) -> None:
    """Block until the device has produced ``tensors`` (reads back one element of each)."""
    for t in tensors:
        if t.device.type != "cpu" and t.numel():
            t.reshape(-1)[:1].cpu().numpy()


def median_ms(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def copy_bandwidth(st, device: str, repeat: int) -> float:
    """Bytes per second of a large copy on the device, read and write both counted."""
    n = 64 << 20 if device == "cpu" else 128 << 20
    if device == "cpu":
        src = np.ones(n // 4, np.float32)
        dst = np.empty_like(src)
        return 2 * n / (median_ms(lambda: np.copyto(dst, src), repeat) / 1e3)
    if device == "wgpu":
        from .backends.wgpu import timing
        from .backends.wgpu.device import get_context
        return timing.copy_bandwidth(get_context(), n, repeats=repeat)
    src = st.ones(n // 4, device=device)
    return 2 * n / (median_ms(lambda: _wait([src.clone()]), repeat) / 1e3)


def topk_ms(st, x, k: int, repeat: int) -> tuple[float, str]:
    """(milliseconds, how) of ``st.topk(x, k)``. On wgpu, where the input and the scratch fit a
    binding (one launch), the device time of its launches in batches of WGPU_LAUNCHES, median of
    ``repeat``; how is "timestamp" (timestamp queries) or "wall" (the wall clock around each
    synchronised batch). Elsewhere, and for calls in blocks of rows, the wall time of whole calls:
    how is "call"."""
    if x._be.name != "wgpu":
        return median_ms(lambda: _wait(st.topk(x, k)), repeat), "call"
    from . import heuristics
    from .backends.wgpu.timing import device_time
    from .backends.wgpu.topk import TopkLaunch

    be, ctx, (rows, cols) = x._be, x._be.ctx, x.shape
    choice = heuristics.choose("topk", rows, cols, k, device="wgpu", dtype=x.dtype)
    if be.topk_in_blocks(x._data, k, True, choice):
        return median_ms(lambda: _wait(st.topk(x, k)), repeat), "call"
    launch = TopkLaunch(ctx, x._data, k, True, True, choice)
    try:
        t = device_time(ctx, launch.record, launches=WGPU_LAUNCHES, repeats=repeat)
    finally:
        launch.release()
    return t.median * 1e3, t.method


def torch_topk_ms(torch, t, k: int, launches: int, repeats: int) -> float:
    """Milliseconds per ``torch.topk(t, k)``: CUDA-event time over batches of ``launches`` calls
    on CUDA, wall time per call on the CPU; the median of ``repeats``."""
    for _ in range(2):
        torch.topk(t, k)
    samples = []
    for _ in range(repeats):
        if t.is_cuda:
            start = torch.cuda.Event(enable_timing=True)
            stop = torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(launches):
                torch.topk(t, k)
            stop.record()
            torch.cuda.synchronize()
            samples.append(start.elapsed_time(stop) / launches)
        else:
            t0 = time.perf_counter()
            for _ in range(launches):
                torch.topk(t, k)
            samples.append((time.perf_counter() - t0) * 1e3 / launches)
    return statistics.median(samples)


def load_grid(name: str, path: str | None) -> list:
    if path:
        with open(path) as f:
            grids = json.load(f)
    else:
        text = importlib.resources.files("spiraltorch").joinpath("data", SHAPES_RESOURCE).read_text()
        grids = json.loads(text)
    if name not in grids or name == "about":
        names = ", ".join(key for key in grids if key != "about")
        raise ValueError(f"unknown grid {name!r}; the shapes file has {names}")
    return [tuple(shape) for shape in grids[name]]


# -- bench topk -------------------------------------------------------------------------------

def _device_threads(device: str) -> int:
    from . import backends

    return backends.get("cpu").caps.threads if device == "cpu" else 0


def run_grid(args) -> int:
    import spiraltorch as st
    from . import heuristics

    grid_name = args.grid or ("cpu" if args.device == "cpu" else "gpu")
    try:
        shapes = load_grid(grid_name, args.shapes)
    except (OSError, ValueError) as e:
        print(f"spiraltorch bench topk: {e}", file=sys.stderr)
        return 2
    threads = _device_threads("cpu")
    set_threads(threads)
    torch = None
    torch_device = "cpu"
    if args.against == "torch":
        import torch
        if args.device != "cpu" and torch.cuda.is_available():
            torch_device = "cuda"
    dtype = st.dtypes.to_dtype(args.dtype)
    results = []
    for rows, cols, k in shapes:
        a = random_input(rows, cols, args.dtype, seed=0)
        x = st.from_numpy(a).to(args.device)
        ms, timing = topk_ms(st, x, k, args.repeat)
        row = {"rows": rows, "cols": cols, "k": k, "dtype": args.dtype, "ms": ms,
               "timing": timing,
               "choice": str(heuristics.choose("topk", rows, cols, k, device=args.device,
                                               dtype=dtype))}
        if torch is not None:
            t = torch.from_numpy(a).to(torch_device)
            launches = WGPU_LAUNCHES if torch_device == "cuda" else 1
            row["torch_ms"] = torch_topk_ms(torch, t, k, launches, args.repeat)
            row["ratio"] = row["torch_ms"] / row["ms"]
        results.append(row)
    bandwidth = copy_bandwidth(st, args.device, args.repeat)  # last: see timing.copy_bandwidth
    print(f"spiraltorch bench topk: device {args.device}, {args.dtype}, {threads} threads, "
          f"copy bandwidth {bandwidth / 1e9:.1f} GB/s (read+write, after the grid), median of "
          f"{args.repeat}" + (f"; torch on {torch_device}" if torch is not None else ""))
    head = f"{'rows':>6} {'cols':>9} {'k':>5} {'ms':>9}"
    if torch is not None:
        head += f" {'torch ms':>9} {'x torch':>8}"
    print(head + f" {'% floor':>8}  choice")
    for row in results:
        row["floor_ms"] = row["rows"] * row["cols"] * dtype.itemsize / bandwidth * 1e3
        row["pct_floor"] = 100 * row["floor_ms"] / row["ms"]
        line = f"{row['rows']:>6} {row['cols']:>9} {row['k']:>5} {row['ms']:>9.3f}"
        if torch is not None:
            line += f" {row['torch_ms']:>9.3f} {row['ratio']:>7.2f}x"
        print(line + f" {row['pct_floor']:>7.1f}%  {row['choice']}")
    report = {"device": args.device, "dtype": args.dtype, "grid": grid_name, "threads": threads,
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "command": "spiraltorch " + " ".join(sys.argv[1:]),
              "machine": f"{platform.node()} {platform.machine()} {platform.processor()}".strip(),
              "copy_bandwidth_gbps": bandwidth / 1e9, "repeat": args.repeat, "rows": results}
    if torch is not None and results:
        report["against"] = f"torch {torch.__version__} on {torch_device}"
        report["geomean_ratio"] = math.exp(statistics.fmean(math.log(r["ratio"]) for r in results))
        worst = min(results, key=lambda r: r["ratio"])
        print(f"geometric mean {report['geomean_ratio']:.2f}x torch.topk; lowest "
              f"{worst['ratio']:.2f}x at {worst['rows']} x {worst['cols']}, k={worst['k']}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(report, f, indent=1)
        print(f"wrote {args.out}")
    return 0


# -- topk (one run) ---------------------------------------------------------------------------

def run_one(args) -> int:
    import spiraltorch as st
    from . import heuristics

    if args.rows < 0 or args.cols < 0 or not 0 <= args.k <= args.cols:
        print(f"spiraltorch topk: need rows >= 0, cols >= 0 and 0 <= k <= cols; got "
              f"rows={args.rows}, cols={args.cols}, k={args.k}", file=sys.stderr)
        return 2
    a = random_input(args.rows, args.cols, args.dtype, args.seed)
    x = st.from_numpy(a).to(args.device)
    largest = not args.smallest
    explanation = heuristics.explain("topk", args.rows, args.cols, args.k, device=args.device,
                                     dtype=st.dtypes.to_dtype(args.dtype))
    start = time.perf_counter()
    values, indices = st.topk(x, args.k, largest=largest)
    _wait([values, indices])
    first_ms = (time.perf_counter() - start) * 1e3
    ms = median_ms(lambda: _wait(st.topk(x, args.k, largest=largest)), 5)
    ref_values, ref_indices = reference_topk(a, args.k, largest)
    same = (np.array_equal(indices.cpu().numpy(), ref_indices)
            and np.array_equal(values.cpu().numpy().view(np.uint8), ref_values.view(np.uint8)))
    print(f"topk rows={args.rows} cols={args.cols} k={args.k} {args.dtype} "
          f"{'smallest' if args.smallest else 'largest'} on {args.device}")
    print(f"time: {ms:.3f} ms (median of 5; first call {first_ms:.1f} ms, includes compiling)")
    print(str(explanation))
    if same:
        print("result: identical to the exact reference (values bit for bit, indices)")
        return 0
    bad = np.argwhere(indices.cpu().numpy() != ref_indices)
    print(f"result: DIFFERS from the exact reference at {len(bad)} positions, first {bad[:3].tolist()}")
    return 1
