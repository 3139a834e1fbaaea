"""SpiralK, the small language that sets kernel launch choices: ``parse(text).eval(r=, c=, k=)``.

See docs/spiralk.md for the language reference.
"""
from .errors import SpiralKError
from .language import CORE_KEYS, DEFAULT_KEYS, FUNCTIONS, INPUTS, MAX_NESTING, MAX_TEXT_BYTES
from .program import Program, parse

__all__ = ["SpiralKError", "Program", "parse", "INPUTS", "FUNCTIONS", "CORE_KEYS", "DEFAULT_KEYS",
           "MAX_NESTING", "MAX_TEXT_BYTES"]
