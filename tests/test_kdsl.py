"""SpiralK: the two reference programs, semantics, every error kind, limits, and the CLI."""
from __future__ import annotations

import argparse
import ast
import itertools
import math
import pathlib

import pytest

from spiraltorch import kdsl
from spiraltorch.kdsl.commands import register

UPSTREAM = ("u2:(c>32768)||(k>128); wg:sel(c<4096,128,256); "
            "kl:max(8,sel(k>=32,32,sel(k>=16,16,8))); ch:sel(c>16384,8192,0)")
MULTILINE = """# wide rows with large k want big workgroups
wg:sel( (log2(c)*0.5 + log2(k)) > 24, 256, 128 );  kl:max(8, sel(k>4096,32, sel(k>512,16,8)));
"""


def upstream_reference(r, c, k):
    return {
        "u2": 1.0 if c > 32768 or k > 128 else 0.0,
        "wg": 128.0 if c < 4096 else 256.0,
        "kl": float(max(8, 32 if k >= 32 else (16 if k >= 16 else 8))),
        "ch": 8192.0 if c > 16384 else 0.0,
    }


def multiline_reference(r, c, k):
    return {
        "wg": 256.0 if math.log2(c) * 0.5 + math.log2(k) > 24 else 128.0,
        "kl": float(max(8, 32 if k > 4096 else (16 if k > 512 else 8))),
    }


ROWS = (1, 3, 4096, 1 << 20)
COLS = (1, 2, 4095, 4096, 4097, 16384, 16385, 32768, 32769, 1 << 20, (1 << 24) + 1, 1e9)
KS = (1, 8, 15, 16, 31, 32, 33, 128, 129, 512, 513, 4096, 4097, 1 << 16, 1 << 20)


@pytest.mark.parametrize("text, reference", [(UPSTREAM, upstream_reference),
                                             (MULTILINE, multiline_reference)])
def test_reference_programs_over_a_grid(text, reference):
    program = kdsl.parse(text)
    assert program.keys == tuple(reference(1, 1, 1))
    for r, c, k, sg in itertools.product(ROWS, COLS, KS, (0, 1)):
        assert program.eval(r=r, c=c, k=k, sg=sg) == reference(r, c, k), (r, c, k, sg)


def test_reference_programs_canonical_text():
    assert str(kdsl.parse(UPSTREAM)) == (
        "u2: c > 32768 || k > 128; wg: sel(c < 4096, 128, 256); "
        "kl: max(8, sel(k >= 32, 32, sel(k >= 16, 16, 8))); ch: sel(c > 16384, 8192, 0)")
    assert str(kdsl.parse(MULTILINE)) == (
        "wg: sel(log2(c) * 0.5 + log2(k) > 24, 256, 128); kl: max(8, sel(k > 4096, 32, sel(k > 512, 16, 8)))")


def value(expr: str, **inputs) -> float:
    return kdsl.parse(f"wg: {expr}").eval(**inputs)["wg"]


@pytest.mark.parametrize("expr, expected", [
    ("2^3^2", 512.0), ("-2^2", -4.0), ("(-2)^2", 4.0), ("2^-1", 0.5), ("-2^-2", -0.25),
    ("7 / 2", 3.5), ("7 % -3", -2.0), ("-7 % 3", 2.0), ("7.5 % 2", 1.5), ("1 - 2 - 3", -4.0),
    ("2 * 3 + 4 * 5", 26.0), ("12 / 3 / 2", 2.0), ("1 + 2 < 4", 1.0), ("3 == 3", 1.0), ("3 != 3", 0.0),
    ("2 <= 2", 1.0), ("2 >= 3", 0.0), ("1 || 0 && 0", 1.0), ("(1 || 0) && 0", 0.0), ("!0", 1.0),
    ("!5", 0.0), ("!!5", 1.0), ("--3", 3.0), ("true + true", 2.0), ("false", 0.0),
    ("1 || 1 / 0", 1.0), ("0 && 1 / 0", 0.0), ("sel(1, 5, 1 / 0)", 5.0), ("sel(0, 1 / 0, 6)", 6.0),
    ("sel(-0.5, 1, 2)", 1.0), ("min(3, 1, 2)", 1.0), ("max(3, 7, 2, 5)", 7.0), ("clamp(5, 0, 3)", 3.0),
    ("clamp(-1, 0, 3)", 0.0), ("clamp(2, 0, 3)", 2.0), ("log2(8)", 3.0), ("log2(0.5)", -1.0),
    ("abs(-3)", 3.0), ("floor(-2.5)", -3.0), ("ceil(-2.5)", -2.0), ("round(2.5)", 3.0),
    ("round(-2.5)", -3.0), ("round(2.4999)", 2.0), ("round(0.49999999999999994)", 0.0),
    ("pow2(5)", 8.0), ("pow2(8)", 8.0), ("pow2(8.000001)", 16.0), ("pow2(0.3)", 1.0), ("pow2(-7)", 1.0),
    ("pow2(1e308)", math.inf), ("10^400", math.inf), ("(-10)^401", -math.inf), ("1e308 * 10", math.inf),
    ("1e-400", 0.0), (".5 + 1.", 1.5), ("1.5e3", 1500.0), ("2E-1", 0.2),
])
def test_semantics(expr, expected):
    assert value(expr) == expected


def test_nan_semantics():
    assert math.isnan(value("(-8)^(1/3)"))
    assert math.isnan(value("10^400 - 10^400"))
    nan = math.nan
    assert math.isnan(value("max(1, c)", c=nan)) and math.isnan(value("min(c, 1)", c=nan))
    assert value("c == c", c=nan) == 0.0 and value("c != c", c=nan) == 1.0
    assert value("sel(c, 1, 2)", c=nan) == 1.0  # any value other than zero is true, NaN included
    assert math.isnan(value("pow2(c) + floor(c) + round(c) + log2(c)", c=nan))


def test_inputs_default_to_zero_and_all_names_work():
    names = kdsl.INPUTS
    program = kdsl.parse("; ".join(f"{key}: {name}" for key, name in zip(["u2", "wg", "kl"], names[:3])))
    assert program.eval() == {"u2": 0.0, "wg": 0.0, "kl": 0.0}
    total = kdsl.parse("wg: " + " + ".join(f"{2 ** i} * {n}" for i, n in enumerate(names)))
    assert total.eval() == {"wg": 0.0}
    given = {n: 1 for n in names}
    assert total.eval(**given) == {"wg": float(2 ** len(names) - 1)}
    assert total.eval(sgs=True, mps=2) == {"wg": 16.0 + 2 * 512}


def test_eval_accepts_numpy_scalars_and_rejects_other_types():
    np = pytest.importorskip("numpy")
    program = kdsl.parse("wg: c + k")
    assert program.eval(c=np.int64(3), k=np.float32(0.5)) == {"wg": 3.5}
    with pytest.raises(TypeError, match="'c' must be a real number, got str"):
        program.eval(c="3")
    for huge in (10 ** 400, -(10 ** 5000)):
        with pytest.raises(kdsl.SpiralKError, match="input 'k' is beyond the float64 range"):
            program.eval(k=huge)


def test_keys_parameter_and_statement_order():
    program = kdsl.parse("cr: 1; alg: 1; u2: 0;")
    assert program.keys == ("cr", "alg", "u2")
    assert list(program.eval()) == ["cr", "alg", "u2"]
    custom = kdsl.parse("vw: 4; wg: 64", keys={"wg", "vw"})
    assert custom.eval() == {"vw": 4.0, "wg": 64.0}
    with pytest.raises(kdsl.SpiralKError, match="unknown key 'alg'; did you mean"):
        kdsl.parse("alg: 1", keys=["wg", "al"])
    with pytest.raises(TypeError):
        kdsl.parse("wg: 1", keys="wg")
    with pytest.raises(TypeError):
        kdsl.parse("wg: 1", keys=[1])


def test_parsed_programs_are_cached_by_text_and_keys():
    assert kdsl.parse(UPSTREAM) is kdsl.parse(UPSTREAM)
    assert kdsl.parse("wg: 1", keys=["wg", "kl"]) is kdsl.parse("wg: 1", keys=("kl", "wg"))
    assert kdsl.parse("wg: 1", keys=["wg"]) is not kdsl.parse("wg: 1")


def test_comments_newlines_and_trailing_semicolon():
    program = kdsl.parse("# leading comment\nwg:\n  256 # trailing\n;\r\nkl: 8 ;  # end\n")
    assert program.eval() == {"wg": 256.0, "kl": 8.0}
    assert str(program) == "wg: 256; kl: 8"


def test_non_str_program_is_a_type_error():
    with pytest.raises(TypeError, match="must be a str, got bytes"):
        kdsl.parse(b"wg: 1")
    with pytest.raises(TypeError):
        kdsl.parse(None)


def caret_column(error: kdsl.SpiralKError) -> int:
    caret_line = str(error).splitlines()[2]
    return caret_line.index("^") - 4 + 1


ERRORS = [
    # (text, line, col, substring of the message)
    ("wg: 1 @ 2", 1, 7, "unexpected character '@'"),
    ("wg: 1 | 2", 1, 7, "did you mean '||'"),
    ("wg = 2", 1, 4, "key: expr"),
    ("wg: 1.2.3", 1, 5, "malformed number '1.2.3'"),
    ("wg: 12abc", 1, 5, "malformed number '12abc'"),
    ("wg: 1e999", 1, 5, "too large for float64"),
    ("wg 2", 1, 4, "expected ':' after key 'wg', found '2'"),
    ("wg: (1 + 2", 1, 11, "expected ')' to close the '(' at line 1, col 5, found end of program"),
    ("wg: 1\nkl: 2", 2, 1, "expected ';' or end of program after the statement for 'wg', found 'kl'"),
    ("wg: 1 2", 1, 7, "found '2'"),
    ("wg: ", 1, 5, "expected a number, an input, a function call or '(', found end of program"),
    ("wg: 1;;", 1, 7, "expected a key such as 'wg', found ';'"),
    ("", 1, 1, "expected a key such as 'wg', found end of program"),
    ("# only a comment", 1, 17, "expected a key"),
    ("wg: )", 1, 5, "found ')'"),
    ("wg: 1 +", 1, 8, "found end of program"),
    ("wgg: 1", 1, 1, "unknown key 'wgg'; did you mean 'wg'?"),
    ("xyz: 1", 1, 1, "unknown key 'xyz'; expected one of: alg, ch, cr, kl, u2, wg"),
    ("wg: 1;\n  wg: 2", 2, 3, "key 'wg' is set twice (first at line 1, col 1)"),
    ("wg: cc + 1", 1, 5, "unknown input 'cc'; did you mean 'c'?"),
    ("wg: rows", 1, 5, "unknown input 'rows'"),
    ("wg: wgpux", 1, 5, "did you mean 'wgpu'?"),
    ("wg: maxx(1, 2)", 1, 5, "unknown function 'maxx'; did you mean 'max'?"),
    ("wg: c(2)", 1, 5, "'c' is an input, not a function"),
    ("wg: 1 + log2", 1, 9, "'log2' is a function; call it as log2(...)"),
    ("wg: sel(c < 1, 2)", 1, 5, "sel expects 3 arguments, got 2"),
    ("wg: sel(1, 2, 3, 4)", 1, 5, "sel expects 3 arguments, got 4"),
    ("wg: min(1)", 1, 5, "min expects at least 2 arguments, got 1"),
    ("wg: max()", 1, 5, "max expects at least 2 arguments, got 0"),
    ("wg: log2(1, 2)", 1, 5, "log2 expects 1 argument, got 2"),
    ("wg: clamp(1, 2)", 1, 5, "clamp expects 3 arguments, got 2"),
    ("wg: sel(1 2)", 1, 11, "expected ',' or ')' in the call to sel, found '2'"),
    ("wg: 1 < 2 < 3", 1, 11, "comparisons do not chain"),
    ("wg: \t(1 ==\n 2 == 3)", 2, 4, "comparisons do not chain"),
]


@pytest.mark.parametrize("text, line, col, message", ERRORS)
def test_syntax_errors(text, line, col, message):
    with pytest.raises(kdsl.SpiralKError) as info:
        kdsl.parse(text)
    error = info.value
    assert isinstance(error, ValueError)
    assert (error.line, error.col) == (line, col)
    assert message in error.reason
    lines = str(error).splitlines()
    assert lines[0] == f"line {line}, col {col}: {error.reason}"
    assert lines[1] == "    " + text.split("\n")[line - 1].replace("\r", "")
    assert caret_column(error) == col


EVAL_ERRORS = [
    ("wg: 1; kl: c / (k - 3)", dict(c=10, k=3), 1, 14, "division by zero (10 / 0) in the statement for 'kl'"),
    ("wg: c % k", dict(c=7.5), 1, 7, "modulo by zero (7.5 % 0) in the statement for 'wg'"),
    ("wg: 0 ^ -k", dict(k=2), 1, 7, "0 raised to the negative power -2"),
    ("wg: sel(1,\n  log2(c - 4),\n 0)", dict(c=4, r=2, sgs=32), 2, 3,
     "log2 of the non-positive value 0 in the statement for 'wg' with inputs r=2 c=4 k=0 sgs=32"),
    ("wg: log2(-c)", dict(c=0.5), 1, 5, "log2 of the non-positive value -0.5"),
]


@pytest.mark.parametrize("text, inputs, line, col, message", EVAL_ERRORS)
def test_evaluation_errors_name_statement_and_inputs(text, inputs, line, col, message):
    program = kdsl.parse(text)
    with pytest.raises(kdsl.SpiralKError) as info:
        program.eval(**inputs)
    error = info.value
    assert (error.line, error.col) == (line, col)
    assert message in error.reason
    assert caret_column(error) == col


def test_unknown_eval_input_suggests_the_nearest():
    program = kdsl.parse(UPSTREAM)
    with pytest.raises(kdsl.SpiralKError, match="unknown input 'sgz'; did you mean 'sg") as info:
        program.eval(r=1, c=2, k=3, sgz=1)
    assert info.value.line is None and info.value.col is None


def test_long_lines_are_shown_around_the_error():
    text = "wg: " + " + ".join(["c"] * 40) + " + bad + " + " + ".join(["k"] * 40)
    with pytest.raises(kdsl.SpiralKError) as info:
        kdsl.parse(text)
    shown = str(info.value).splitlines()
    assert len(shown[1]) < 120 and "bad" in shown[1]
    assert shown[1][shown[2].index("^"):].startswith("bad")


def test_program_size_limit():
    big = "wg: " + "+".join(["1"] * 8200)
    with pytest.raises(kdsl.SpiralKError, match="longer than 16384 bytes"):
        kdsl.parse(big)
    wide = "wg: 1 # " + "é" * 8200  # under the limit in characters, over it in UTF-8 bytes
    with pytest.raises(kdsl.SpiralKError, match="longer than 16384 bytes"):
        kdsl.parse(wide)
    assert kdsl.parse("wg: 1 # " + "x" * 16000).eval() == {"wg": 1.0}


@pytest.mark.parametrize("text", [
    "wg: " + "(" * 10000 + "1" + ")" * 10000,  # over the size limit
    "wg: " + "(" * 8000 + "1" + ")" * 8000,
    "wg: " + "(" * 8000,
    "wg: " + "-" * 10000 + "1",
    "wg: " + "!" * 10000 + "1",
    "wg: " + "2^" * 5000 + "2",
    "wg: " + "1+" * 5000 + "1",
    "wg: " + "1<(" * 3000 + "1",
    "wg: " + "sel(1," * 2000 + "1" + ",1)" * 2000,
    "wg: " + "min(" * 3000 + "1",
], ids=["parens-10000", "parens-8000", "open-parens", "minus", "not", "pow", "plus", "compare", "sel",
        "min"])
def test_deep_nesting_is_a_clear_error(text):
    with pytest.raises(kdsl.SpiralKError) as info:
        kdsl.parse(text)
    assert "nests deeper than 64 levels" in info.value.reason or "16384 bytes" in info.value.reason


@pytest.mark.parametrize("build", [
    lambda n: "(" * n + "c" + ")" * n,
    lambda n: "-" * n + "c",
    lambda n: "1+" * n + "c",
    lambda n: "2^" * n + "c",
    lambda n: "abs(" * n + "c" + ")" * n,
], ids=["parens", "minus", "plus", "pow", "abs"])
def test_nesting_limit_is_exactly_64(build):
    assert kdsl.parse("wg: " + build(64)).eval(c=1.0)["wg"] is not None
    with pytest.raises(kdsl.SpiralKError, match="nests deeper than 64"):
        kdsl.parse("wg: " + build(65))


def test_package_never_uses_eval_exec_or_compile():
    package = pathlib.Path(kdsl.__file__).parent
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("eval", "exec", "compile", "__import__"), path


# -- command line ------------------------------------------------------------------------------------

def run_cli(*argv) -> int:
    parser = argparse.ArgumentParser(prog="spiraltorch")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["kdsl", *argv])
    return args.func(args)


def test_cli_check_prints_canonical_text_and_keys(capsys, tmp_path):
    source = tmp_path / "rule.sk"
    source.write_text(MULTILINE, encoding="utf-8")
    assert run_cli("check", f"@{source}") == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [str(kdsl.parse(MULTILINE)), "keys: wg kl"]


def test_cli_check_error_goes_to_stderr_with_exit_2(capsys):
    assert run_cli("check", "wg: sel(1, 2)") == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "sel expects 3 arguments, got 2" in captured.err and "^" in captured.err
    assert run_cli("check", "@/nonexistent/rule.sk") == 2
    assert "cannot read" in capsys.readouterr().err


def test_cli_eval_prints_key_value_lines(capsys):
    assert run_cli("eval", UPSTREAM, "--r", "4", "--c", "50000", "--k", "20") == 0
    assert capsys.readouterr().out.splitlines() == ["u2=1", "wg=256", "kl=16", "ch=8192"]
    assert run_cli("eval", "wg: c / k + sg; kl: sgs; cr: 1/0 < 1", "--r", "1", "--c", "3", "--k", "2",
                   "--sg", "1", "--input", "sgs=32") == 2
    assert "division by zero" in capsys.readouterr().err
    assert run_cli("eval", "wg: c / k + sg; kl: sgs + wgpu", "--r", "1", "--c", "3", "--k", "2",
                   "--sg", "1", "--input", "sgs=32", "--input", "wgpu=1") == 0
    assert capsys.readouterr().out.splitlines() == ["wg=2.5", "kl=33"]


@pytest.mark.parametrize("extra, message", [
    (["--input", "sgs"], "NAME=NUMBER"),
    (["--input", "sgs=abc"], "NAME=NUMBER"),
    (["--input", "c=3"], "given twice"),
    (["--input", "sgz=1"], "did you mean"),
])
def test_cli_eval_bad_inputs(capsys, extra, message):
    assert run_cli("eval", "wg: c", "--r", "1", "--c", "2", "--k", "3", *extra) == 2
    assert message in capsys.readouterr().err
