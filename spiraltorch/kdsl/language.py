"""What SpiralK knows by name: inputs, functions, statement keys, and its size limits."""
from __future__ import annotations

import difflib

INPUTS = ("r", "c", "k", "sg", "sgs", "el", "cpu", "cuda", "wgpu", "mps")
INPUT_INDEX = {name: i for i, name in enumerate(INPUTS)}

# name -> (fewest, most) arguments; None = no upper bound
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "sel": (3, 3),
    "min": (2, None),
    "max": (2, None),
    "clamp": (3, 3),
    "log2": (1, 1),
    "abs": (1, 1),
    "floor": (1, 1),
    "ceil": (1, 1),
    "round": (1, 1),
    "pow2": (1, 1),
}

CORE_KEYS = ("u2", "wg", "kl", "ch", "cr")
DEFAULT_KEYS = frozenset(CORE_KEYS + ("alg",))

MAX_TEXT_BYTES = 16 * 1024
MAX_NESTING = 64

# binary operator -> precedence (higher binds tighter); '^' is handled apart (right-assoc, binds
# tighter than unary minus on its left)
BINARY_PRECEDENCE = {
    "||": 1, "&&": 2,
    "<": 3, "<=": 3, ">": 3, ">=": 3, "==": 3, "!=": 3,
    "+": 4, "-": 4,
    "*": 5, "/": 5, "%": 5,
}
COMPARISON_PRECEDENCE = 3


def arity_text(func: str) -> str:
    fewest, most = FUNCTIONS[func]
    if most is None:
        return f"at least {fewest} arguments"
    return f"{fewest} argument{'s' if fewest != 1 else ''}"


def nearest(name: str, known) -> str:
    """' did you mean X?' for the closest of ``known``, or the list of them when none is close."""
    known = sorted(known) if isinstance(known, (set, frozenset)) else list(known)
    match = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    if match:
        return f"; did you mean '{match[0]}'?"
    return f"; expected one of: {', '.join(known)}"
