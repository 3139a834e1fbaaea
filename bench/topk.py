"""Run SpiralTorch's TopK benchmark grid: ``python bench/topk.py [--device cpu] [--grid cpu] ...``.

The same as ``spiraltorch bench topk``; reads bench/topk_shapes.json next to this script.
"""
import pathlib
import sys

from spiraltorch.cli import main

if __name__ == "__main__":
    shapes = pathlib.Path(__file__).with_name("topk_shapes.json")
    sys.exit(main(["bench", "topk", "--shapes", str(shapes), *sys.argv[1:]]))
