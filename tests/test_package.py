"""The package itself: a light import, kernel sources shipped beside the code."""
from __future__ import annotations

import importlib.resources
import subprocess
import sys


def test_import_compiles_and_loads_no_device():
    code = ("import sys, spiraltorch; "
            "heavy = [m for m in ('numba', 'wgpu', 'torch') if m in sys.modules]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_kernel_sources_and_data_are_package_resources():
    root = importlib.resources.files("spiraltorch")
    assert root.joinpath("heuristics", "fallback.spk").is_file()
    assert root.joinpath("data", "topk_shapes.json").is_file()
    wgsl = [p.name for p in root.joinpath("backends", "wgpu").iterdir() if p.name.endswith(".wgsl")]
    assert "elementwise.wgsl" in wgsl and "topk_select.wgsl" in wgsl and len(wgsl) > 20
