"""SpiralK's float64 arithmetic where Python's own would raise or differ.

IEEE-754 results throughout: overflow gives +-inf, invalid operations give NaN. The only failures
are division or modulo by zero, 0 raised to a negative power, and log2 of a value <= 0; they raise
``Fault``, which the program turns into a SpiralKError naming the statement and the inputs.
"""
from __future__ import annotations

import math


class Fault(Exception):
    """An evaluation error; ``node`` is the syntax node whose span it points at."""

    def __init__(self, reason: str, node):
        super().__init__(reason)
        self.reason = reason
        self.node = node


def divide(a: float, b: float, node) -> float:
    if b == 0.0:
        raise Fault(f"division by zero ({format_number(a)} / {format_number(b)})", node)
    return a / b


def modulo(a: float, b: float, node) -> float:
    if b == 0.0:
        raise Fault(f"modulo by zero ({format_number(a)} % {format_number(b)})", node)
    return a % b


def power(a: float, b: float, node) -> float:
    if a == 0.0 and b < 0.0:
        raise Fault(f"division by zero (0 raised to the negative power {format_number(b)})", node)
    try:
        result = a ** b
    except OverflowError:
        # only finite bases with finite exponents get here; an odd integer exponent keeps the sign
        integral = b == math.floor(b)
        if a < 0.0 and not integral:  # a negative base with a fractional exponent
            return math.nan
        odd = integral and math.fmod(b, 2.0) != 0.0
        return -math.inf if a < 0.0 and odd else math.inf
    if isinstance(result, complex):  # a negative base with a fractional exponent
        return math.nan
    return result


def log2(x: float, node) -> float:
    if x <= 0.0:
        raise Fault(f"log2 of the non-positive value {format_number(x)}", node)
    return math.log2(x)


def floor(x: float) -> float:
    return float(math.floor(x)) if math.isfinite(x) else x


def ceil(x: float) -> float:
    return float(math.ceil(x)) if math.isfinite(x) else x


def round_half_away(x: float) -> float:
    """Round to the nearest integer, halves away from zero (2.5 -> 3, -2.5 -> -3)."""
    if not math.isfinite(x):
        return x
    magnitude = abs(x)
    whole = math.floor(magnitude)
    if magnitude - whole >= 0.5:
        whole += 1
    return math.copysign(float(whole), x)


def pow2(x: float) -> float:
    """The smallest power of two >= x, and 1 for x <= 1; NaN and +inf map to themselves."""
    if x != x or x == math.inf:
        return x
    if x <= 1.0:
        return 1.0
    mantissa, exponent = math.frexp(x)
    if mantissa == 0.5:
        return x
    return math.ldexp(1.0, exponent) if exponent < 1024 else math.inf


def minimum(values: list[float]) -> float:
    """The smallest value (the first of equals); NaN if any value is NaN."""
    best = values[0]
    for v in values:
        if v != v:
            return v
        if v < best:
            best = v
    return best


def maximum(values: list[float]) -> float:
    """The largest value (the first of equals); NaN if any value is NaN."""
    best = values[0]
    for v in values:
        if v != v:
            return v
        if v > best:
            best = v
    return best


def format_number(x: float) -> str:
    """How SpiralK writes a number: integers without '.0' (below 1e16), others as Python's repr."""
    return str(int(x)) if x.is_integer() and abs(x) < 1e16 else repr(x)
