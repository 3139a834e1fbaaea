"""Choice: the launch parameters one kernel call runs with."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import ClassVar

CORE_FIELDS = ("u2", "wg", "kl", "ch", "cr")


@functools.lru_cache(maxsize=256)
def _normalized_extra(extra: tuple) -> tuple:
    """Backend fields as sorted (name, int) pairs, checked; cached, as few distinct ones occur."""
    normalized = tuple(sorted((str(name), int(value)) for name, value in extra))
    names = [name for name, _ in normalized]
    clashes = sorted(set(names) & set(CORE_FIELDS))
    if clashes:
        raise ValueError(f"Choice: backend field {clashes[0]!r} clashes with a core field")
    if len(set(names)) != len(names):
        raise ValueError(f"Choice: backend fields repeat a name: {names}")
    return normalized


@dataclass(frozen=True)
class Choice:
    """Launch parameters for one kernel call. Every Choice gives the same result; only speed changes.

    ``u2``: 1 = two passes (per-chunk candidates, then a merge), 0 = one pass per row.
    ``wg``: workgroup / block size. ``kl``: per-thread candidate lanes. ``ch``: chunk columns
    (0 = the whole row). ``cr``: workgroups per row. ``extra``: backend-specific fields as sorted
    (name, value) pairs, read with :meth:`get`.
    """

    u2: int = 0
    wg: int = 1
    kl: int = 1
    ch: int = 0
    cr: int = 1
    extra: tuple[tuple[str, int], ...] = ()

    core_fields: ClassVar[tuple[str, ...]] = CORE_FIELDS

    def __post_init__(self):
        if self.extra:
            object.__setattr__(self, "extra", _normalized_extra(tuple(map(tuple, self.extra))))

    def get(self, name: str, default=None):
        """The value of a core or backend field, or ``default`` when the Choice has no such field."""
        if name in CORE_FIELDS:
            return getattr(self, name)
        for field_name, value in self.extra:
            if field_name == name:
                return value
        return default

    def as_dict(self) -> dict[str, int]:
        """Every field, core first, then the backend fields in name order."""
        fields = {name: getattr(self, name) for name in CORE_FIELDS}
        fields.update(self.extra)
        return fields

    def __str__(self) -> str:
        return " ".join(f"{name}={value}" for name, value in self.as_dict().items())
