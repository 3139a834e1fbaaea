"""Explanation: which source decided each Choice field, and what clamping changed."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from .choice import Choice


class Clamp(NamedTuple):
    """A source asked for ``asked``; the device allows ``given``; ``why`` says which rule."""

    field: str
    asked: float
    given: int
    why: str

    def __str__(self) -> str:
        asked = int(self.asked) if float(self.asked).is_integer() else self.asked
        return f"{self.field}: asked {asked}, gave {self.given} ({self.why})"


@dataclass(frozen=True)
class Explanation:
    """How :func:`choose` decided one call's Choice.

    ``fields`` maps every field to ``(value, source)``, source one of "spiralk", "table",
    "fallback"; ``origins`` says more precisely where each value came from (the program's
    source, the table's rule or center, the fallback file); ``clamped`` lists the values the
    device did not allow; ``notes`` anything else worth knowing (a table ignored, a field dropped).
    """

    op: str
    rows: int
    cols: int
    k: int
    device: str
    dtype: str
    choice: Choice
    fields: dict
    origins: dict
    clamped: tuple
    notes: tuple

    def __str__(self) -> str:
        head = f"{self.op}  rows={self.rows} cols={self.cols} k={self.k}  {self.dtype} on {self.device}"
        rows = [("field", "value", "source", "from")]
        rows += [(name, str(value), source, self.origins.get(name, ""))
                 for name, (value, source) in self.fields.items()]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines = [head]
        lines += ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths)) + "  " + row[3]
                  for row in rows]
        lines = [line.rstrip() for line in lines]
        if self.clamped:
            lines.append("clamped:")
            lines += [f"  {clamp}" for clamp in self.clamped]
        if self.notes:
            lines.append("notes:")
            lines += [f"  {note}" for note in self.notes]
        lines.append(f"choice: {self.choice}")
        return "\n".join(lines)
