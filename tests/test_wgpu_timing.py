"""Device time on WebGPU: a context's first timing warms the device up, later ones do not; a TopK
launch records the first n of its dispatches alone, for timing a prefix of the call."""
from __future__ import annotations

import time
import weakref

import numpy as np

from spiraltorch import heuristics
from spiraltorch.backends.wgpu import timing
from spiraltorch.backends.wgpu.device import get_context
from spiraltorch.backends.wgpu.topk import TopkLaunch
from spiraltorch.backends.wgpu.transfer import from_numpy, to_numpy
from tests.topk_reference import reference_topk


def test_first_timing_of_a_context_warms_the_device_up(monkeypatch):
    ctx = get_context()
    monkeypatch.setattr(timing, "_warmed", weakref.WeakSet())
    monkeypatch.setattr(timing, "WARM_UP_S", 0.2)
    src, dst = ctx.buffer(1024), ctx.buffer(1024)
    recorded = []

    def record(encoder):
        recorded.append(1)
        encoder.copy_buffer_to_buffer(src, 0, dst, 0, 1024)

    start = time.perf_counter()
    t = timing.device_time(ctx, record, launches=2, repeats=3)
    assert time.perf_counter() - start >= 0.2 and len(recorded) > 2 * (1 + 3)
    assert 0 < t.min <= t.median <= t.max
    recorded.clear()
    timing.device_time(ctx, record, launches=2, repeats=3)
    assert len(recorded) == 2 * (1 + 3)
    ctx.release(src)
    ctx.release(dst)


def test_a_topk_launch_records_a_prefix_of_its_dispatches(clean_heuristics):
    ctx = get_context()
    a = np.random.default_rng().standard_normal((8, 8192), dtype=np.float32)
    choice = heuristics.choose("topk", 8, 8192, 256, device="wgpu", dtype="float32")
    launch = TopkLaunch(ctx, from_numpy(ctx, a), 256, True, True, choice)
    assert len(launch.step_names) >= 2 and launch.step_names[-1].startswith("topk select held")

    def run(steps):
        ctx.write(launch.values.buffer, 0, b"\xff" * launch.values.buffer.size)
        encoder = ctx.device.create_command_encoder()
        launch.record(encoder, steps)
        ctx.queue.submit([encoder.finish()])
        return to_numpy(launch.values)

    assert np.isnan(run(len(launch.step_names) - 1)).all()  # the last dispatch writes the values
    np.testing.assert_array_equal(run(None), reference_topk(a, 256, True)[0])
    launch.release()
