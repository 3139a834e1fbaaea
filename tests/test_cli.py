"""The `spiraltorch` command end to end, on every device under test."""
from __future__ import annotations

import json

from spiraltorch.cli import main


def test_info_lists_every_device(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    for name in ("cpu", "cuda", "wgpu", "mps"):
        assert name in out


def test_one_topk_is_checked_against_the_reference(device, capsys):
    for args in (["--dtype", "float32"], ["--dtype", "float16", "--smallest"]):
        assert main(["topk", "--rows", "3", "--cols", "700", "-k", "9", "--device", device,
                     *args]) == 0
        out = capsys.readouterr().out
        assert "identical to the exact reference" in out and "choice:" in out


def test_bench_topk_writes_json(device, tmp_path, capsys):
    shapes = tmp_path / "shapes.json"
    shapes.write_text(json.dumps({"tiny": [[2, 300, 4], [5, 64, 64]]}))
    out = tmp_path / "bench.json"
    assert main(["bench", "topk", "--device", device, "--shapes", str(shapes), "--grid", "tiny",
                 "--repeat", "1", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "geometric mean" in text
    assert len(json.loads(out.read_text())["rows"]) == 2


def test_bench_topk_times_rows_past_the_binding_limit_too(device, tmp_path, monkeypatch):
    """On wgpu, device time where one launch takes the call, wall time where it runs in blocks of
    rows (a binding limit of 8192 bytes: 64 rows of 300 float32 do not fit, 2 rows do)."""
    from spiraltorch import backends

    if device == "wgpu":
        monkeypatch.setattr(backends.get("wgpu").ctx, "binding_limit", 8192)
    shapes = tmp_path / "shapes.json"
    shapes.write_text(json.dumps({"two": [[64, 300, 4], [2, 300, 4]]}))
    out = tmp_path / "bench.json"
    assert main(["bench", "topk", "--device", device, "--shapes", str(shapes), "--grid", "two",
                 "--repeat", "1", "--against", "none", "--out", str(out)]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert all(row["ms"] > 0 for row in rows)
    if device == "wgpu":
        assert rows[0]["timing"] == "call" and rows[1]["timing"] in ("timestamp", "wall")
    else:
        assert rows[0]["timing"] == rows[1]["timing"] == "call"


def test_explain_names_each_source(capsys):
    assert main(["explain", "topk", "--rows", "16", "--cols", "262144", "-k", "8"]) == 0
    out = capsys.readouterr().out
    for field in ("u2", "wg", "kl", "ch", "cr", "alg"):
        assert field in out
    assert "fallback" in out
