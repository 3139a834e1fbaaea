"""choose(): one Choice per call, field by field from a SpiralK program, a table, or the fallback.

Precedence per field: the program of ``heuristics.program(...)``, then ``SPIRAL_HEUR_K``, then the
table (``SPIRAL_HEUR_TABLE``, else this device's table in the table folder); then the fallback
program shipped as fallback.spk. Choices are cached per call key; the cache drops whenever the
program, the table variable or a saved table changes.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import math
import os
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from .. import backends, dtypes, kdsl
from ..backends.base import DeviceCaps
from . import table as _table
from .choice import CORE_FIELDS, Choice
from .clamping import CR_MAX, legal_value
from .explain import Clamp, Explanation

PROGRAM_ENV = "SPIRAL_HEUR_K"
TABLE_ENV = "SPIRAL_HEUR_TABLE"
SOURCES = ("spiralk", "table", "fallback")
FALLBACK_FILE = "fallback.spk"
# Backend fields the shipped fallback sets (cpu: alg; wgpu: sg, rw, fs, sr, hk, fc, fd, fr, fg,
# hr, hw); a device keeps only its own.
FALLBACK_BACKEND_FIELDS = ("alg", "sg", "rw", "fs", "sr", "hk", "fc", "fd", "fr", "fg", "hr", "hw")
_CONTEXT_LABEL = "heuristics.program()"
_DEVICE_FLAGS = ("cpu", "cuda", "wgpu", "mps")
_MAX_CACHED = 4096

# os.environ.get raises and catches KeyError for an unset variable (~0.6 us); reading the
# encoded mapping behind os.environ directly keeps a cached choose() well under 2 us.
_environ_data = getattr(os.environ, "_data", None)
if isinstance(_environ_data, dict) and hasattr(os.environ, "encodekey"):
    _env_get = _environ_data.get
    _PROGRAM_KEY, _TABLE_KEY, _DIR_KEY = map(os.environ.encodekey, (PROGRAM_ENV, TABLE_ENV,
                                                                   _table.TABLE_DIR_ENV))
else:
    _env_get = os.environ.get
    _PROGRAM_KEY, _TABLE_KEY, _DIR_KEY = PROGRAM_ENV, TABLE_ENV, _table.TABLE_DIR_ENV

_program_override: contextvars.ContextVar = contextvars.ContextVar(
    "spiraltorch_heuristics_programs", default=())


class _State:
    """Caches valid for one signature: the three environment variables' values, the context's
    program, and the count of tables saved in this process."""

    def __init__(self):
        self.signature = None
        self.choices: dict = {}
        self.tables: dict = {}  # (op, device) -> (Table or None, notes)
        self.programs: tuple = ()  # (text, label) of the user's programs, weakest first
        self.parsed: dict = {}  # (text, keys) -> Program; independent of the signature
        self.devices: dict = {}  # device name -> _Device; independent of the signature

    def reset(self, signature) -> None:
        self.signature = signature
        self.choices = {}
        self.tables = {}
        programs = [(os.environ.get(PROGRAM_ENV), PROGRAM_ENV)]
        programs += [(text, _CONTEXT_LABEL) for text in _program_override.get()]
        self.programs = tuple((text, label) for text, label in programs if text and text.strip())


class _Device(NamedTuple):
    """What the chooser needs of a backend, gathered once."""

    caps: DeviceCaps
    ranges: dict  # backend field -> (lowest, highest)
    keys: tuple  # every field: the core ones, then the backend's in name order
    fallback_keys: tuple  # the keys the fallback program may set
    inputs: dict  # sg, sgs and the device flags


def _device(name: str) -> _Device:
    found = _state.devices.get(name)
    if found is None:
        backend = backends.get(name)
        caps = backend.caps
        ranges = dict(getattr(backend, "choice_fields", {}))
        keys = CORE_FIELDS + tuple(sorted(ranges))
        # floats: SpiralK computes in float64 and takes them without conversion
        inputs = {"sg": float(bool(caps.subgroups)), "sgs": float(caps.subgroup_size)}
        inputs.update({flag: float(caps.device == flag) for flag in _DEVICE_FLAGS})
        fallback_keys = tuple(sorted(set(keys) | set(FALLBACK_BACKEND_FIELDS)))
        found = _state.devices[name] = _Device(caps, ranges, keys, fallback_keys, inputs)
    return found


_state = _State()


def _signature():
    return (_env_get(_PROGRAM_KEY), _env_get(_TABLE_KEY), _env_get(_DIR_KEY),
            _program_override.get(), _table.saves)


def choose(op: str, rows: int, cols: int, k: int, *, device: str = "cpu",
           dtype=dtypes.float32) -> Choice:
    """The Choice for ``op`` on a (rows, cols) input selecting k per row. Cached per call key."""
    # _signature(), inlined: this is the hot path
    signature = (_env_get(_PROGRAM_KEY), _env_get(_TABLE_KEY), _env_get(_DIR_KEY),
                 _program_override.get(), _table.saves)
    if signature != _state.signature:
        _state.reset(signature)
    key = (op, rows, cols, k, dtype, device)
    choice = _state.choices.get(key)
    if choice is None:
        choice = _decide(op, rows, cols, k, device, dtype)[0]
        if len(_state.choices) >= _MAX_CACHED:
            _state.choices.clear()
        _state.choices[key] = choice
    return choice


def explain(op: str, rows: int, cols: int, k: int, *, device: str = "cpu",
            dtype=dtypes.float32) -> Explanation:
    """How :func:`choose` decides for these arguments: each field's value and source, clamps, notes."""
    signature = _signature()
    if signature != _state.signature:
        _state.reset(signature)
    choice, fields, origins, clamped, notes, dtype_name = _decide(op, rows, cols, k, device, dtype)
    return Explanation(op, rows, cols, k, device, dtype_name, choice, fields, origins, clamped,
                       notes)


@contextlib.contextmanager
def program(text: str):
    """Within the block, the SpiralK program ``text`` decides the fields it sets.

    It wins over ``SPIRAL_HEUR_K`` and over any enclosing ``program()`` block, field by field."""
    if not isinstance(text, str):
        raise TypeError(f"heuristics.program() takes SpiralK text, got {type(text).__name__}")
    token = _program_override.set(_program_override.get() + (text,))
    try:
        yield
    finally:
        _program_override.reset(token)


def reload() -> None:
    """Forget every cached Choice, table and device (after a table file changed on disk, say)."""
    _state.reset(None)
    _state.devices.clear()


def _with_source(err: kdsl.SpiralKError, label: str) -> kdsl.SpiralKError:
    """The same error (position, reason, caret lines), its message led by where the program came from."""
    tagged = kdsl.SpiralKError(err.reason, line=err.line, col=err.col, source_line=err.source_line)
    tagged.args = (f"{label}: {err}",)
    return tagged


def _parse(text: str, keys: tuple, label: str):
    cache_key = (text, keys)
    parsed = _state.parsed.get(cache_key)
    if parsed is None:
        try:
            parsed = kdsl.parse(text, keys=keys)
        except kdsl.SpiralKError as e:
            raise _with_source(e, label) from e
        if len(_state.parsed) >= 64:
            _state.parsed.clear()
        _state.parsed[cache_key] = parsed
    return parsed


def _evaluate(prog, label: str, rows: int, cols: int, k: int, inputs: dict) -> dict:
    try:
        return prog.eval(r=float(rows), c=float(cols), k=float(k), **inputs)
    except kdsl.SpiralKError as e:
        raise _with_source(e, label) from e


@functools.cache
def _fallback_text() -> str:
    return resources.files(__package__).joinpath(FALLBACK_FILE).read_text(encoding="utf-8")


def _table_for(op: str, caps) -> tuple:
    """(the table that applies to ``op`` on this device or None, notes about it); cached."""
    cache_key = (op, caps.device)
    if cache_key not in _state.tables:
        _state.tables[cache_key] = _find_table(op, caps)
    return _state.tables[cache_key]


def _find_table(op: str, caps) -> tuple:
    env_path = os.environ.get(TABLE_ENV)
    if env_path:
        path = Path(env_path).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"{TABLE_ENV}={env_path}: no such table file")
    else:
        path = _table.installed_table_path(op, caps.identity())
        if not path.is_file():
            return None, ()
    found = _table.load_table(path)
    if found.op != op:
        return None, (f"table {path} is for {found.op}, not {op}: not used",)
    if found.device != caps.identity():
        measured_on = found.device.get("name") or found.device["device"]
        return found, (f"table {path} was measured on {measured_on}, used on "
                       f"{caps.name or caps.device}",)
    return found, ()


def _decide(op, rows, cols, k, device, dtype) -> tuple:
    """(choice, fields, origins, clamped, notes, dtype name): what an Explanation holds."""
    if min(rows, cols, k) < 0:
        raise ValueError(f"{op}: sizes must be >= 0, got rows={rows} cols={cols} k={k}")
    caps, ranges, keys, fallback_keys, inputs = _device(device)
    dt = dtypes.to_dtype(dtype)
    inputs = dict(inputs, el=float(dt.itemsize))
    notes: list = []
    asked: dict = {}  # field -> (value, source, origin); later sources overwrite earlier ones

    fallback = _parse(_fallback_text(), fallback_keys, FALLBACK_FILE)
    for name, value in _evaluate(fallback, FALLBACK_FILE, rows, cols, k, inputs).items():
        if name in keys:  # the fallback serves every device; fields this one lacks are dropped
            asked[name] = (value, "fallback", FALLBACK_FILE)

    found, table_notes = _table_for(op, caps)
    notes.extend(table_notes)
    if found is not None:
        try:
            answer = found.answer(rows, cols, k, **inputs)
        except kdsl.SpiralKError as e:
            raise _with_source(e, f"{found.source}: rule") from e
        center = answer.center
        at = ", ".join(f"{x:g}" for x in center.at)
        for name, value in answer.values.items():
            if name not in keys:
                notes.append(f"table field {name}={value} is not a field of {caps.device}: ignored")
                continue
            origin = "rule" if name in answer.from_rule else f"center [{at}] {center.cost_us:g} us"
            asked[name] = (value, "table", origin)

    # Later programs overwrite earlier ones field by field: the environment's, then the
    # program() blocks from the outermost in.
    for text, label in _state.programs:
        prog = _parse(text, keys, label)
        for name, value in _evaluate(prog, label, rows, cols, k, inputs).items():
            asked[name] = (value, "spiralk", label)

    values: dict = {}
    fields: dict = {}
    origins: dict = {}
    clamped: list = []
    for name in keys:  # in field order: ch is settled before cr is derived from it
        if name == "cr" and name not in asked:
            ch = values["ch"]
            values[name] = min(-(-cols // ch), CR_MAX) if ch > 0 else 1
            fields[name] = (values[name], "fallback")
            origins[name] = "ceil(cols / ch)" if ch > 0 else "whole row: 1"
            continue
        if name in asked:
            value, source, origin = asked[name]
        else:  # a backend field no source sets starts at the bottom of its range
            value, source, origin = ranges[name][0], "fallback", "lowest legal value"
        if not math.isfinite(value):
            raise ValueError(f"{op} rows={rows} cols={cols} k={k}: field {name} from {source} "
                             f"({origin}) is {value}; launch parameters must be finite")
        given, why = legal_value(name, value, cols, caps, ranges)
        if why:
            clamped.append(Clamp(name, value, given, why))
        values[name] = given
        fields[name] = (given, source)
        origins[name] = origin

    choice = Choice(*(values[name] for name in CORE_FIELDS),
                    extra=tuple((name, values[name]) for name in keys[len(CORE_FIELDS):]))
    return choice, fields, origins, tuple(clamped), tuple(notes), dt.name
