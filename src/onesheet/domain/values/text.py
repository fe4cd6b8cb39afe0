"""Free text: whitespace normalised, and a length cap.

Nothing a cadre types into one field of one person (a name, an address, a note) needs more
than ``MAX_TEXT_CHARS`` characters; a longer value is a pasted document or an attack on the
pages and reports that print it, so it is refused with a catalogued reason. Values of the
other types are never that long either: ``check_length`` refuses them before their reader
runs, so no reader's message ever echoes a megabyte back.
"""

from __future__ import annotations

import re
import unicodedata

from onesheet.domain.values.problems import ValueProblem

MAX_TEXT_CHARS = 500
# C0 control characters and DEL; tab, line feed and carriage return are whitespace and
# collapse to a space instead. PostgreSQL cannot store NUL, and none of them prints.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def too_long(length: int, limit: int = MAX_TEXT_CHARS, code: str = "text.too_long") -> ValueProblem:
    return ValueProblem(
        code,
        f"内容过长（{length} 字，最多 {limit} 字）",
        f"too long ({length} characters, at most {limit})",
        {"length": length, "max": limit},
    )


def check_length(raw: object, limit: int = MAX_TEXT_CHARS) -> None:
    """Refuse a raw value of any type longer than ``limit`` characters (``value.too_long``)."""
    if isinstance(raw, str) and len(raw) > limit:
        raise too_long(len(raw), limit, "value.too_long")


def parse_text(raw: object, *, max_chars: int = MAX_TEXT_CHARS) -> str:
    """NFKC-normalised text with runs of whitespace collapsed to one space, at most
    ``max_chars`` characters (counted after normalising), with no control character."""
    text = " ".join(unicodedata.normalize("NFKC", str(raw)).split())
    if _CONTROL.search(text):
        raise ValueProblem(
            "text.control_char",
            "含有不可见的控制字符，请删除后重新输入",
            "contains an invisible control character; remove it and type again",
        )
    if len(text) > max_chars:
        raise too_long(len(text), max_chars)
    return text
