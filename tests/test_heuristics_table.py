"""Tables: format validation, nearest-center lookup, rules, and how choose() finds them."""
from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest

from spiraltorch import backends, heuristics, kdsl
from spiraltorch.heuristics import Center, Table, feature_point, load_table, save_table

OP = "topk"


pytestmark = pytest.mark.usefixtures("clean_heuristics")


def good_table(identity=None) -> dict:
    return {
        "version": 1, "op": OP,
        "device": identity or backends.get("cpu").caps.identity(),
        "features": ["log2_rows", "log2_cols", "log2_k"],
        "centers": [
            {"at": [12.0, 15.0, 5.0], "choice": {"u2": 0, "ch": 0, "alg": 0}, "cost_us": 310.5},
            {"at": [0.0, 24.0, 5.0], "choice": {"u2": 1, "ch": 65536, "alg": 0}, "cost_us": 95.0},
            {"at": [12.0, 10.0, 10.0], "choice": {"u2": 0, "ch": 0, "alg": 1}, "cost_us": 40.25},
        ],
    }


def write(path, data) -> str:
    path.write_text(json.dumps(data))
    return str(path)


def test_feature_point_is_log2_with_sizes_below_one_as_one():
    assert feature_point(4096, 32000, 32) == (12.0, math.log2(32000), 5.0)
    assert feature_point(0, 1, 0) == (0.0, 0.0, 0.0)


def test_lookup_picks_the_nearest_center(tmp_path, rng):
    table = load_table(write(tmp_path / "t.json", good_table()))
    assert table.lookup(4096, 32768, 32) == {"u2": 0, "ch": 0, "alg": 0}
    assert table.lookup(1, 1 << 24, 16) == {"u2": 1, "ch": 65536, "alg": 0}
    assert table.lookup(2048, 1024, 1024) == {"u2": 0, "ch": 0, "alg": 1}
    points = np.array([c["at"] for c in good_table()["centers"]])
    for _ in range(200):  # against a brute-force nearest search
        rows, cols, k = (int(x) for x in rng.integers(0, 1 << 20, size=3))
        want = int(np.argmin(((points - feature_point(rows, cols, k)) ** 2).sum(axis=1)))
        assert table.nearest(rows, cols, k) is table.centers[want]


def test_rule_fields_win_over_center_fields(tmp_path):
    data = good_table()
    data["rule"] = "alg: k > 256; kl: 4"
    data["rule_regret"] = 0.03
    table = load_table(write(tmp_path / "t.json", data))
    answer = table.answer(4096, 32768, 1024)
    assert answer.values == {"u2": 0, "ch": 0, "alg": 1, "kl": 4}
    assert answer.from_rule == {"alg", "kl"} and answer.center is table.centers[0]
    assert table.fields == {"u2", "ch", "alg", "kl"}


def test_save_and_load_round_trip(tmp_path):
    data = good_table()
    data["rule"] = "kl: sel(k > 64, 8, 2)"
    data["rule_regret"] = 0.125
    table = load_table(write(tmp_path / "in.json", data))
    save_table(table, tmp_path / "sub" / "out.json")
    again = load_table(tmp_path / "sub" / "out.json")
    assert again.to_json() == table.to_json() == data
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["out.json"]


def test_save_refuses_an_invalid_table(tmp_path):
    table = load_table(write(tmp_path / "in.json", good_table()))
    table.centers[0].choice["wg"] = 1.5
    with pytest.raises(ValueError, match=r"out.json: field 'centers\[0\].choice.wg'"):
        save_table(table, tmp_path / "out.json")
    assert not (tmp_path / "out.json").exists()


def _break(mutate):
    data = good_table()
    mutate(data)
    return data


MALFORMED = [
    (lambda d: d.update(version=2), "version", "unknown version 2"),
    (lambda d: d.update(version=True), "version", "unknown version True"),
    (lambda d: d.update(version="1"), "version", "unknown version '1'"),
    (lambda d: d.pop("version"), "version", "missing"),
    (lambda d: d.pop("centers"), "centers", "missing"),
    (lambda d: d.update(centers=[]), "centers", "non-empty"),
    (lambda d: d.update(op=3), "op", "op name"),
    (lambda d: d.update(device="cpu"), "device", "identity"),
    (lambda d: d.update(features=["rows", "cols", "k"]), "features", "log2_rows"),
    (lambda d: d["centers"][1].update(at=[1.0, 2.0]), r"centers\[1\].at", "3 finite numbers"),
    (lambda d: d["centers"][1].update(at=[1.0, float("nan"), 2.0]), r"centers\[1\].at", "finite"),
    (lambda d: d["centers"][2].pop("cost_us"), r"centers\[2\].cost_us", "missing"),
    (lambda d: d["centers"][2].update(cost_us=-1), r"centers\[2\].cost_us", ">= 0"),
    (lambda d: d["centers"][0].update(choice={}), r"centers\[0\].choice", "non-empty"),
    (lambda d: d["centers"][0]["choice"].update(wg="big"), r"centers\[0\].choice.wg", "integer"),
    (lambda d: d["centers"][0]["choice"].update(wg=True), r"centers\[0\].choice.wg", "integer"),
    (lambda d: d["centers"][0]["choice"].update({"w g": 1}), r"centers\[0\].choice", "field name"),
    (lambda d: d["centers"].append(7), r"centers\[3\]", "object"),
    (lambda d: d.update(rule=5), "rule", "SpiralK text"),
    (lambda d: d.update(rule="kl: sel(k,"), "rule", ""),
    (lambda d: d.update(rule="wgg: 1"), "rule", "wgg"),
    (lambda d: d.update(rule_regret="low"), "rule_regret", "finite number"),
    (lambda d: d.update(extra_stuff=1), "extra_stuff", "not a table field"),
]


@pytest.mark.parametrize("mutate,field,problem", MALFORMED)
def test_malformed_tables_name_file_and_field(tmp_path, mutate, field, problem):
    path = write(tmp_path / "bad.json", _break(mutate))
    with pytest.raises(ValueError, match=rf"bad.json: field '{field}': .*{problem}"):
        load_table(path)


def test_unreadable_files(tmp_path):
    (tmp_path / "broken.json").write_text('{"version": 1,')
    with pytest.raises(ValueError, match="broken.json: not valid JSON"):
        load_table(tmp_path / "broken.json")
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="list.json: a table is a JSON object"):
        load_table(tmp_path / "list.json")
    with pytest.raises(FileNotFoundError):
        load_table(tmp_path / "absent.json")


def test_choose_uses_the_env_table(tmp_path, monkeypatch):
    data = good_table()
    data["rule"] = "kl: 4"
    monkeypatch.setenv("SPIRAL_HEUR_TABLE", write(tmp_path / "t.json", data))
    e = heuristics.explain(OP, 1, 1 << 24, 16)
    assert e.fields["u2"] == (1, "table") and e.fields["ch"] == (65536, "table")
    assert e.fields["kl"] == (4, "table") and e.origins["kl"] == "rule"
    assert e.origins["ch"] == "center [0, 24, 5] 95 us"
    assert e.fields["cr"] == (256, "fallback") and e.fields["wg"] == (1, "fallback")
    assert e.notes == ()
    assert heuristics.choose(OP, 1, 1 << 24, 16) == e.choice


def test_env_table_change_drops_the_cache(tmp_path, monkeypatch):
    base = heuristics.choose(OP, 2048, 1024, 1024)
    assert base.get("alg") == 1
    data = good_table()
    for center in data["centers"]:
        center["choice"]["alg"] = 0
    monkeypatch.setenv("SPIRAL_HEUR_TABLE", write(tmp_path / "zero.json", data))
    assert heuristics.choose(OP, 2048, 1024, 1024).get("alg") == 0
    monkeypatch.delenv("SPIRAL_HEUR_TABLE")
    assert heuristics.choose(OP, 2048, 1024, 1024) == base


def test_missing_env_table_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SPIRAL_HEUR_TABLE", str(tmp_path / "absent.json"))
    with pytest.raises(FileNotFoundError, match="SPIRAL_HEUR_TABLE=.*absent.json"):
        heuristics.choose(OP, 4, 4, 1)


def test_malformed_env_table_error_reaches_choose(tmp_path, monkeypatch):
    monkeypatch.setenv("SPIRAL_HEUR_TABLE", write(tmp_path / "bad.json", _break(
        lambda d: d.update(version=9))))
    with pytest.raises(ValueError, match="bad.json: field 'version'"):
        heuristics.choose(OP, 4, 4, 1)


def test_folder_table_is_found_by_device_identity(monkeypatch, tmp_path):
    caps = backends.get("cpu").caps
    path = heuristics.installed_table_path(OP, caps.identity())
    assert path.parent == tmp_path / "tables" and path.name.startswith("topk-cpu-")
    other = dict(caps.identity(), name="another cpu")
    assert heuristics.installed_table_path(OP, other) != path
    save_table(load_table(write(tmp_path / "t.json", good_table(other))),
               heuristics.installed_table_path(OP, other))
    assert heuristics.explain(OP, 2048, 1024, 1024).fields["alg"] == (1, "fallback")
    data = good_table()
    data["centers"][2]["choice"]["alg"] = 0
    save_table(load_table(write(tmp_path / "t.json", data)), path)
    assert heuristics.explain(OP, 2048, 1024, 1024).fields["alg"] == (0, "table")
    monkeypatch.setenv("SPIRAL_TABLE_DIR", str(tmp_path / "elsewhere"))
    assert heuristics.explain(OP, 2048, 1024, 1024).fields["alg"] == (1, "fallback")


def test_table_of_another_op_or_device_is_noted(tmp_path, monkeypatch):
    data = good_table()
    data["op"] = "where"
    monkeypatch.setenv("SPIRAL_HEUR_TABLE", write(tmp_path / "where.json", data))
    e = heuristics.explain(OP, 4, 4, 1)
    assert {s for _, s in e.fields.values()} == {"fallback"}
    assert "is for where, not topk" in e.notes[0]
    data = good_table(dict(backends.get("cpu").caps.identity(), name="a big gpu", device="wgpu"))
    data["centers"][0]["choice"]["vec"] = 2
    monkeypatch.setenv("SPIRAL_HEUR_TABLE", write(tmp_path / "gpu.json", data))
    e = heuristics.explain(OP, 4096, 32768, 32)
    assert e.fields["alg"] == (0, "table")
    assert any("measured on a big gpu" in n for n in e.notes)
    assert any("vec=2 is not a field of cpu" in n for n in e.notes)
    assert "notes:" in str(e)


def test_table_values_are_clamped_and_reported(tmp_path, monkeypatch):
    data = good_table()
    data["centers"][0]["choice"].update(wg=256, ch=5000)
    monkeypatch.setenv("SPIRAL_HEUR_TABLE", write(tmp_path / "t.json", data))
    e = heuristics.explain(OP, 4096, 32768, 32)
    assert e.fields["wg"] == (1, "table") and e.fields["ch"] == (5120, "table")
    assert sorted(c.field for c in e.clamped) == ["ch", "wg"]
    assert e.fields["cr"] == (7, "fallback")


def test_rule_evaluation_error_names_the_table(tmp_path, monkeypatch):
    data = good_table()
    data["rule"] = "kl: 8 / (k - 3)"
    monkeypatch.setenv("SPIRAL_HEUR_TABLE", write(tmp_path / "ruled.json", data))
    with pytest.raises(kdsl.SpiralKError, match="ruled.json: rule"):
        heuristics.choose(OP, 4, 4, 3)


def test_tables_built_in_memory_are_validated(tmp_path):
    identity = backends.get("cpu").caps.identity()
    table = Table(OP, identity, [Center((1.0, 2.0, 3.0), {"kl": 4}, 7.0),
                                 {"at": [5, 5, 5], "choice": {"kl": 8}, "cost_us": 1}])
    assert table.lookup(1 << 5, 1 << 5, 1 << 5) == {"kl": 8}
    save_table(table, tmp_path / "mem.json")
    assert load_table(tmp_path / "mem.json").to_json() == table.to_json()
    with pytest.raises(ValueError, match=r"<table>: field 'centers\[0\].at'"):
        Table(OP, identity, [Center((1.0, 2.0), {"kl": 4}, 7.0)])
    with pytest.raises(ValueError, match="<table>: field 'centers'"):
        Table(OP, identity, [])
    with pytest.raises(ValueError, match="<table>: field 'rule'"):
        Table(OP, identity, [Center((1.0, 2.0, 3.0), {"kl": 4}, 7.0)], rule="kl 4")


def test_good_table_fixture_is_not_mutated_by_loading(tmp_path):
    data = good_table()
    before = copy.deepcopy(data)
    load_table(write(tmp_path / "t.json", data)).centers[0].choice["u2"] = 1
    assert data == before
