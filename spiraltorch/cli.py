"""The ``spiraltorch`` command."""
from __future__ import annotations

import argparse
import importlib
import sys

# Modules that own subcommands; each provides register(subparsers).
_COMMAND_MODULES = ("spiraltorch.info", "spiraltorch.bench", "spiraltorch.kdsl.commands",
                    "spiraltorch.heuristics.commands")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spiraltorch", description=(
        "SpiralTorch: a Torch-like tensor library whose TopK kernels tune themselves."))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
