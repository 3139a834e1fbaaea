"""Compiler: syntax tree -> nested Python closures over an input list (no eval/exec/compile).

Each closure takes ``env``, the list of input values in ``language.INPUTS`` order, and returns a
float. Trees are at most MAX_NESTING deep, so a call never nests deeper than that.
"""
from __future__ import annotations

from typing import Callable

from . import arith
from .language import INPUT_INDEX
from .nodes import Binary, Bool, Call, Expr, Name, Num, Unary

Closure = Callable[[list], float]


def compile_expr(node: Expr) -> Closure:
    if isinstance(node, (Num, Bool)):
        value = float(node.value)
        return lambda env: value
    if isinstance(node, Name):
        index = INPUT_INDEX[node.name]
        return lambda env: env[index]
    if isinstance(node, Unary):
        operand = compile_expr(node.operand)
        if node.op == "-":
            return lambda env: -operand(env)
        return lambda env: 0.0 if operand(env) != 0.0 else 1.0
    if isinstance(node, Binary):
        return _binary(node, compile_expr(node.left), compile_expr(node.right))
    return _call(node, [compile_expr(arg) for arg in node.args])


def _binary(node: Binary, a: Closure, b: Closure) -> Closure:
    op = node.op
    if op == "||":
        return lambda env: 1.0 if a(env) != 0.0 or b(env) != 0.0 else 0.0
    if op == "&&":
        return lambda env: 1.0 if a(env) != 0.0 and b(env) != 0.0 else 0.0
    if op == "<":
        return lambda env: 1.0 if a(env) < b(env) else 0.0
    if op == "<=":
        return lambda env: 1.0 if a(env) <= b(env) else 0.0
    if op == ">":
        return lambda env: 1.0 if a(env) > b(env) else 0.0
    if op == ">=":
        return lambda env: 1.0 if a(env) >= b(env) else 0.0
    if op == "==":
        return lambda env: 1.0 if a(env) == b(env) else 0.0
    if op == "!=":
        return lambda env: 1.0 if a(env) != b(env) else 0.0
    if op == "+":
        return lambda env: a(env) + b(env)
    if op == "-":
        return lambda env: a(env) - b(env)
    if op == "*":
        return lambda env: a(env) * b(env)
    if op == "/":
        return lambda env: arith.divide(a(env), b(env), node)
    if op == "%":
        return lambda env: arith.modulo(a(env), b(env), node)
    if op == "^":
        return lambda env: arith.power(a(env), b(env), node)
    raise AssertionError(f"the parser produced an unknown operator {op!r}")


def _call(node: Call, args: list[Closure]) -> Closure:
    func = node.func
    if func == "sel":
        cond, if_true, if_false = args
        return lambda env: if_true(env) if cond(env) != 0.0 else if_false(env)
    if func in ("min", "max"):
        pick = arith.minimum if func == "min" else arith.maximum
        return lambda env: pick([arg(env) for arg in args])
    if func == "clamp":
        x, lo, hi = args
        return lambda env: arith.minimum([arith.maximum([x(env), lo(env)]), hi(env)])
    (x,) = args
    if func == "log2":
        return lambda env: arith.log2(x(env), node)
    unary = {"abs": abs, "floor": arith.floor, "ceil": arith.ceil, "round": arith.round_half_away,
             "pow2": arith.pow2}.get(func)
    if unary is None:
        raise AssertionError(f"the parser produced an unknown function {func!r}")
    return lambda env: unary(x(env))

