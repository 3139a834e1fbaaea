"""``spiraltorch bench topk`` (the shape grid against a baseline) and ``spiraltorch topk`` (one
checked run).

Times go through the public API (``st.topk``), so the heuristics pick each Choice as they would
for a user. Every figure is a ratio measured in the same process: against the baseline
(``torch.topk`` on the same data with the same thread count) and against the bandwidth floor,
the input bytes read once over the copy bandwidth measured in the same run (read + write).
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
        ms = median_ms(lambda: np.copyto(dst, src), repeat)
    else:
        src = st.ones(n // 4, device=device)
        ms = median_ms(lambda: _wait([src.clone()]), repeat)
    return 2 * n / (ms / 1e3)


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
    if args.against == "torch":
        import torch
    bandwidth = copy_bandwidth(st, args.device, args.repeat)
    dtype = st.dtypes.to_dtype(args.dtype)
    print(f"spiraltorch bench topk: device {args.device}, {args.dtype}, {threads} threads, "
          f"copy bandwidth {bandwidth / 1e9:.1f} GB/s (read+write), median of {args.repeat}")
    head = f"{'rows':>6} {'cols':>9} {'k':>5} {'ms':>9}"
    if torch is not None:
        head += f" {'torch ms':>9} {'x torch':>8}"
    print(head + f" {'% floor':>8}  choice")
    results = []
    for rows, cols, k in shapes:
        a = random_input(rows, cols, args.dtype, seed=0)
        x = st.from_numpy(a).to(args.device)
        ms = median_ms(lambda: _wait(st.topk(x, k)), args.repeat)
        floor_ms = a.nbytes / bandwidth * 1e3
        row = {"rows": rows, "cols": cols, "k": k, "dtype": args.dtype, "ms": ms,
               "floor_ms": floor_ms, "pct_floor": 100 * floor_ms / ms,
               "choice": str(heuristics.choose("topk", rows, cols, k, device=args.device,
                                               dtype=dtype))}
        line = f"{rows:>6} {cols:>9} {k:>5} {ms:>9.3f}"
        if torch is not None:
            t = torch.from_numpy(a)
            row["torch_ms"] = median_ms(lambda: torch.topk(t, k), args.repeat)
            row["ratio"] = row["torch_ms"] / ms
            line += f" {row['torch_ms']:>9.3f} {row['ratio']:>7.2f}x"
        print(line + f" {row['pct_floor']:>7.1f}%  {row['choice']}", flush=True)
        results.append(row)
    report = {"device": args.device, "dtype": args.dtype, "grid": grid_name, "threads": threads,
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "command": "spiraltorch " + " ".join(sys.argv[1:]),
              "machine": f"{platform.node()} {platform.machine()} {platform.processor()}".strip(),
              "copy_bandwidth_gbps": bandwidth / 1e9, "repeat": args.repeat, "rows": results}
    if torch is not None and results:
        report["against"] = f"torch {torch.__version__}"
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
