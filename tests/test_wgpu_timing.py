"""Device time on WebGPU: a context's first timing warms the device up, later ones do not."""
from __future__ import annotations

import time
import weakref

from spiraltorch.backends.wgpu import timing
from spiraltorch.backends.wgpu.device import get_context


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
