"""Per-op Python overhead of a small element-wise op: SpiralTorch (cpu) next to NumPy and torch.

    python bench/overhead.py [--size 16] [--number 20000]
"""
from __future__ import annotations

import argparse
import timeit

import numpy as np

import spiraltorch as st


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=16)
    ap.add_argument("--number", type=int, default=20000)
    args = ap.parse_args()
    a = np.ones(args.size, np.float32)
    b = np.ones(args.size, np.float32)
    sa, sb = st.from_numpy(a), st.from_numpy(b)
    cases = [("numpy a + b", lambda: a + b), ("spiraltorch a + b", lambda: sa + sb),
             ("numpy a * 2.0", lambda: a * 2.0), ("spiraltorch a * 2.0", lambda: sa * 2.0),
             ("numpy a.sum()", lambda: a.sum()), ("spiraltorch a.sum()", lambda: sa.sum())]
    try:
        import torch
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        cases += [("torch a + b", lambda: ta + tb), ("torch a * 2.0", lambda: ta * 2.0),
                  ("torch a.sum()", lambda: ta.sum())]
    except ImportError:
        pass
    print(f"{'op':24s} {'us/call':>8s}   ({args.size} float32 elements, best of 5)")
    for name, fn in cases:
        best = min(timeit.repeat(fn, number=args.number, repeat=5)) / args.number
        print(f"{name:24s} {best * 1e6:8.2f}")


if __name__ == "__main__":
    main()
