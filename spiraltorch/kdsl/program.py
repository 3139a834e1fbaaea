"""Program: a parsed, compiled SpiralK program, and ``parse``, which caches them."""
from __future__ import annotations

import functools
import numbers
from collections.abc import Iterable

from . import arith
from .compiler import compile_expr
from .errors import SpiralKError, shorten
from .language import DEFAULT_KEYS, INPUT_INDEX, INPUTS, MAX_TEXT_BYTES, nearest
from .nodes import Statement
from .parser import parse_statements
from .printer import format_program


class Program:
    """A SpiralK program: ``keys`` in statement order, ``eval(...)`` for values, ``str()`` canonical."""

    def __init__(self, source: str, statements: tuple[Statement, ...]):
        self.source = source
        self.statements = statements
        self.keys = tuple(s.key for s in statements)
        self._compiled = tuple((s, compile_expr(s.expr)) for s in statements)
        self._text = format_program(statements)

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"kdsl.Program({self._text!r})"

    def eval(self, /, r: float = 0.0, c: float = 0.0, k: float = 0.0, **inputs: float) -> dict[str, float]:
        """Each key's value for these inputs; inputs not given are 0.

        Raises SpiralKError for an unknown input name, a value beyond float64, or a failure while
        evaluating (division by zero, log2 of a value <= 0), naming the statement and the inputs.
        """
        env = [_number("r", r), _number("c", c), _number("k", k), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        for name, value in inputs.items():
            index = INPUT_INDEX.get(name)
            if index is None:
                raise SpiralKError(f"unknown input '{shorten(name)}'{nearest(name, INPUTS)}")
            env[index] = _number(name, value)
        statement = None
        try:
            result = {}
            for statement, closure in self._compiled:
                result[statement.key] = closure(env)
            return result
        except arith.Fault as fault:
            raise _located(self.source, statement, fault, env, inputs) from None


def _number(name: str, value) -> float:
    if type(value) is float:
        return value
    if not isinstance(value, numbers.Real):
        raise TypeError(f"SpiralK input '{name}' must be a real number, got {type(value).__name__}")
    try:
        return float(value)
    except OverflowError:
        raise SpiralKError(f"input '{name}' is beyond the float64 range") from None


def _located(source: str, statement: Statement, fault: arith.Fault, env: list[float],
             given: dict) -> SpiralKError:
    shown = ["r", "c", "k"] + [name for name in INPUTS[3:] if name in given]
    values = " ".join(f"{name}={arith.format_number(env[INPUT_INDEX[name]])}" for name in shown)
    span = fault.node.span
    lines = source.split("\n")
    return SpiralKError(f"{fault.reason} in the statement for '{statement.key}' with inputs {values}",
                        line=span.line, col=span.col, source_line=lines[span.line - 1].rstrip("\r"),
                        width=span.end - span.start)


@functools.lru_cache(maxsize=512)
def _parse_cached(text: str, keys: frozenset[str]) -> Program:
    # a str of more than the limit in characters is over it in bytes too; skip encoding a huge one
    if len(text) > MAX_TEXT_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_TEXT_BYTES:
        raise SpiralKError(f"the SpiralK program is longer than {MAX_TEXT_BYTES} bytes (16 KiB) of "
                           f"UTF-8; it has {len(text)} characters")
    return Program(text, parse_statements(text, keys))


def parse(text: str, *, keys: Iterable[str] | None = None) -> Program:
    """Parse and compile a SpiralK program (cached by text and keys).

    ``keys`` is the set of statement keys allowed; None allows the core keys u2 wg kl ch cr and the
    backend field alg. Raises SpiralKError for any problem with the text, and TypeError when
    ``text`` is not a str (bytes included: decode them first) or a key is not a str.
    """
    if not isinstance(text, str):
        raise TypeError(f"a SpiralK program must be a str, got {type(text).__name__}")
    if keys is None:
        allowed = DEFAULT_KEYS
    else:
        if isinstance(keys, str):
            raise TypeError("keys must be a collection of key names, not a single str")
        allowed = frozenset(keys)
        for key in allowed:
            if not isinstance(key, str):
                raise TypeError(f"SpiralK keys must be str, got {type(key).__name__}")
    return _parse_cached(str.__str__(text), allowed)

