"""The evidence for one candidate, as a person reviewing a queued row reads it.

For each compared value: how the row's value stands to the candidate's — ``same``,
``same pinyin`` (a homophone), ``one character off``, ``one digit off``, ``last 8``,
``most characters``, ``differs`` — or ``missing`` when either side is empty. Pure Python
over the same prepared columns the model compares, so the page shows what the model saw.
"""

from __future__ import annotations

from onesheet.linkage.records import PersonRecord, prepare


def _one_off(a: str, b: str) -> bool:
    """Same length and one position differs, or two neighbours swapped."""
    if len(a) != len(b):
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(diff) == 1:
        return True
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]


def compare(row: PersonRecord, person: PersonRecord) -> dict[str, str]:
    """``{column: level}`` for name, ID number, birth date, sex, phone, address, household."""
    a, b = prepare(row), prepare(person)
    out: dict[str, str] = {}
    for col in ("name", "idn", "birth", "sex", "phone", "addr", "hh"):
        x, y = a[col], b[col]
        if not x or not y:
            out[col] = "missing"
        elif x == y:
            out[col] = "same"
        elif col == "name" and a["name_py"] == b["name_py"]:
            out[col] = "same pinyin"
        elif col == "name" and _one_off(str(x), str(y)):
            out[col] = "one character off"
        elif col in ("idn", "birth") and _one_off(str(x), str(y)):
            out[col] = "one digit off"
        elif col == "phone" and str(x)[-8:] == str(y)[-8:]:
            out[col] = "last 8"
        elif col == "addr":
            cx, cy = set(a["addr_chars"] or ()), set(b["addr_chars"] or ())  # type: ignore[call-overload]
            share = len(cx & cy) / max(len(cx), len(cy))
            out[col] = (
                "most characters"
                if share >= 0.8
                else "half the characters"
                if share >= 0.5
                else "differs"
            )
        else:
            out[col] = "differs"
    return out
