"""Fuzz SpiralK for a while: only SpiralKError may escape parse() and eval(), and every program
that parses must print to a text that parses back to the same canonical text.

    PYTHONPATH=. python3 scripts/fuzz_kdsl.py --seconds 600 [--seed N]    (from the repository root)

Inputs are random text, random bytes (decoded), token soup, and mutations of valid programs.
Exit status 1 and the offending input on the first failure; 0 with counts otherwise.
"""
from __future__ import annotations

import argparse
import math
import random
import sys
import time
import traceback

from spiraltorch import kdsl

SEEDS = [
    "u2:(c>32768)||(k>128); wg:sel(c<4096,128,256); kl:max(8,sel(k>=32,32,sel(k>=16,16,8))); "
    "ch:sel(c>16384,8192,0)",
    "wg:sel( (log2(c)*0.5 + log2(k)) > 24, 256, 128 );  # wide\n kl:max(8, sel(k>4096,32, sel(k>512,16,8)));",
    "cr: clamp(pow2(c / 8192), 1, 64); alg: sel(k > 64 && !cpu, 1, 0); u2: round(log2(r + 1)) % 2",
    "wg: 2^-3^2 - -(1e308 * 10) / (k - 4); kl: min(abs(-c), floor(1.5), ceil(.5), 3.)",
]
TOKENS = ["wg", "kl", "u2", "ch", "cr", "alg", ":", ";", "(", ")", ",", "+", "-", "*", "/", "%", "^", "!",
          "||", "&&", "<", "<=", ">", ">=", "==", "!=", "sel", "min", "max", "clamp", "log2", "abs",
          "floor", "ceil", "round", "pow2", "r", "c", "k", "sg", "sgs", "el", "cpu", "cuda", "wgpu",
          "mps", "true", "false", "0", "1", "2", "0.5", "1e308", "1e400", "1e-400", ".5", "3.", "1.2.3",
          "#", "\n", " ", "\t", "|", "&", "=", "é", "\x00", "wgg", "x"]
INPUT_VALUES = [0.0, -0.0, 1.0, 2.0, 0.5, 3.0, 4096.0, 32769.0, 1e308, -1e308, math.inf, -math.inf,
                math.nan, 1 << 20]


def random_text(rng: random.Random) -> str:
    alphabet = "rckgswlpu2()+-*/%^!<>=|&,;:#. \n\t0123456789e_" + "".join(map(chr, range(0x20, 0x7f)))
    if rng.random() < 0.1:
        return "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randrange(40)))
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(120)))


def random_bytes(rng: random.Random) -> str:
    raw = bytes(rng.randrange(256) for _ in range(rng.randrange(120)))
    return raw.decode("latin-1") if rng.random() < 0.5 else raw.decode("utf-8", "surrogateescape")


def token_soup(rng: random.Random) -> str:
    return "".join(rng.choice(TOKENS) for _ in range(rng.randrange(80)))


def mutation(rng: random.Random) -> str:
    text = list(rng.choice(SEEDS))
    for _ in range(rng.randrange(1, 6)):
        i = rng.randrange(len(text) + 1)
        action = rng.random()
        if action < 0.4 and i < len(text):
            del text[i]
        elif action < 0.7:
            text.insert(i, rng.choice(TOKENS))
        elif i < len(text):
            text[i] = rng.choice(TOKENS)
    return "".join(text)


def nested(rng: random.Random) -> str:
    depth = rng.randrange(55, 75)
    opener, closer = rng.choice([("(", ")"), ("abs(", ")"), ("-", ""), ("!", ""), ("1+", ""), ("2^", ""),
                                 ("sel(1,", ",0)"), ("min(0,", ")")])
    return "wg: " + opener * depth + "c" + closer * depth


GENERATORS = [random_text, random_bytes, token_soup, mutation, mutation, nested]


def check(text: str, rng: random.Random) -> bool:
    """True when ``text`` parsed; raises on anything but SpiralKError or a broken round trip."""
    try:
        program = kdsl.parse(text)
    except kdsl.SpiralKError:
        return False
    canonical = str(program)
    if str(kdsl.parse(canonical)) != canonical:
        raise AssertionError(f"round trip changed {canonical!r}")
    for _ in range(4):
        inputs = {name: rng.choice(INPUT_VALUES) for name in rng.sample(kdsl.INPUTS, rng.randrange(11))}
        try:
            program.eval(**inputs)
        except kdsl.SpiralKError:
            pass
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, required=True, help="how long to run")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: from the time)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else time.time_ns() % (1 << 32)
    rng = random.Random(seed)
    deadline = time.monotonic() + args.seconds
    tried = parsed = 0
    while time.monotonic() < deadline:
        text = rng.choice(GENERATORS)(rng)
        tried += 1
        try:
            parsed += check(text, rng)
        except Exception:
            print(f"FAILED (seed {seed}, case {tried}) on {text!r}:", file=sys.stderr)
            traceback.print_exc()
            return 1
    print(f"seed {seed}: {tried} inputs, {parsed} parsed, {tried - parsed} rejected with SpiralKError, "
          f"no other exception")
    return 0


if __name__ == "__main__":
    sys.exit(main())
