"""Device time of GPU work: timestamp queries where the device has them, else the wall clock.

Some timers are coarse (browsers quantise timestamps to ~65 us), so work is timed in batches:
``record(encoder)`` adds one launch to a command encoder, a batch records it ``launches`` times
between two timestamps, and the per-launch time is the batch time over ``launches``.
"""
from __future__ import annotations

import statistics
import struct
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import wgpu

# A context's first timing keeps the device busy this long before it measures: on the H100's
# Vulkan driver, a kernel timed in the first fraction of a second of a process, right after its
# input was uploaded, sometimes ran 2 to 4 times slower in every batch (4096 x 32000 float32,
# k=32: 1.165 ms in one fresh process, 0.271 in the next).
WARM_UP_S = 0.5
_warmed: weakref.WeakSet = weakref.WeakSet()


@dataclass(frozen=True)
class Timing:
    """Seconds per launch over ``repeats`` batches of ``launches`` launches each."""

    median: float
    min: float
    max: float
    launches: int
    repeats: int
    method: str  # "timestamp" or "wall"


def timestamp_period_ns(ctx) -> float:
    """Nanoseconds per timestamp tick (wgpu-native reports it; 1.0 elsewhere)."""
    try:
        from wgpu.backends.wgpu_native import _api
        return float(_api.libf.wgpuQueueGetTimestampPeriod(ctx.queue._internal)) or 1.0
    except (ImportError, AttributeError):
        return 1.0


def _marker(encoder, query_set, index: int, end: bool) -> None:
    key = "end_of_pass_write_index" if end else "beginning_of_pass_write_index"
    compute = encoder.begin_compute_pass(timestamp_writes={"query_set": query_set, key: index})
    compute.end()


def _batch_timestamp(ctx, record, launches, query_set, resolved, period_ns) -> float:
    encoder = ctx.device.create_command_encoder()
    _marker(encoder, query_set, 0, end=False)
    for _ in range(launches):
        record(encoder)
    _marker(encoder, query_set, 1, end=True)
    encoder.resolve_query_set(query_set, 0, 2, resolved, 0)
    ctx.queue.submit([encoder.finish()])
    start, stop = struct.unpack("<2Q", bytes(ctx.queue.read_buffer(resolved, 0, 16)))
    return (stop - start) * period_ns * 1e-9


def _batch_wall(ctx, record, launches, sync) -> float:
    encoder = ctx.device.create_command_encoder()
    for _ in range(launches):
        record(encoder)
    commands = encoder.finish()
    t0 = time.perf_counter()
    ctx.queue.submit([commands])
    ctx.queue.read_buffer(sync, 0, 4)
    return time.perf_counter() - t0


def device_time(ctx, record: Callable, *, launches: int = 20, repeats: int = 5,
                use_timestamps: bool = True) -> Timing:
    """Time ``record`` (adds one launch to a GPUCommandEncoder) on ``ctx``'s device.

    Work already queued on the context is submitted first, and one untimed batch warms up
    pipelines and caches (untimed batches for WARM_UP_S seconds on the context's first timing).
    Returns the median, min and max seconds per launch."""
    if launches < 1 or repeats < 1:
        raise ValueError(f"device_time needs launches >= 1 and repeats >= 1, got {launches}, "
                         f"{repeats}")
    ctx.flush()
    stamps = use_timestamps and "timestamp-query" in ctx.device.features
    if stamps:
        query_set = ctx.device.create_query_set(type="timestamp", count=2)
        resolved = ctx.device.create_buffer(
            size=16, usage=wgpu.BufferUsage.QUERY_RESOLVE | wgpu.BufferUsage.COPY_SRC)
        period_ns = timestamp_period_ns(ctx)

        def batch():
            return _batch_timestamp(ctx, record, launches, query_set, resolved, period_ns)
    else:
        sync = ctx.device.create_buffer(size=4, usage=wgpu.BufferUsage.COPY_SRC)

        def batch():
            return _batch_wall(ctx, record, launches, sync)
    batch()
    if ctx not in _warmed:
        _warmed.add(ctx)
        start = time.perf_counter()
        while time.perf_counter() - start < WARM_UP_S:
            batch()
    per_launch = [batch() / launches for _ in range(repeats)]
    return Timing(statistics.median(per_launch), min(per_launch), max(per_launch), launches,
                  repeats, "timestamp" if stamps else "wall")


def copy_bandwidth(ctx, nbytes: int, *, launches: int = 10, repeats: int = 5) -> float:
    """Bytes read + written per second by a buffer-to-buffer copy of ``nbytes`` on ``ctx``'s
    device (device time). Copies slow the kernels timed right after them on some drivers (the
    H100's Vulkan driver: TopK 2 to 4 times slower for about 0.3 s), so measure it last."""
    src, dst = ctx.buffer(nbytes), ctx.buffer(nbytes)
    try:
        t = device_time(ctx, lambda enc: enc.copy_buffer_to_buffer(src, 0, dst, 0, nbytes),
                        launches=launches, repeats=repeats)
    finally:
        ctx.release(src)
        ctx.release(dst)
    return 2 * nbytes / t.median
