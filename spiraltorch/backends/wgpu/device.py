"""One WebGPU device per process: adapter choice, buffer pool, pipeline cache, batched dispatch.

Interface used by every wgpu kernel module (elementwise, reductions, TopK, ...):

``ctx = WgpuContext.create()`` (``get_context()`` returns the process-wide one)
    ``ctx.adapter``, ``ctx.device``, ``ctx.queue``, ``ctx.caps`` (a ``DeviceCaps``), ``ctx.limits``
    (the limits the device was created with, a dict keyed like ``"max-buffer-size"``).
``ctx.buffer(nbytes) -> GPUBuffer``
    From a size-bucketed pool; usage STORAGE | COPY_SRC | COPY_DST; contents are undefined.
    The buffer may be larger than asked (bucket size).
``ctx.release(buf)``
    Back to the pool. Safe while dispatches that use ``buf`` are still recorded but not submitted:
    work is ordered, so a later user of the same buffer runs after them.
``ctx.pipeline(name, source, constants=None) -> GPUComputePipeline``
    Entry point ``main``, ``layout="auto"``, cached by (name, source, constants). A compile failure
    raises RuntimeError naming the kernel and the adapter. With ``layout="auto"`` every binding
    declared in the shader must be used by ``main``, or it is dropped from the layout.
``ctx.dispatch(pipeline, bindings, groups, uniform=None)``
    ``bindings``: GPUBuffer or (buf, offset, size) for ``@group(0) @binding(0..n-1)``;
    ``uniform``: bytes bound as a uniform buffer at ``@binding(n)`` (after the storage bindings);
    ``groups``: (x[, y[, z]]) workgroup counts. Dispatches are recorded into one shared command
    encoder and submitted in batches; ``flush()`` submits now. Use ``grid(n_groups)`` to spread
    more than 65535 workgroups over x and y (the kernel then reads its flat workgroup id as
    ``wid.y * nwg.x + wid.x`` with ``@builtin(num_workgroups) nwg``; extra groups must return).
``ctx.read(buf, offset, nbytes) -> memoryview``
    Submits pending work, waits, and returns the bytes (offset/size need not be 4-aligned).
``ctx.write(buf, offset, data)``
    Submits pending work first, then queues the upload (offset and len(data) multiples of 4).
``ctx.copy(src, src_offset, dst, dst_offset, nbytes)``
    Records a buffer-to-buffer copy in order with the dispatches (multiples of 4).

Every failing device call (a lost device included) raises RuntimeError naming the adapter and
what was being done; reads never wait on a lost device. ``caps.subgroup_size`` is measured by a
probe kernel at start-up, because adapters do not all report it; ``SPIRAL_WGPU_SUBGROUPS=0``
reports no subgroups. ``SPIRAL_WGPU_ADAPTER`` picks an adapter by a substring of its name,
``SPIRAL_WGPU_POWER`` (``high-performance`` or ``low-power``) sets the preference otherwise.

``load_wgsl(name) -> str`` reads ``spiraltorch/backends/wgpu/<name>`` (e.g. ``"elementwise.wgsl"``).

Arrays (``array.py``): ``WgpuArray(buffer_or_storage, shape, strides, offset, dtype, ctx=None)``
with strides and offset in elements; ``WgpuArray.empty(ctx, shape, dtype)`` allocates a contiguous
one; views share one ``Storage`` that returns the buffer to the pool when the last view goes;
``arr.buffer`` is the GPUBuffer, ``arr.ctx`` the context. Element layout in buffers
(``STORAGE_ITEMSIZE``): float32 f32, int32 i32, bool and uint8 one u32 each, float16 f16 (needs
``shader-f16``), int64 ``vec2<u32>`` (lo, hi). float64 is not supported on this device.
"""
from __future__ import annotations

import functools
import importlib.resources
import os
import threading

import wgpu

from ..base import DeviceCaps

MAX_GROUPS = 65535
_UNIFORM_ALIGN = 256
_ARENA_BYTES = 1 << 18
_MIN_BUCKET = 256
_BATCH = 128  # dispatches per submit at most
_BATCH_GROUPS = 8192  # workgroups per submit before it goes at once
_STORAGE_USAGE = wgpu.BufferUsage.STORAGE | wgpu.BufferUsage.COPY_SRC | wgpu.BufferUsage.COPY_DST

_INSTALL_HINT = ("install a Vulkan driver (on Debian/Ubuntu: apt-get install mesa-vulkan-drivers, "
                 "which provides the lavapipe software adapter) or a GPU vendor driver")


@functools.lru_cache(maxsize=None)
def load_wgsl(name: str) -> str:
    return importlib.resources.files(__package__).joinpath(name).read_text()


def grid(n_groups: int) -> tuple[int, int, int]:
    """Workgroup counts (x, y, 1) covering ``n_groups`` within the per-dimension limit."""
    if n_groups <= MAX_GROUPS:
        return (max(n_groups, 1), 1, 1)
    y = -(-n_groups // MAX_GROUPS)
    return (-(-n_groups // y), y, 1)


def _bucket(nbytes: int) -> int:
    """Round up to one of four sizes per power of two, so a reused buffer wastes < 25%."""
    n = max(int(nbytes), _MIN_BUCKET)
    top = 1 << (n - 1).bit_length()
    step = max(top // 8, _MIN_BUCKET)
    return -(-n // step) * step


def _adapter_label(adapter) -> str:
    info = adapter.info
    return f"{info.get('device', '')} ({info.get('description', '')}, {info.get('backend_type', '')})"


def _choose_adapter():
    wanted = os.environ.get("SPIRAL_WGPU_ADAPTER", "").strip()
    power = os.environ.get("SPIRAL_WGPU_POWER", "high-performance")
    try:
        if wanted:
            adapters = wgpu.gpu.enumerate_adapters_sync()
        else:
            adapters = [wgpu.gpu.request_adapter_sync(power_preference=power)]
    except Exception as e:  # wgpu reports a missing driver as a failed request
        raise RuntimeError(f"no WebGPU adapter could be opened ({e}); {_INSTALL_HINT}") from e
    adapters = [a for a in adapters if a is not None]
    if not adapters:
        raise RuntimeError(f"no WebGPU adapter found; {_INSTALL_HINT}")
    if not wanted:
        return adapters[0]
    for a in adapters:
        text = " ".join(str(a.info.get(k, "")) for k in ("device", "description", "vendor"))
        if wanted.lower() in text.lower():
            return a
    found = "; ".join(_adapter_label(a) for a in adapters)
    raise RuntimeError(f"SPIRAL_WGPU_ADAPTER={wanted!r} matches no adapter; found: {found}")


def _caps(adapter, features, limits, subgroup_size: int) -> DeviceCaps:
    info = adapter.info
    subgroups = subgroup_size > 0 and os.environ.get("SPIRAL_WGPU_SUBGROUPS", "1") != "0"
    names = ["bool", "uint8", "int32", "int64", "float32"]
    if "shader-f16" in features:
        names.insert(4, "float16")
    return DeviceCaps(
        device="wgpu", dtypes=tuple(names), subgroups=subgroups,
        subgroup_size=subgroup_size if subgroups else 0,
        max_workgroup_size=int(limits["max-compute-invocations-per-workgroup"]),
        max_workgroup_memory=int(limits["max-compute-workgroup-storage-size"]),
        max_buffer_size=int(limits["max-buffer-size"]),
        max_binding_size=int(limits["max-storage-buffer-binding-size"]),
        threads=1, vendor=str(info.get("vendor", "")), name=str(info.get("device", "")),
        driver=str(info.get("description", "")), api=str(info.get("backend_type", "")),
        extra={"features": tuple(sorted(features)), "adapter_type": str(info.get("adapter_type", ""))})


class WgpuContext:
    _instance: WgpuContext | None = None
    _lock = threading.Lock()

    def __init__(self, adapter, device, features):
        self.adapter = adapter
        self.device = device
        self.queue = device.queue
        self.features = frozenset(features)
        self.limits = dict(device.limits)
        self.label = _adapter_label(adapter)
        self._free: dict[int, list] = {}
        self._free_bytes = 0
        self.pool_limit = min(1 << 30, self.limits["max-buffer-size"])
        self.allocated_buffers = 0  # buffers ever created by the pool (tests watch this)
        self._pipelines: dict = {}
        self._encoder = None
        self._pending = 0  # commands recorded since the last submit
        self._pending_groups = 0  # and their workgroups
        self._arena = device.create_buffer(
            size=_ARENA_BYTES, usage=wgpu.BufferUsage.UNIFORM | wgpu.BufferUsage.COPY_DST)
        self._arena_data = bytearray()
        self.caps = _caps(adapter, self.features, self.limits, self._probe_subgroup_size())
        # bytes one storage binding may span; kernels that window their operands read this
        self.binding_limit = self.caps.max_binding_size

    def _probe_subgroup_size(self) -> int:
        """The subgroup size compute shaders run with, measured (adapters do not all report it)."""
        if "subgroup" not in self.features:
            return 0
        out = self.device.create_buffer(size=16, usage=_STORAGE_USAGE)
        try:
            self.dispatch(self.pipeline("subgroup probe", load_wgsl("subgroup_probe.wgsl")),
                          [out], (1,))
            return int(memoryview(self.read(out, 0, 4)).cast("I")[0])
        except RuntimeError:  # fall back to what the adapter reports
            info = self.adapter.info
            return int(info.get("subgroup_min_size", info.get("stackgroup_min_size", 0)))

    @classmethod
    def create(cls) -> WgpuContext:
        adapter = _choose_adapter()
        wanted = [f for f in ("subgroup", "shader-f16", "timestamp-query") if f in adapter.features]
        limits = adapter.limits
        raise_to = {k: limits[k] for k in ("max-buffer-size", "max-storage-buffer-binding-size",
                                           "max-storage-buffers-per-shader-stage")}
        try:
            device = adapter.request_device_sync(required_features=wanted, required_limits=raise_to)
        except Exception as e:
            raise RuntimeError(f"could not open WebGPU device on {_adapter_label(adapter)}: {e}") from e
        return cls(adapter, device, wanted)

    # -- memory -------------------------------------------------------------------------------
    def device_error(self, e, doing: str) -> RuntimeError:
        """The RuntimeError for a failed device call (a lost device included)."""
        return RuntimeError(f"wgpu device error on {self.label} while {doing}: {e}")

    def buffer(self, nbytes: int):
        size = _bucket(nbytes)
        if size > self.caps.max_binding_size >= nbytes:
            size = nbytes + (-nbytes % 4)  # a pool bucket must stay bindable
        if size > self.caps.max_buffer_size:
            raise RuntimeError(f"wgpu buffer of {nbytes} bytes exceeds the adapter's limit of "
                               f"{self.caps.max_buffer_size} bytes on {self.label}")
        free = self._free.get(size)
        if free:
            self._free_bytes -= size
            return free.pop()
        self.allocated_buffers += 1
        try:
            return self.device.create_buffer(size=size, usage=_STORAGE_USAGE)
        except wgpu.GPUError as e:
            raise self.device_error(e, f"allocating {size} bytes") from e

    def release(self, buf) -> None:
        size = buf.size
        if self._free_bytes + size > self.pool_limit:
            return  # dropped: wgpu keeps it alive until recorded work no longer needs it
        self._free.setdefault(size, []).append(buf)
        self._free_bytes += size

    # -- kernels ------------------------------------------------------------------------------
    def pipeline(self, name: str, source: str, constants=None):
        key = (name, source, tuple(sorted(constants.items())) if constants else None)
        pipe = self._pipelines.get(key)
        if pipe is not None:
            return pipe
        try:
            module = self.device.create_shader_module(label=name, code=source)
            compute = {"module": module, "entry_point": "main"}
            if constants:
                compute["constants"] = dict(constants)
            pipe = self.device.create_compute_pipeline(label=name, layout="auto", compute=compute)
        except Exception as e:
            raise RuntimeError(f"wgpu kernel '{name}' failed to compile on {self.label}: {e}") from e
        self._pipelines[key] = pipe
        return pipe

    def dispatch(self, pipeline, bindings, groups, uniform: bytes | None = None) -> None:
        try:
            self._record(pipeline, bindings, groups, uniform)
        except wgpu.GPUError as e:
            raise self.device_error(e, f"recording kernel {pipeline.label!r}") from e
        # submit big work at once so the GPU runs while Python records what follows
        if self._pending >= _BATCH or self._pending_groups >= _BATCH_GROUPS:
            self.flush()

    def _record(self, pipeline, bindings, groups, uniform) -> None:
        entries = []
        for i, b in enumerate(bindings):
            if b is None:  # a binding of the shader module that this entry point does not use
                continue
            if isinstance(b, tuple):
                buf, offset, size = b
                entries.append({"binding": i, "resource": {"buffer": buf, "offset": offset,
                                                           "size": size}})
            else:
                entries.append({"binding": i, "resource": {"buffer": b, "offset": 0,
                                                           "size": b.size}})
        if uniform is not None:
            if len(self._arena_data) + len(uniform) > _ARENA_BYTES:
                self.flush()
            offset = len(self._arena_data)
            pad = -len(uniform) % 16
            self._arena_data += uniform + bytes(pad)
            self._arena_data += bytes(-len(self._arena_data) % _UNIFORM_ALIGN)
            entries.append({"binding": len(bindings),
                            "resource": {"buffer": self._arena, "offset": offset,
                                         "size": len(uniform) + pad}})
        group = self.device.create_bind_group(layout=pipeline.get_bind_group_layout(0),
                                              entries=entries)
        if self._encoder is None:
            self._encoder = self.device.create_command_encoder()
        gx, gy, gz = (tuple(groups) + (1, 1))[:3]
        cpass = self._encoder.begin_compute_pass()
        cpass.set_pipeline(pipeline)
        cpass.set_bind_group(0, group)
        cpass.dispatch_workgroups(gx, gy, gz)
        cpass.end()
        self._pending += 1
        self._pending_groups += gx * gy * gz

    def copy(self, src, src_offset: int, dst, dst_offset: int, nbytes: int) -> None:
        """Record a buffer-to-buffer copy (offsets and size multiples of 4)."""
        if self._encoder is None:
            self._encoder = self.device.create_command_encoder()
        self._encoder.copy_buffer_to_buffer(src, src_offset, dst, dst_offset, nbytes)
        self._pending += 1

    def flush(self) -> None:
        """Submit everything recorded so far."""
        try:
            if self._arena_data:
                self.queue.write_buffer(self._arena, 0, bytes(self._arena_data))
                self._arena_data = bytearray()
            if self._encoder is not None:
                encoder, self._encoder = self._encoder, None
                self._pending = self._pending_groups = 0
                self.queue.submit([encoder.finish()])
        except Exception as e:
            raise self.device_error(e, "submitting work") from e

    # -- host transfer ------------------------------------------------------------------------
    def read(self, buf, offset: int, nbytes: int):
        self.flush()
        if nbytes <= 0:
            return memoryview(b"")
        start = offset - offset % 4
        stop = offset + nbytes
        stop += -stop % 4
        try:
            data = self.queue.read_buffer(buf, start, stop - start)
        except Exception as e:
            raise self.device_error(e, f"reading {nbytes} bytes") from e
        return memoryview(data)[offset - start: offset - start + nbytes]

    def write(self, buf, offset: int, data) -> None:
        self.flush()
        mv = memoryview(data).cast("B")
        if mv.nbytes:
            try:
                self.queue.write_buffer(buf, offset, mv)
            except wgpu.GPUError as e:
                raise self.device_error(e, f"writing {mv.nbytes} bytes") from e


def get_context() -> WgpuContext:
    with WgpuContext._lock:
        if WgpuContext._instance is None:
            WgpuContext._instance = WgpuContext.create()
        return WgpuContext._instance
