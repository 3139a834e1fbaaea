"""Printer: syntax tree -> canonical SpiralK text, with only the parentheses the grammar needs.

Canonical form: ``key: expr`` statements joined by ``"; "``; spaces around binary operators except
``^``; calls as ``f(a, b)``; numbers as ``arith.format_number`` writes them.
"""
from __future__ import annotations

from .arith import format_number
from .language import BINARY_PRECEDENCE
from .nodes import Binary, Bool, Call, Expr, Name, Num, Statement, Unary

_UNARY_PREC = 6
_POW_PREC = 7
_PRIMARY_PREC = 8


def format_program(statements: tuple[Statement, ...]) -> str:
    return "; ".join(f"{s.key}: {format_expr(s.expr)}" for s in statements)


def format_expr(node: Expr) -> str:
    if isinstance(node, Num):
        return format_number(node.value)
    if isinstance(node, Bool):
        return "true" if node.value else "false"
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Unary):
        return node.op + _operand(node.operand, _UNARY_PREC)
    if isinstance(node, Call):
        return f"{node.func}({', '.join(format_expr(arg) for arg in node.args)})"
    if node.op == "^":
        return f"{_operand(node.left, _PRIMARY_PREC)}^{_operand(node.right, _UNARY_PREC)}"
    prec = BINARY_PRECEDENCE[node.op]
    # left-associative: the right operand must bind tighter; comparisons do not chain at all
    left_min = prec + 1 if prec == 3 else prec
    return f"{_operand(node.left, left_min)} {node.op} {_operand(node.right, prec + 1)}"


def _precedence(node: Expr) -> int:
    if isinstance(node, Unary):
        return _UNARY_PREC
    if isinstance(node, Binary):
        return _POW_PREC if node.op == "^" else BINARY_PRECEDENCE[node.op]
    return _PRIMARY_PREC


def _operand(node: Expr, min_prec: int) -> str:
    text = format_expr(node)
    return text if _precedence(node) >= min_prec else f"({text})"
