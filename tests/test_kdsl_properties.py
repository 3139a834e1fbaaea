"""SpiralK on generated programs: round trip, agreement with a tree-walking reference, fuzzing."""
from __future__ import annotations

import decimal
import math
import operator

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spiraltorch import kdsl
from spiraltorch.kdsl.nodes import Binary, Bool, Call, Name, Num, Statement, Unary
from spiraltorch.kdsl.printer import format_expr

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BINARY_OPS = ("||", "&&", "<", "<=", ">", ">=", "==", "!=", "+", "-", "*", "/", "%")
FIXED_ARITY = {"sel": 3, "clamp": 3, "log2": 1, "abs": 1, "floor": 1, "ceil": 1, "round": 1, "pow2": 1}

literals = st.one_of(
    st.integers(0, 70000).map(float),
    st.integers(0, 9).map(float),
    st.sampled_from([0.0, 0.5, 1.0, 2.0, 2.5, 3.0, 8.0, 24.0, 0.1, 1e-7, 1e16, 1e300, 2.0 ** 53 + 2]),
    st.floats(0, 1e12, allow_nan=False, allow_infinity=False),
)
leaves = st.one_of(
    st.sampled_from(kdsl.INPUTS).map(Name),
    literals.map(Num),
    st.booleans().map(Bool),
)


def extend(children):
    def call(func: str):
        if func in FIXED_ARITY:
            args = st.tuples(*[children] * FIXED_ARITY[func])
        else:
            args = st.lists(children, min_size=2, max_size=4).map(tuple)
        return args.map(lambda a: Call(func, a))

    return st.one_of(
        st.builds(Unary, st.sampled_from("-!"), children),
        st.builds(Binary, st.sampled_from(BINARY_OPS), children, children),
        st.builds(Binary, st.just("^"), children, children),
        st.sampled_from(sorted(kdsl.FUNCTIONS)).flatmap(call),
    )


def depth(node) -> int:
    if isinstance(node, Unary):
        return 1 + depth(node.operand)
    if isinstance(node, Binary):
        return 1 + max(depth(node.left), depth(node.right))
    if isinstance(node, Call):
        return 1 + max(depth(arg) for arg in node.args)
    return 0


exprs = st.recursive(leaves, extend, max_leaves=24).filter(lambda e: depth(e) <= 14)


@st.composite
def programs(draw):
    keys = draw(st.lists(st.sampled_from(sorted(kdsl.DEFAULT_KEYS)), min_size=1, max_size=4, unique=True))
    return tuple(Statement(key, draw(exprs)) for key in keys)


# -- a second, independent way to write a tree: every operation in parentheses, odd spacing ------------

@st.composite
def noisy_text(draw, statements):
    def space():
        return draw(st.sampled_from(["", " ", "\n", "\t", "  # note\n", "\r\n"]))

    def number(v: float) -> str:
        if v == int(v) and abs(v) < 1e15 and draw(st.booleans()):
            return str(int(v))
        return draw(st.sampled_from([repr(v), f"{v:.17e}", f"{v:.17E}"]))

    def write(node) -> str:
        if isinstance(node, Num):
            return number(node.value)
        if isinstance(node, Bool):
            return "true" if node.value else "false"
        if isinstance(node, Name):
            return node.name
        if isinstance(node, Unary):
            return f"({space()}{node.op}{space()}({write(node.operand)}))"
        if isinstance(node, Binary):
            return f"(({write(node.left)}){space()}{node.op}{space()}({write(node.right)}))"
        args = f",{space()}".join(write(arg) for arg in node.args)
        return f"{node.func}{space()}({space()}{args}{space()})"

    body = f";{space()}".join(f"{space()}{s.key}{space()}:{space()}{write(s.expr)}" for s in statements)
    return body + draw(st.sampled_from(["", ";", "; # end", ";\n"]))


@SETTINGS
@given(st.data())
def test_round_trip(data):
    statements = data.draw(programs())
    program = kdsl.parse(data.draw(noisy_text(statements)))
    assert program.statements == statements
    canonical = str(program)
    again = kdsl.parse(canonical)
    assert again.statements == statements
    assert str(again) == canonical


# -- the reference evaluator ---------------------------------------------------------------------------

class RefFault(Exception):
    pass


COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
           "==": operator.eq, "!=": operator.ne}


def truth(x: float) -> bool:
    return x != 0.0


def ref_pow(a: float, b: float) -> float:
    if a == 0.0 and b < 0.0:
        raise RefFault("0 to a negative power")
    try:
        return math.pow(a, b)
    except OverflowError:
        odd_integer = b == int(b) and int(b) % 2 == 1
        return -math.inf if a < 0 and odd_integer else math.inf
    except ValueError:  # negative base, fractional exponent
        return math.nan


def ref_round(x: float) -> float:
    if not math.isfinite(x):
        return x
    exact = decimal.Context(prec=400, rounding=decimal.ROUND_HALF_UP)
    return float(decimal.Decimal(x).quantize(decimal.Decimal(1), context=exact))


def ref_pow2(x: float) -> float:
    if math.isnan(x) or x == math.inf:
        return x
    if x <= 1:
        return 1.0
    bits = (math.ceil(x) - 1).bit_length()
    try:
        return float(2 ** bits)
    except OverflowError:
        return math.inf


def ref_extreme(values, pick):
    if any(math.isnan(v) for v in values):
        return math.nan
    return pick(values)


def evaluate(node, env) -> float:
    if isinstance(node, (Num, Bool)):
        return float(node.value)
    if isinstance(node, Name):
        return env.get(node.name, 0.0)
    if isinstance(node, Unary):
        x = evaluate(node.operand, env)
        return -x if node.op == "-" else float(not truth(x))
    if isinstance(node, Binary):
        if node.op == "||":
            return float(truth(evaluate(node.left, env)) or truth(evaluate(node.right, env)))
        if node.op == "&&":
            return float(truth(evaluate(node.left, env)) and truth(evaluate(node.right, env)))
        a, b = evaluate(node.left, env), evaluate(node.right, env)
        if node.op in COMPARE:
            return float(COMPARE[node.op](a, b))
        if node.op in "/%" and b == 0.0:
            raise RefFault("division by zero")
        return {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
                "%": operator.mod, "^": ref_pow}[node.op](a, b)
    if node.func == "sel":
        cond, if_true, if_false = node.args
        return evaluate(if_true if truth(evaluate(cond, env)) else if_false, env)
    args = [evaluate(arg, env) for arg in node.args]
    if node.func == "min":
        return ref_extreme(args, min)
    if node.func == "max":
        return ref_extreme(args, max)
    if node.func == "clamp":
        x, lo, hi = args
        return ref_extreme([ref_extreme([x, lo], max), hi], min)
    (x,) = args
    if node.func == "log2":
        if x <= 0:
            raise RefFault("log2")
        return math.log2(x)
    if node.func in ("floor", "ceil"):
        return float(getattr(math, node.func)(x)) if math.isfinite(x) else x
    return {"abs": abs, "round": ref_round, "pow2": ref_pow2}[node.func](x)


input_values = st.one_of(
    st.sampled_from([0.0, -0.0, 1.0, 2.0, 3.0, 0.5, 4096.0, 32769.0, math.inf, -math.inf, math.nan]),
    st.integers(-10, 1 << 24).map(float),
    st.floats(),
)


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


@SETTINGS
@given(programs(), st.dictionaries(st.sampled_from(kdsl.INPUTS), input_values))
def test_compiled_closure_agrees_with_reference(statements, inputs):
    text = "; ".join(f"{s.key}: {format_expr(s.expr)}" for s in statements)
    program = kdsl.parse(text)
    assert program.statements == statements
    try:
        expected = {s.key: evaluate(s.expr, inputs) for s in statements}
    except RefFault:
        expected = None
    try:
        got = program.eval(**inputs)
    except kdsl.SpiralKError:
        got = None
    assert (expected is None) == (got is None), (text, inputs, expected, got)
    if got is not None:
        assert list(got) == list(expected)
        assert all(same(got[key], expected[key]) for key in got), (text, inputs, expected, got)


# -- fuzzing: nothing but SpiralKError escapes ------------------------------------------------------

TOKENS = ["wg", "kl", "u2", ":", ";", "(", ")", ",", "+", "-", "*", "/", "%", "^", "!", "||", "&&", "<",
          ">=", "==", "!=", "sel", "min", "max", "log2", "pow2", "round", "clamp", "c", "k", "r", "sg",
          "0", "1", "2.5", "1e308", "1e400", ".5", "3.", "true", "false", "#", "\n", " ", "|", "=", "é",
          "wgg", "x"]


def must_only_raise_spiralk_error(text: str) -> None:
    try:
        program = kdsl.parse(text)
    except kdsl.SpiralKError:
        return
    canonical = str(program)
    assert str(kdsl.parse(canonical)) == canonical
    for inputs in ({}, {"r": 3.0, "c": 4096.0, "k": 17.0, "sg": 1}, {"c": math.nan, "k": -math.inf}):
        try:
            program.eval(**inputs)
        except kdsl.SpiralKError:
            pass


@SETTINGS
@given(st.text(max_size=120))
def test_random_text(text):
    must_only_raise_spiralk_error(text)


@SETTINGS
@given(st.lists(st.sampled_from(TOKENS), max_size=60).map("".join))
def test_random_token_soup(text):
    must_only_raise_spiralk_error(text)


@SETTINGS
@given(st.binary(max_size=120))
def test_random_bytes_decoded(raw):
    must_only_raise_spiralk_error(raw.decode("latin-1"))
    must_only_raise_spiralk_error(raw.decode("utf-8", "surrogateescape"))
