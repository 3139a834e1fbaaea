"""Parser: tokens -> statements (syntax tree with spans), by recursive descent with precedence climbing.

Every construct that nests (parentheses, a call, a unary operator, the operand of a binary
operator) opens one level; more than MAX_NESTING levels is an error, which also bounds the
recursion of the parser, the printer and the compiled closures.
"""
from __future__ import annotations

import bisect

from .errors import SpiralKError, error_at, shorten
from .language import (BINARY_PRECEDENCE, COMPARISON_PRECEDENCE, FUNCTIONS, INPUT_INDEX, MAX_NESTING,
                       arity_text, nearest)
from .lexer import END, NAME, NUM, OP, Token, tokenize
from .nodes import Binary, Bool, Call, Expr, Name, Num, Span, Statement, Unary

_TOO_DEEP = f"expression nests deeper than {MAX_NESTING} levels (each parenthesis, call and operator is one)"


def parse_statements(text: str, keys: frozenset[str]) -> tuple[Statement, ...]:
    return _Parser(text, keys).program()


class _Parser:
    def __init__(self, text: str, keys: frozenset[str]):
        self.text = text
        self.keys = keys
        self.tokens = tokenize(text)
        self.pos = 0
        self.depth = 0
        self.line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    # -- helpers -------------------------------------------------------------------------------

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        tok = self.tokens[self.pos]
        if tok.kind != END:
            self.pos += 1
        return tok

    def at(self, op: str) -> bool:
        tok = self.tokens[self.pos]
        return tok.kind == OP and tok.text == op

    def span(self, tok: Token) -> Span:
        line = bisect.bisect_right(self.line_starts, tok.start)
        return Span(tok.start, tok.end, line, tok.start - self.line_starts[line - 1] + 1)

    def error(self, tok: Token, reason: str) -> SpiralKError:
        return error_at(self.text, tok.start, reason, max(1, tok.end - tok.start))

    def where(self, tok: Token) -> str:
        span = self.span(tok)
        return f"line {span.line}, col {span.col}"

    def enter(self, tok: Token) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(tok, _TOO_DEEP)

    def leave(self) -> None:
        self.depth -= 1

    def checked(self, tok: Token, height: int) -> int:
        if height > MAX_NESTING:
            raise self.error(tok, _TOO_DEEP)
        return height

    # -- grammar -------------------------------------------------------------------------------

    def program(self) -> tuple[Statement, ...]:
        statements: list[Statement] = []
        first_set: dict[str, Token] = {}
        while True:
            statements.append(self.statement(first_set))
            tok = self.peek()
            if tok.kind == END:
                break
            if not self.at(";"):
                raise self.error(tok, f"expected ';' or end of program after the statement for "
                                      f"'{statements[-1].key}', found {tok.describe()}")
            self.advance()
            if self.peek().kind == END:
                break
        return tuple(statements)

    def statement(self, first_set: dict[str, Token]) -> Statement:
        tok = self.advance()
        if tok.kind != NAME:
            raise self.error(tok, f"expected a key such as 'wg', found {tok.describe()}")
        key = tok.text
        if key not in self.keys:
            raise self.error(tok, f"unknown key '{shorten(key)}'{nearest(key, self.keys)}")
        if key in first_set:
            raise self.error(tok, f"key '{key}' is set twice (first at {self.where(first_set[key])})")
        first_set[key] = tok
        if not self.at(":"):
            raise self.error(self.peek(), f"expected ':' after key '{key}', found {self.peek().describe()}")
        self.advance()
        expr, _ = self.expr(1)
        return Statement(key, expr, self.span(tok))

    def expr(self, min_prec: int) -> tuple[Expr, int]:
        left, height = self.unary()
        while True:
            tok = self.peek()
            prec = BINARY_PRECEDENCE.get(tok.text) if tok.kind == OP else None
            if prec is None or prec < min_prec:
                return left, height
            self.advance()
            self.enter(tok)
            right, right_height = self.expr(prec + 1)
            self.leave()
            left = Binary(tok.text, left, right, self.span(tok))
            height = self.checked(tok, 1 + max(height, right_height))
            nxt = self.peek()
            if prec == COMPARISON_PRECEDENCE and nxt.kind == OP \
                    and BINARY_PRECEDENCE.get(nxt.text) == COMPARISON_PRECEDENCE:
                raise self.error(nxt, "comparisons do not chain; write (a < b) && (b < c)")

    def unary(self) -> tuple[Expr, int]:
        tok = self.peek()
        if tok.kind == OP and tok.text in ("-", "!"):
            self.advance()
            self.enter(tok)
            operand, height = self.unary()
            self.leave()
            return Unary(tok.text, operand, self.span(tok)), self.checked(tok, height + 1)
        return self.power()

    def power(self) -> tuple[Expr, int]:
        base, height = self.primary()
        if not self.at("^"):
            return base, height
        tok = self.advance()
        self.enter(tok)
        exponent, exponent_height = self.unary()
        self.leave()
        node = Binary("^", base, exponent, self.span(tok))
        return node, self.checked(tok, 1 + max(height, exponent_height))

    def primary(self) -> tuple[Expr, int]:
        tok = self.advance()
        if tok.kind == NUM:
            return Num(tok.value, self.span(tok)), 0
        if tok.kind == NAME:
            if tok.text in ("true", "false"):
                return Bool(tok.text == "true", self.span(tok)), 0
            if self.at("("):
                return self.call(tok)
            return self.name(tok), 0
        if tok.kind == OP and tok.text == "(":
            self.enter(tok)
            inner, height = self.expr(1)
            self.leave()
            if not self.at(")"):
                raise self.error(self.peek(), f"expected ')' to close the '(' at {self.where(tok)}, "
                                              f"found {self.peek().describe()}")
            self.advance()
            return inner, self.checked(tok, height + 1)
        raise self.error(tok, f"expected a number, an input, a function call or '(', "
                              f"found {tok.describe()}")

    def name(self, tok: Token) -> Name:
        name = tok.text
        if name in INPUT_INDEX:
            return Name(name, self.span(tok))
        if name in FUNCTIONS:
            raise self.error(tok, f"'{name}' is a function; call it as {name}(...)")
        raise self.error(tok, f"unknown input '{shorten(name)}'{nearest(name, INPUT_INDEX)}")

    def call(self, tok: Token) -> tuple[Call, int]:
        func = tok.text
        if func not in FUNCTIONS:
            if func in INPUT_INDEX:
                raise self.error(tok, f"'{func}' is an input, not a function")
            raise self.error(tok, f"unknown function '{shorten(func)}'{nearest(func, FUNCTIONS)}")
        self.advance()  # '('
        self.enter(tok)
        args: list[Expr] = []
        height = 0
        if not self.at(")"):
            while True:
                arg, arg_height = self.expr(1)
                args.append(arg)
                height = max(height, arg_height)
                if self.at(")"):
                    break
                if not self.at(","):
                    raise self.error(self.peek(), f"expected ',' or ')' in the call to {func}, "
                                                  f"found {self.peek().describe()}")
                self.advance()
        self.advance()  # ')'
        self.leave()
        fewest, most = FUNCTIONS[func]
        if len(args) < fewest or (most is not None and len(args) > most):
            raise self.error(tok, f"{func} expects {arity_text(func)}, got {len(args)}")
        return Call(func, tuple(args), self.span(tok)), self.checked(tok, height + 1)
