"""Yes/no values as forms write them: 是/否, √/×, 有/无, Y/N, 1/0."""

from __future__ import annotations

import re
import unicodedata

from onesheet.domain.values.problems import ValueProblem

TRUE = frozenset({"是", "√", "✓", "✔", "有", "y", "yes", "true", "1", "1.0", "对", "t", "☑"})
FALSE = frozenset(
    {"否", "×", "✗", "✘", "x", "无", "n", "no", "false", "0", "0.0", "不是", "没有", "f", "☐"}
)
_NOTE = re.compile(r"^(是|否|有|无)[（(].*[)）]$")


def parse_bool(raw: object) -> bool:
    """True or False; a note in brackets after 是/否 is allowed (是（低保户）)."""
    if isinstance(raw, bool):
        return raw
    text = unicodedata.normalize("NFKC", str(raw)).strip().lower()
    if (m := _NOTE.match(text)) is not None:
        text = m[1]
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueProblem(
        "boolean.invalid",
        f"“{raw}”不是“是/否”类的值（可填 是、否、√、×、有、无）",
        f"'{raw}' is not a yes/no value",
        {"value": str(raw)},
    )
