"""Kernel launch choices: SpiralK program > tuned table > built-in fallback, field by field.

``choose(op, rows, cols, k, device=, dtype=)`` returns a :class:`Choice`; ``explain(...)`` says
which source decided each field. docs/tuning.md describes tables, precedence and clamping.
"""
from .choice import CORE_FIELDS, Choice
from .chooser import PROGRAM_ENV, SOURCES, TABLE_ENV, choose, explain, program, reload
from .explain import Clamp, Explanation
from .table import (FEATURES, FORMAT_VERSION, TABLE_DIR_ENV, Center, Table, feature_point,
                    installed_table_path, load_table, parse_table, save_table, table_dir)

__all__ = ["CORE_FIELDS", "Choice", "PROGRAM_ENV", "SOURCES", "TABLE_ENV", "choose", "explain",
           "program", "reload", "Clamp", "Explanation", "FEATURES", "FORMAT_VERSION",
           "TABLE_DIR_ENV", "Center", "Table", "feature_point", "installed_table_path",
           "load_table", "parse_table", "save_table", "table_dir"]
