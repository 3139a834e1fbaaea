"""``spiraltorch explain OP --rows R --cols C -k K [--device D] [--dtype T]``."""
from __future__ import annotations

import argparse
import sys

from .. import dtypes
from .chooser import explain

_OPS = ("topk",)


def _run_explain(args) -> int:
    try:
        dtype = dtypes.to_dtype(args.dtype)
        print(explain(args.op, args.rows, args.cols, args.k, device=args.device, dtype=dtype))
    except (ValueError, TypeError, RuntimeError, OSError) as e:
        print(f"spiraltorch explain: error: {e}", file=sys.stderr)
        return 2
    return 0


def _size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return value


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "explain", help="show each launch-choice field, its value and the source that decided it",
        description="Show the Choice a kernel call gets, field by field: its value, the source "
                    "(spiralk, table, fallback) and any clamping to the device's limits.")
    parser.add_argument("op", choices=_OPS, help="the operation")
    parser.add_argument("--rows", type=_size, required=True, help="rows of the input")
    parser.add_argument("--cols", type=_size, required=True, help="columns (the selected dim)")
    parser.add_argument("-k", type=_size, required=True, help="how many to select per row")
    parser.add_argument("--device", default="cpu", help="cpu, wgpu, ... (default cpu)")
    parser.add_argument("--dtype", default="float32", help="element type (default float32)")
    parser.set_defaults(func=_run_explain)
