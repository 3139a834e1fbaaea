"""Tuned tables: load, validate, nearest-center lookup, save.

A table maps a shape to a Choice by the nearest cluster center in the feature space
(log2 rows, log2 cols, log2 k); an optional SpiralK rule overrides the fields it sets.
docs/tuning.md describes the format.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import kdsl
from .choice import CORE_FIELDS

FORMAT_VERSION = 1
FEATURES = ("log2_rows", "log2_cols", "log2_k")
TABLE_DIR_ENV = "SPIRAL_TABLE_DIR"
DEFAULT_TABLE_DIR = Path("~/.cache/spiraltorch/tables")

# Bumped by save_table so that cached Choices drop when a table is written in this process.
saves = 0


def feature_point(rows: int, cols: int, k: int) -> tuple[float, float, float]:
    """The shape's position in feature space: log2 of each size, sizes below 1 counted as 1."""
    return (math.log2(max(rows, 1)), math.log2(max(cols, 1)), math.log2(max(k, 1)))


@dataclass(frozen=True)
class Center:
    """One cluster center: its position in feature space, the Choice measured best there, its cost."""

    at: tuple[float, float, float]
    choice: dict = field(hash=False)
    cost_us: float = 0.0


@dataclass(frozen=True)
class TableAnswer:
    """What a table says for one shape: field values, the fields its rule set, the center used."""

    values: dict
    from_rule: frozenset
    center: Center


@dataclass
class Table:
    """A validated table. Build one directly (the tuner does) or with :func:`load_table`."""

    op: str
    device: dict
    centers: list
    rule: str | None = None
    rule_regret: float | None = None
    source: str = "<table>"

    def __post_init__(self):
        def where(field_name, problem):
            return ValueError(f"{self.source}: field '{field_name}': {problem}")

        if not isinstance(self.op, str) or not self.op:
            raise where("op", f"expected an op name, got {self.op!r}")
        if not isinstance(self.device, dict) or not isinstance(self.device.get("device"), str):
            raise where("device", f"expected an identity object with a 'device' name, "
                                  f"got {self.device!r}")
        if not isinstance(self.centers, (list, tuple)) or not self.centers:
            raise where("centers", "expected a non-empty list")
        self.centers = [_check_center(i, _center_json(c), where) for i, c in enumerate(self.centers)]
        if self.rule is not None and not isinstance(self.rule, str):
            raise where("rule", f"expected SpiralK text, got {self.rule!r}")
        if self.rule_regret is not None and not _is_number(self.rule_regret):
            raise where("rule_regret", f"expected a finite number, got {self.rule_regret!r}")
        self._points = np.array([c.at for c in self.centers], dtype=np.float64)
        self._program = None
        if self.rule is not None:
            keys = set(CORE_FIELDS).union(*(c.choice for c in self.centers))
            try:
                self._program = kdsl.parse(self.rule, keys=tuple(sorted(keys)))
            except kdsl.SpiralKError as e:
                raise where("rule", str(e)) from e

    @property
    def fields(self) -> frozenset:
        """Every field some center or the rule sets."""
        rule_keys = self._program.keys if self._program is not None else ()
        return frozenset(rule_keys).union(*(c.choice for c in self.centers))

    def nearest(self, rows: int, cols: int, k: int) -> Center:
        """The center closest to the shape (Euclidean in feature space; the first one on a tie)."""
        point = np.array(feature_point(rows, cols, k))
        return self.centers[int(((self._points - point) ** 2).sum(axis=1).argmin())]

    def answer(self, rows: int, cols: int, k: int, **inputs) -> TableAnswer:
        """The nearest center's fields, with the rule's fields on top. ``inputs`` feed the rule."""
        center = self.nearest(rows, cols, k)
        values = dict(center.choice)
        from_rule = frozenset()
        if self._program is not None:
            ruled = self._program.eval(r=float(rows), c=float(cols), k=float(k), **inputs)
            values.update(ruled)
            from_rule = frozenset(ruled)
        return TableAnswer(values, from_rule, center)

    def lookup(self, rows: int, cols: int, k: int, **inputs) -> dict:
        """Field -> value for the shape: the nearest center's Choice, overridden by the rule."""
        return self.answer(rows, cols, k, **inputs).values

    def to_json(self) -> dict:
        data = {"version": FORMAT_VERSION, "op": self.op, "device": dict(self.device),
                "features": list(FEATURES),
                "centers": [{"at": list(c.at), "choice": dict(c.choice), "cost_us": c.cost_us}
                            for c in self.centers]}
        if self.rule is not None:
            data["rule"] = self.rule
        if self.rule_regret is not None:
            data["rule_regret"] = self.rule_regret
        return data


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _center_json(c):
    """A Center as its JSON object; anything else as it is (for _check_center to judge)."""
    if isinstance(c, Center):
        return {"at": list(c.at), "choice": dict(c.choice), "cost_us": c.cost_us}
    return c


def _check_center(i: int, c, where) -> Center:
    if not isinstance(c, dict):
        raise where(f"centers[{i}]", f"expected an object, got {c!r}")
    for name in ("at", "choice", "cost_us"):
        if name not in c:
            raise where(f"centers[{i}].{name}", "missing")
    at = c["at"]
    if not (isinstance(at, list) and len(at) == len(FEATURES) and all(_is_number(x) for x in at)):
        raise where(f"centers[{i}].at", f"expected {len(FEATURES)} finite numbers, got {at!r}")
    choice = c["choice"]
    if not isinstance(choice, dict) or not choice:
        raise where(f"centers[{i}].choice", f"expected a non-empty object, got {choice!r}")
    values = {}
    for name, value in choice.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise where(f"centers[{i}].choice", f"{name!r} is not a field name")
        if not (_is_number(value) and float(value).is_integer()):
            raise where(f"centers[{i}].choice.{name}", f"expected an integer, got {value!r}")
        values[name] = int(value)
    cost = c["cost_us"]
    if not (_is_number(cost) and cost >= 0):
        raise where(f"centers[{i}].cost_us", f"expected a finite number >= 0, got {cost!r}")
    return Center(tuple(float(x) for x in at), values, float(cost))


def parse_table(data, source: str) -> Table:
    """Validate decoded JSON as a table; errors are ValueErrors naming ``source`` and the field."""
    def where(field_name, problem):
        return ValueError(f"{source}: field '{field_name}': {problem}")

    if not isinstance(data, dict):
        raise ValueError(f"{source}: a table is a JSON object, got {type(data).__name__}")
    if "version" not in data:
        raise where("version", "missing")
    if type(data["version"]) is not int or data["version"] != FORMAT_VERSION:
        raise where("version", f"unknown version {data['version']!r}; this SpiralTorch reads "
                               f"version {FORMAT_VERSION}")
    for name in ("op", "device", "features", "centers"):
        if name not in data:
            raise where(name, "missing")
    if data["features"] != list(FEATURES):
        raise where("features", f"expected {list(FEATURES)}, got {data['features']!r}")
    unknown = sorted(set(data) - {"version", "op", "device", "features", "centers", "rule",
                                  "rule_regret"})
    if unknown:
        raise where(unknown[0], "not a table field")
    device = data["device"]
    return Table(data["op"], dict(device) if isinstance(device, dict) else device, data["centers"],
                 data.get("rule"), data.get("rule_regret"), source)


def load_table(path) -> Table:
    """Read and validate a table file."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON: {e}") from e
    return parse_table(data, str(path))


def save_table(table: Table, path) -> None:
    """Validate and write a table (atomically: readers never see half a file)."""
    global saves
    path = Path(path)
    data = table.to_json()
    parse_table(json.loads(json.dumps(data)), str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(_format(data))
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    saves += 1


def _format(data: dict) -> str:
    """JSON with one line per top-level field and per center: readable, and diffs well."""
    def dump(x):
        return json.dumps(x, allow_nan=False)

    lines = []
    for name, value in data.items():
        if name == "centers":
            inner = ",\n".join(f"  {dump(center)}" for center in value)
            lines.append(f' "centers": [\n{inner}\n ]')
        else:
            lines.append(f" {dump(name)}: {dump(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def table_dir() -> Path:
    """The user's table folder: ``SPIRAL_TABLE_DIR``, else ~/.cache/spiraltorch/tables."""
    return Path(os.environ.get(TABLE_DIR_ENV) or DEFAULT_TABLE_DIR).expanduser()


def table_filename(op: str, identity: dict) -> str:
    """``<op>-<device>-<name>-<digest>.json``; the digest covers the whole device identity."""
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:12]
    label = "-".join(str(identity.get(key, "")) for key in ("device", "name"))
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:40]
    return f"{op}-{slug}-{digest}.json"


def installed_table_path(op: str, identity: dict, folder=None) -> Path:
    """Where the table for ``op`` on the device with this identity lives in the table folder."""
    folder = Path(folder).expanduser() if folder is not None else table_dir()
    return folder / table_filename(op, identity)
