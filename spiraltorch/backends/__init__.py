"""Device registry: ``get(name)`` imports a backend on first use and says why one is missing."""
from __future__ import annotations

import importlib

from .base import Backend, DeviceCaps

DEVICES = ("cpu", "cuda", "wgpu", "mps")
_loaded: dict[str, Backend] = {}
_failed: dict[str, str] = {}

_NOT_BUILT = {
    "cuda": "the cuda device is not part of this SpiralTorch release yet",
    "mps": "the mps device is not part of this SpiralTorch release yet",
}


def get(name: str) -> Backend:
    """The backend for a device name ("cpu", "wgpu", ...), created once."""
    be = _loaded.get(name)
    if be is not None:
        return be
    if name not in DEVICES:
        raise RuntimeError(
            f"Expected one of {', '.join(DEVICES)} device type at start of device string: {name}")
    if name in _failed:
        raise RuntimeError(f"device '{name}' is not available: {_failed[name]}")
    if name in _NOT_BUILT:
        _failed[name] = _NOT_BUILT[name]
        raise RuntimeError(f"device '{name}' is not available: {_NOT_BUILT[name]}")
    try:
        module = importlib.import_module(f"{__name__}.{name}")
        be = module.create()
    except Exception as e:  # the reason is reported to the user, every time they ask
        _failed[name] = f"{type(e).__name__}: {e}"
        raise RuntimeError(f"device '{name}' is not available: {_failed[name]}") from e
    _loaded[name] = be
    return be


def availability(name: str) -> tuple[bool, str]:
    """(available, reason or caps summary) without raising."""
    try:
        be = get(name)
    except RuntimeError as e:
        return False, str(e)
    return True, be.caps.name or name


__all__ = ["Backend", "DeviceCaps", "DEVICES", "get", "availability"]
