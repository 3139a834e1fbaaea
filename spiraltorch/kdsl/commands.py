"""The ``spiraltorch kdsl check|eval`` subcommands."""
from __future__ import annotations

import argparse
import sys

from .arith import format_number
from .errors import SpiralKError
from .language import DEFAULT_KEYS
from .program import Program, parse


def register(subparsers) -> None:
    kdsl = subparsers.add_parser("kdsl", help="check or evaluate a SpiralK program")
    commands = kdsl.add_subparsers(dest="kdsl_command", metavar="{check,eval}", required=True)

    check = commands.add_parser("check", help="parse a program; print its canonical text and keys")
    _program_arguments(check)
    check.set_defaults(func=_check)

    evaluate = commands.add_parser("eval", help="print each key's value for the given inputs")
    _program_arguments(evaluate)
    evaluate.add_argument("--r", type=float, required=True, help="rows")
    evaluate.add_argument("--c", type=float, required=True, help="columns")
    evaluate.add_argument("--k", type=float, required=True, help="k")
    evaluate.add_argument("--sg", type=int, choices=(0, 1), help="subgroups available (default 0)")
    evaluate.add_argument("--input", action="append", default=[], metavar="NAME=V",
                          help="another input, e.g. sgs=32 or wgpu=1 (repeatable)")
    evaluate.set_defaults(func=_eval)


def _program_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("program", metavar="PROGRAM|@FILE",
                        help="SpiralK text, or @path to read it from a file")
    parser.add_argument("--keys", default=",".join(sorted(DEFAULT_KEYS)),
                        help="comma-separated statement keys allowed (default: %(default)s)")


def _load(args) -> Program:
    text = args.program
    if text.startswith("@"):
        path = text[1:]
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as e:
            raise SpiralKError(f"cannot read the SpiralK program {path}: {e}") from None
    keys = [key.strip() for key in args.keys.split(",") if key.strip()]
    return parse(text, keys=keys)


def _check(args) -> int:
    try:
        program = _load(args)
    except SpiralKError as e:
        print(e, file=sys.stderr)
        return 2
    print(program)
    print("keys:", " ".join(program.keys))
    return 0


def _eval(args) -> int:
    inputs = {"r": args.r, "c": args.c, "k": args.k}
    if args.sg is not None:
        inputs["sg"] = float(args.sg)
    for item in args.input:
        name, _, value = item.partition("=")
        name = name.strip()
        try:
            number = float(value)
        except ValueError:
            print(f"--input expects NAME=NUMBER, got {item!r}", file=sys.stderr)
            return 2
        if name in inputs:
            print(f"input '{name}' is given twice", file=sys.stderr)
            return 2
        inputs[name] = number
    try:
        values = _load(args).eval(**inputs)
    except SpiralKError as e:
        print(e, file=sys.stderr)
        return 2
    for key, value in values.items():
        print(f"{key}={format_number(value)}")
    return 0
