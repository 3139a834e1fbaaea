"""``spiraltorch info``: the version and every device, available or the reason not."""
from __future__ import annotations

from dataclasses import asdict

from . import __version__, backends


def register(subparsers) -> None:
    p = subparsers.add_parser("info", help="version, devices and their capabilities")
    p.set_defaults(func=run)


def run(args) -> int:
    print(f"spiraltorch {__version__}")
    for name in backends.DEVICES:
        ok, why = backends.availability(name)
        if not ok:
            print(f"{name:5s} unavailable: {why}")
            continue
        caps = asdict(backends.get(name).caps)
        caps.pop("extra", None)
        print(f"{name:5s} available")
        for key, value in caps.items():
            if value not in ("", 0, False, None):
                print(f"      {key}: {value}")
    return 0
