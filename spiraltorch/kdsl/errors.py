"""SpiralKError: every problem with a SpiralK program, located in its text where it has a place."""
from __future__ import annotations

_WINDOW = 100  # longest stretch of a source line shown in a message


class SpiralKError(ValueError):
    """A SpiralK program could not be parsed or evaluated.

    ``line`` and ``col`` (1-based) locate the problem in the program text; both are ``None`` for
    problems that have no place in it (an oversized program, an unknown input passed to ``eval``).
    ``reason`` is the message without the position and the caret lines.
    """

    def __init__(self, reason: str, *, line: int | None = None, col: int | None = None,
                 source_line: str | None = None, width: int = 1):
        self.reason = reason
        self.line = line
        self.col = col
        self.source_line = source_line
        super().__init__(_render(reason, line, col, source_line, width))


def _render(reason: str, line: int | None, col: int | None, source_line: str | None,
            width: int) -> str:
    if line is None or col is None:
        return reason
    head = f"line {line}, col {col}: {reason}"
    if source_line is None:
        return head
    start = col - 1
    width = max(1, min(width, len(source_line) - start))
    lo = max(0, min(start - _WINDOW // 2, len(source_line) - _WINDOW))
    hi = lo + _WINDOW
    shown = ("..." if lo > 0 else "") + source_line[lo:hi] + ("..." if hi < len(source_line) else "")
    offset = start - lo + (3 if lo > 0 else 0)
    # keep tabs in the caret's indentation so the caret lines up under the offending text
    indent = "".join(ch if ch == "\t" else " " for ch in shown[:offset])
    caret = "^" * min(width, max(1, len(shown) - offset))
    return f"{head}\n    {shown}\n    {indent}{caret}"


def shorten(text: str, limit: int = 32) -> str:
    """``text`` cut to ``limit`` characters for a message (a name may be thousands long)."""
    return text if len(text) <= limit else text[:limit - 3] + "..."


def error_at(text: str, offset: int, reason: str, width: int = 1) -> SpiralKError:
    """A SpiralKError located at character ``offset`` of the program ``text``."""
    line = text.count("\n", 0, offset) + 1
    line_start = text.rfind("\n", 0, offset) + 1
    line_end = text.find("\n", offset)
    if line_end < 0:
        line_end = len(text)
    source_line = text[line_start:line_end].rstrip("\r")
    return SpiralKError(reason, line=line, col=offset - line_start + 1,
                        source_line=source_line, width=width)
