"""Lexer: SpiralK text -> tokens, each with its character offsets in the text."""
from __future__ import annotations

import math
import re
from typing import NamedTuple

from .errors import error_at, shorten

NUM, NAME, OP, END = "number", "name", "operator", "end"

_TOKEN = re.compile(r"""
    (?P<skip>[ \t\r\n\f\v]+|\#[^\n]*)
  | (?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<operator>\|\||&&|<=|>=|==|!=|[<>+\-*/%^!(),;:])
""", re.VERBOSE)
_LONE_HINT = {"|": "did you mean '||'?", "&": "did you mean '&&'?",
              "=": "a statement is written key: expr, and equality is =="}
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.")


class Token(NamedTuple):
    kind: str
    text: str
    start: int
    end: int
    value: float = 0.0

    def describe(self) -> str:
        return "end of program" if self.kind == END else f"'{shorten(self.text)}'"


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; the list always ends with an END token."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        match = _TOKEN.match(text, i)
        if match is None:
            ch = text[i]
            hint = f" ({_LONE_HINT[ch]})" if ch in _LONE_HINT else ""
            raise error_at(text, i, f"unexpected character {ch!r}{hint}")
        kind, end = match.lastgroup, match.end()
        if kind == NUM:
            tokens.append(_number(text, i, end))
        elif kind != "skip":
            tokens.append(Token(kind, text[i:end], i, end))
        i = end
    tokens.append(Token(END, "", n, n))
    return tokens


def _number(text: str, start: int, end: int) -> Token:
    if end < len(text) and text[end] in _NAME_CHARS:
        bad_end = end
        while bad_end < len(text) and text[bad_end] in _NAME_CHARS:
            bad_end += 1
        raise error_at(text, start, f"malformed number '{shorten(text[start:bad_end])}'", bad_end - start)
    literal = text[start:end]
    value = float(literal)
    if math.isinf(value):
        raise error_at(text, start, f"number {shorten(literal)} is too large for float64", end - start)
    return Token(NUM, literal, start, end, value)
