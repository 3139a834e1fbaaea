"""The SpiralK syntax tree. Nodes compare by structure; spans (positions in the text) are ignored."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    """Characters ``start:end`` of the program text; ``line`` and ``col`` of ``start`` (1-based)."""
    start: int
    end: int
    line: int
    col: int


_NO_SPAN = Span(0, 0, 0, 0)


def _span() -> Span:
    return field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True)
class Num:
    value: float
    span: Span = _span()


@dataclass(frozen=True)
class Bool:
    value: bool
    span: Span = _span()


@dataclass(frozen=True)
class Name:
    """A reference to an input (``r``, ``c``, ``k``, ...)."""
    name: str
    span: Span = _span()


@dataclass(frozen=True)
class Unary:
    op: str  # '-' or '!'
    operand: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Binary:
    """``left op right``; the span is the operator's, so errors point at it."""
    op: str
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Call:
    """``func(args...)``; the span is the function name's."""
    func: str
    args: tuple[Expr, ...]
    span: Span = _span()


Expr = Num | Bool | Name | Unary | Binary | Call


@dataclass(frozen=True)
class Statement:
    """``key: expr``; the span is the key's."""
    key: str
    expr: Expr
    span: Span = _span()
