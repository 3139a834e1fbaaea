"""The legal values of each Choice field on a device, and the nearest legal value to one asked for.

Rules (docs/tuning.md): u2 is 0 or 1; wg a power of two from 1 to the device's largest workgroup;
kl a power of two from 1 to 64; ch 0 (whole row) or a multiple of 256 below the row length;
cr an integer from 1 to 65535; a backend field an integer in the range its backend declares.
"""
from __future__ import annotations

import math

KL_MAX = 64
CH_STEP = 256
CR_MAX = 65535  # the grid-dimension limit of WebGPU and CUDA


def _nearest_int(x: float) -> int:
    return math.floor(x + 0.5)


def _nearest_pow2(x: float, hi: int) -> int:
    """The power of two nearest to x within [1, hi] (ties go to the smaller)."""
    if x <= 1:
        return 1
    if x >= hi:
        return hi
    below = 1 << (math.floor(x).bit_length() - 1)
    return below if x - below <= 2 * below - x else 2 * below


def _pow2_floor(n: int) -> int:
    return 1 << (max(int(n), 1).bit_length() - 1)


def _u2(asked, cols, caps, ranges):
    value = 1 if asked > 0.5 else 0
    return value, ("" if value == asked else "u2 is 0 (one pass) or 1 (two passes)")


def _wg(asked, cols, caps, ranges):
    hi = _pow2_floor(caps.max_workgroup_size)
    value = _nearest_pow2(asked, hi)
    if value == asked:
        return value, ""
    if asked > hi:
        return value, f"the {caps.device} max_workgroup_size is {caps.max_workgroup_size}"
    return value, "wg is a power of two"


def _kl(asked, cols, caps, ranges):
    value = _nearest_pow2(asked, KL_MAX)
    return value, ("" if value == asked else f"kl is a power of two from 1 to {KL_MAX}")


def _ch(asked, cols, caps, ranges):
    if asked <= 0:
        return 0, ("" if asked == 0 else "ch is 0 (whole row) or a positive multiple of 256")
    value = max(CH_STEP, _nearest_int(asked / CH_STEP) * CH_STEP)
    if value >= cols:
        return 0, f"a chunk of {value} columns covers the whole row of {cols}: 0 (whole row)"
    return value, ("" if value == asked else f"ch is a multiple of {CH_STEP}")


def _cr(asked, cols, caps, ranges):
    value = min(max(_nearest_int(asked), 1), CR_MAX)
    return value, ("" if value == asked else f"cr is an integer from 1 to {CR_MAX}")


_CORE_RULES = {"u2": _u2, "wg": _wg, "kl": _kl, "ch": _ch, "cr": _cr}


def legal_value(name: str, asked: float, cols: int, caps, ranges: dict) -> tuple[int, str]:
    """(nearest legal value, why it differs from ``asked``, or "" when it does not).

    ``ranges`` maps each backend field to its inclusive (lowest, highest)."""
    rule = _CORE_RULES.get(name)
    if rule is not None:
        return rule(asked, cols, caps, ranges)
    lo, hi = ranges[name]
    value = min(max(_nearest_int(asked), lo), hi)
    return value, ("" if value == asked else f"{caps.device} allows {name} from {lo} to {hi}")
