"""heuristics.choose / explain: per-field precedence, env and context programs, caching, clamping."""
from __future__ import annotations

import argparse
import math
import timeit

import pytest

from spiraltorch import backends, dtypes, heuristics, kdsl
from spiraltorch.backends.base import DeviceCaps
from spiraltorch.heuristics import Choice, Table, commands, save_table

OP = "topk"


pytestmark = pytest.mark.usefixtures("clean_heuristics")


def cpu_table(choice: dict, rule=None, at=(10.0, 15.0, 3.0)) -> Table:
    return Table(OP, backends.get("cpu").caps.identity(),
                 [{"at": list(at), "choice": choice, "cost_us": 12.5}], rule=rule)


def install(table: Table):
    """Save ``table`` as this device's table in the (temporary) table folder."""
    save_table(table, heuristics.installed_table_path(OP, backends.get("cpu").caps.identity()))


def sources(rows=4, cols=1 << 20, k=8, **kw) -> dict:
    return {name: source for name, (_, source) in heuristics.explain(OP, rows, cols, k, **kw)
            .fields.items()}


# -- Choice ----------------------------------------------------------------------------------
def test_choice_fields_get_hash_and_str():
    c = Choice(u2=0, wg=256, kl=8, ch=0, cr=1, extra=(("zz", 3), ("alg", 1)))
    assert c.extra == (("alg", 1), ("zz", 3))
    assert c.get("wg") == 256 and c.get("alg") == 1 and c.get("zz") == 3
    assert c.get("nope") is None and c.get("nope", 7) == 7
    assert str(c) == "u2=0 wg=256 kl=8 ch=0 cr=1 alg=1 zz=3"
    assert hash(c) == hash(Choice(0, 256, 8, 0, 1, (("alg", 1), ("zz", 3))))
    assert len({c, Choice(0, 256, 8, 0, 1, (("zz", 3), ("alg", 1)))}) == 1
    with pytest.raises(AttributeError):
        c.wg = 1
    with pytest.raises(ValueError, match="wg"):
        Choice(extra=(("wg", 1),))


# -- the fallback ------------------------------------------------------------------------------
@pytest.mark.parametrize("rows,cols,k", [(4, 1 << 20, 8), (4096, 32000, 100), (1, 65536, 64),
                                         (0, 0, 0), (3, 5, 5), (16384, 4096, 8)])
def test_fallback_on_cpu_is_legal_and_quiet(rows, cols, k):
    e = heuristics.explain(OP, rows, cols, k)
    assert e.clamped == () and e.notes == ()
    assert set(e.fields) == {"u2", "wg", "kl", "ch", "cr", "alg"}
    assert {s for _, s in e.fields.values()} == {"fallback"}
    c = e.choice
    assert c == heuristics.choose(OP, rows, cols, k)
    assert c.wg == 1 and c.get("alg") == int(k > 64)
    assert c.u2 == (rows < 8 and cols >= 65536)
    if c.u2:
        assert c.ch % 4096 == 0 and 0 < c.ch < cols and c.cr == math.ceil(cols / c.ch)
    else:
        assert c.ch == 0 and c.cr == 1


def test_fallback_is_quiet_over_a_grid_on_every_device(fake_gpu):
    for device in ("cpu", fake_gpu):
        for rows in (0, 1, 7, 8, 64, 65, 4096):
            for cols in (0, 1, 255, 1024, 4097, 32768, 65536, 1 << 20):
                for k in sorted({0, 1, 8, 33, 64, 65, 1024, cols}):
                    if k > cols:
                        continue
                    e = heuristics.explain(OP, rows, cols, k, device=device)
                    assert e.clamped == () and e.notes == (), (device, rows, cols, k, str(e))
                    c = e.choice
                    assert c.ch == 0 or (c.ch % 256 == 0 and c.ch < cols and c.u2 == 1)


# -- precedence --------------------------------------------------------------------------------
def test_precedence_is_per_field(monkeypatch):
    install(cpu_table({"u2": 1, "ch": 8192, "kl": 4, "alg": 1}))
    assert sources() == {"u2": "table", "wg": "fallback", "kl": "table", "ch": "table",
                         "cr": "fallback", "alg": "table"}
    monkeypatch.setenv("SPIRAL_HEUR_K", "kl: 16; alg: 0")
    e = heuristics.explain(OP, 4, 1 << 20, 8)
    assert e.fields == {"u2": (1, "table"), "wg": (1, "fallback"), "kl": (16, "spiralk"),
                        "ch": (8192, "table"), "cr": (128, "fallback"), "alg": (0, "spiralk")}
    assert e.origins["kl"] == "SPIRAL_HEUR_K"
    with heuristics.program("kl: 32"):  # over the environment, for kl only
        e = heuristics.explain(OP, 4, 1 << 20, 8)
        assert e.fields["kl"] == (32, "spiralk") and e.origins["kl"] == "heuristics.program()"
        assert e.fields["alg"] == (0, "spiralk") and e.origins["alg"] == "SPIRAL_HEUR_K"
        with heuristics.program("alg: 1"):  # an inner block wins over the outer one per field
            assert heuristics.choose(OP, 4, 1 << 20, 8).as_dict() == {
                "u2": 1, "wg": 1, "kl": 32, "ch": 8192, "cr": 128, "alg": 1}
        assert heuristics.choose(OP, 4, 1 << 20, 8).get("alg") == 0
    assert heuristics.choose(OP, 4, 1 << 20, 8).kl == 16


def test_program_setting_cr_stops_the_derivation():
    with heuristics.program("ch: 4096; cr: 3"):
        e = heuristics.explain(OP, 2, 100000, 8)
    assert e.fields["ch"] == (4096, "spiralk") and e.fields["cr"] == (3, "spiralk")
    with heuristics.program("ch: 4096"):
        assert heuristics.explain(OP, 2, 100000, 8).fields["cr"] == (25, "fallback")


def test_env_program_is_reread_when_it_changes(monkeypatch):
    base = heuristics.choose(OP, 4096, 32000, 100)
    assert base.get("alg") == 1
    monkeypatch.setenv("SPIRAL_HEUR_K", "alg: 0")
    assert heuristics.choose(OP, 4096, 32000, 100).get("alg") == 0
    assert heuristics.explain(OP, 4096, 32000, 100).fields["alg"] == (0, "spiralk")
    monkeypatch.setenv("SPIRAL_HEUR_K", "alg: k > 1000")
    assert heuristics.choose(OP, 4096, 32000, 100).get("alg") == 0
    assert heuristics.choose(OP, 4096, 32000, 2000).get("alg") == 1
    monkeypatch.setenv("SPIRAL_HEUR_K", "u2: 1; ch: 8192")
    c = heuristics.choose(OP, 4096, 32000, 100)
    assert (c.u2, c.ch, c.cr, c.get("alg")) == (1, 8192, 4, 1)
    monkeypatch.setenv("SPIRAL_HEUR_K", "  ")
    assert heuristics.choose(OP, 4096, 32000, 100) == base
    monkeypatch.delenv("SPIRAL_HEUR_K")
    assert heuristics.choose(OP, 4096, 32000, 100) == base


def test_context_manager_restores_even_after_an_error():
    before = heuristics.choose(OP, 8, 100, 3)
    with pytest.raises(KeyError):
        with heuristics.program("alg: 1"):
            assert heuristics.choose(OP, 8, 100, 3).get("alg") == 1
            raise KeyError("boom")
    assert heuristics.choose(OP, 8, 100, 3) == before
    with pytest.raises(TypeError, match="SpiralK text"):
        with heuristics.program(3):
            pass


def test_the_seed_example_program_applies(monkeypatch):
    monkeypatch.setenv("SPIRAL_HEUR_K", "u2:(c>32768)||(k>128); wg:sel(c<4096,128,256); "
                                        "kl:max(8,sel(k>=32,32,sel(k>=16,16,8))); ch:sel(c>16384,8192,0)")
    e = heuristics.explain(OP, 16, 100000, 32)
    assert e.choice.as_dict() == {"u2": 1, "wg": 1, "kl": 32, "ch": 8192, "cr": 13, "alg": 0}
    assert [c.field for c in e.clamped] == ["wg"]  # the CPU runs one thread per workgroup


# -- caching -----------------------------------------------------------------------------------
def test_cache_returns_the_same_choice_and_drops_on_changes(monkeypatch):
    first = heuristics.choose(OP, 7, 70000, 5)
    assert heuristics.choose(OP, 7, 70000, 5) is first
    assert heuristics.choose(OP, 7, 70000, 5, dtype=dtypes.float64) == first
    monkeypatch.setenv("SPIRAL_HEUR_K", "u2: 0")
    assert heuristics.choose(OP, 7, 70000, 5).u2 == 0
    monkeypatch.delenv("SPIRAL_HEUR_K")
    again = heuristics.choose(OP, 7, 70000, 5)
    assert again == first and again is not first
    install(cpu_table({"kl": 8}))  # saving a table drops the cache
    assert heuristics.choose(OP, 7, 70000, 5).kl == 8
    with heuristics.program("kl: 2"):
        assert heuristics.choose(OP, 7, 70000, 5).kl == 2
    assert heuristics.choose(OP, 7, 70000, 5).kl == 8


def test_cached_choose_is_fast():
    heuristics.choose(OP, 4096, 32000, 32)
    n = 20000
    best = min(timeit.repeat(lambda: heuristics.choose(OP, 4096, 32000, 32), number=n, repeat=3))
    # 2 us is the target on an idle machine; the bound leaves room for a shared, busy one.
    assert best / n < 10e-6, f"cached choose took {best / n * 1e6:.2f} us"


# -- clamping ----------------------------------------------------------------------------------
@pytest.mark.parametrize("program,field,given", [
    ("wg: 256", "wg", 1), ("kl: 3", "kl", 2), ("kl: 3.1", "kl", 4), ("kl: 1000", "kl", 64),
    ("kl: -5", "kl", 1), ("u2: 5", "u2", 1), ("u2: -1", "u2", 0), ("ch: 1000", "ch", 1024),
    ("ch: 100", "ch", 256), ("ch: -3", "ch", 0), ("ch: 2000000", "ch", 0), ("cr: 0", "cr", 1),
    ("cr: 2.4", "cr", 2), ("cr: 1000000000", "cr", 65535), ("alg: 7", "alg", 1), ("alg: -2", "alg", 0),
    ("alg: 0.7", "alg", 1)])
def test_clamping_is_reported(program, field, given):
    with heuristics.program(program):
        e = heuristics.explain(OP, 2, 1 << 20, 8)
    assert e.fields[field] == (given, "spiralk")
    [clamp] = e.clamped
    assert clamp.field == field and clamp.given == given and clamp.asked != given and clamp.why
    assert f"{field}: asked" in str(e) and "clamped:" in str(e)
    assert heuristics.choose(OP, 2, 1 << 20, 8) == heuristics.choose(OP, 2, 1 << 20, 8)


def test_legal_values_are_not_reported():
    with heuristics.program("wg: 1; kl: 64; ch: 4096; cr: 9; u2: 1; alg: 1"):
        e = heuristics.explain(OP, 2, 1 << 20, 8)
    assert e.clamped == ()
    assert e.choice.as_dict() == {"u2": 1, "wg": 1, "kl": 64, "ch": 4096, "cr": 9, "alg": 1}


@pytest.mark.parametrize("program", ["wg: 10^308 * 10", "kl: 10^308 * 10 - 10^308 * 10"])
def test_non_finite_values_name_field_and_source(program):
    field = program.split(":")[0]
    with heuristics.program(program):
        with pytest.raises(ValueError, match=rf"{field} from spiralk \(heuristics.program\(\)\)"):
            heuristics.choose(OP, 2, 100, 1)


class FakeGpu:
    """A Backend-like object with GPU caps, for the clamping rules of a device with workgroups."""

    choice_fields = {"vec": (1, 4)}
    caps = DeviceCaps(device="wgpu", dtypes=("float32",), subgroups=True, subgroup_size=32,
                      max_workgroup_size=256, name="fake gpu")


@pytest.fixture
def fake_gpu(monkeypatch):
    monkeypatch.setitem(backends._loaded, "fakegpu", FakeGpu())
    return "fakegpu"


@pytest.mark.parametrize("program,field,given,reported", [
    ("wg: 1024", "wg", 256, True), ("wg: 100", "wg", 128, True), ("wg: 96", "wg", 64, True),
    ("wg: 64", "wg", 64, False), ("vec: 9", "vec", 4, True), ("vec: 2", "vec", 2, False)])
def test_gpu_clamping(fake_gpu, program, field, given, reported):
    with heuristics.program(program):
        e = heuristics.explain(OP, 4096, 32000, 32, device=fake_gpu)
    assert e.fields[field] == (given, "spiralk")
    assert [c.field for c in e.clamped] == ([field] if reported else [])
    assert "alg" not in e.fields  # the fallback's CPU field is dropped on this device


def test_gpu_fallback_follows_the_regimes(fake_gpu):
    few_long = heuristics.explain(OP, 1, 1 << 24, 32, device=fake_gpu)
    assert few_long.clamped == ()
    c = few_long.choice
    assert c.u2 == 1 and c.ch % 256 == 0 and c.cr == math.ceil((1 << 24) / c.ch) and c.cr > 1
    short = heuristics.choose(OP, 65536, 256, 32, device=fake_gpu)
    assert (short.u2, short.ch, short.cr, short.wg) == (0, 0, 1, 64)
    assert short.get("vec") == 1  # no source sets it: the bottom of its range
    assert heuristics.explain(OP, 65536, 256, 32, device=fake_gpu).fields["vec"] == (1, "fallback")


def test_device_flags_reach_the_program(fake_gpu):
    with heuristics.program("kl: sel(wgpu && sg, sgs, 1); vec: sel(cpu, 1, 3)"):
        assert heuristics.choose(OP, 4, 4, 1, device=fake_gpu).kl == 32
        assert heuristics.choose(OP, 4, 4, 1, device=fake_gpu).get("vec") == 3
        with pytest.raises(kdsl.SpiralKError, match="vec"):  # a field the CPU does not have
            heuristics.choose(OP, 4, 4, 1, device="cpu")
    with heuristics.program("kl: sel(wgpu && sg, sgs, 2)"):
        assert heuristics.choose(OP, 4, 4, 1, device="cpu").kl == 2


def test_element_size_reaches_the_program():
    with heuristics.program("kl: el"):
        assert heuristics.choose(OP, 4, 4, 1, dtype=dtypes.float16).kl == 2
        assert heuristics.choose(OP, 4, 4, 1, dtype=dtypes.float64).kl == 8
        assert heuristics.choose(OP, 4, 4, 1, dtype="float32").kl == 4


# -- errors ------------------------------------------------------------------------------------
def test_bad_env_program_names_its_source(monkeypatch):
    monkeypatch.setenv("SPIRAL_HEUR_K", "wg: sel(c < 4096, 128")
    with pytest.raises(kdsl.SpiralKError, match="SPIRAL_HEUR_K") as info:
        heuristics.choose(OP, 4, 4, 1)
    assert info.value.line == 1 and info.value.col >= 1
    with pytest.raises(kdsl.SpiralKError, match="SPIRAL_HEUR_K"):
        heuristics.explain(OP, 4, 4, 1)
    monkeypatch.setenv("SPIRAL_HEUR_K", "kl: 8")
    assert heuristics.choose(OP, 4, 4, 1).kl == 8


def test_unknown_field_suggests_the_nearest(monkeypatch, fake_gpu):
    monkeypatch.setenv("SPIRAL_HEUR_K", "alh: 1")
    with pytest.raises(kdsl.SpiralKError, match=r"(?s)SPIRAL_HEUR_K.*alh.*alg"):
        heuristics.choose(OP, 4, 4, 1)
    monkeypatch.setenv("SPIRAL_HEUR_K", "vex: 1")
    with pytest.raises(kdsl.SpiralKError, match=r"(?s)vex.*vec"):
        heuristics.choose(OP, 4, 4, 1, device=fake_gpu)


def test_evaluation_error_names_its_source():
    with heuristics.program("wg: 1 / (c - 4)"):
        with pytest.raises(kdsl.SpiralKError, match=r"heuristics.program\(\)"):
            heuristics.choose(OP, 4, 4, 1)
        assert heuristics.choose(OP, 4, 5, 1).wg == 1


def test_unknown_device_and_negative_sizes_are_errors():
    with pytest.raises(RuntimeError, match="nodevice"):
        heuristics.choose(OP, 4, 4, 1, device="nodevice")
    with pytest.raises(ValueError, match="rows=4 cols=-4 k=1"):
        heuristics.choose(OP, 4, -4, 1)


# -- explain and the command -------------------------------------------------------------------
def test_explain_reads_as_a_table(monkeypatch):
    monkeypatch.setenv("SPIRAL_HEUR_K", "alg: 1")
    text = str(heuristics.explain(OP, 4, 1 << 20, 8))
    lines = text.splitlines()
    assert lines[0] == "topk  rows=4 cols=1048576 k=8  float32 on cpu"
    assert lines[1].split() == ["field", "value", "source", "from"]
    assert lines[7].split() == ["alg", "1", "spiralk", "SPIRAL_HEUR_K"]
    assert lines[-1] == f"choice: {heuristics.choose(OP, 4, 1 << 20, 8)}"


def run_cli(argv):
    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return args.func(args)


def test_explain_command(capsys, monkeypatch):
    assert run_cli(["explain", "topk", "--rows", "4", "--cols", "1048576", "-k", "8"]) == 0
    assert capsys.readouterr().out.strip() == str(heuristics.explain(OP, 4, 1 << 20, 8))
    assert run_cli(["explain", "topk", "--rows", "4", "--cols", "9", "-k", "2",
                    "--dtype", "float64", "--device", "cpu"]) == 0
    assert "float64 on cpu" in capsys.readouterr().out
    monkeypatch.setenv("SPIRAL_HEUR_K", "kl:")
    assert run_cli(["explain", "topk", "--rows", "4", "--cols", "9", "-k", "2"]) == 2
    assert "SPIRAL_HEUR_K" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run_cli(["explain", "topk", "--rows", "-4", "--cols", "9", "-k", "2"])
    assert "non-negative integer" in capsys.readouterr().err
