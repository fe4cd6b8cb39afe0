"""Natural keys as linkage reads them: the ID number, normalised and, when broken, repaired.

A department's ID column is typed by hand somewhere: full-width digits, a lower-case x,
spaces, a legacy 15-digit number, one wrong digit, two neighbours swapped. The MOD 11-2
check character catches every one of these, and because it does, the few valid numbers a
broken one could have been are few enough to look up. They are *candidates*: linkage only
accepts one when the row's other values agree with the person found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from onesheet.domain.values.idnumber import (
    convert_15_to_18,
    id_check_char,
    normalize_id_text,
    parse_id_number,
)
from onesheet.domain.values.problems import ValueProblem

KeyStatus = Literal["valid", "converted", "broken", "missing"]
_DIGITS = "0123456789"


@dataclass(frozen=True)
class KeyReading:
    """What an ID cell says: a valid number, or the candidates a broken one may have been."""

    status: KeyStatus
    number: str | None = None  # the valid 18-digit number (valid / converted)
    text: str = ""  # the normalised text as typed
    candidates: tuple[str, ...] = field(default=())
    problem: ValueProblem | None = None


def read_id(raw: object) -> KeyReading:
    """Normalise an ID cell; a 15-digit number is converted, a broken one gets candidates."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return KeyReading("missing")
    try:
        text = normalize_id_text(raw)
    except ValueProblem as problem:
        return KeyReading("broken", problem=problem)
    if not text:
        return KeyReading("missing")
    try:
        parsed = parse_id_number(text)
    except ValueProblem as problem:
        return KeyReading("broken", text=text, candidates=repair_candidates(text), problem=problem)
    status: KeyStatus = "converted" if parsed.legacy_converted else "valid"
    return KeyReading(status, parsed.number, text)


def _plausible(number: str) -> bool:
    try:
        parse_id_number(number)
    except ValueProblem:
        return False
    return True


def repair_candidates(text: str) -> tuple[str, ...]:
    """Valid numbers one slip away from ``text``: one wrong character or one adjacent swap.

    For 18 characters that is at most 17 substitutions that fix the check (one per
    position, when a digit exists that does), one new check character, and 16 swaps; each
    must also be a plausible number (real province, real birth date).
    """
    if len(text) == 15 and text.isdigit():
        text = convert_15_to_18(text)[:17] + "?"
    if len(text) != 18 or not text[:17].isdigit():
        return ()
    found: set[str] = set()
    body, check = text[:17], text[17]
    found.add(body + id_check_char(body))
    for i in range(17):
        for d in _DIGITS:
            if d == body[i]:
                continue
            cand = body[:i] + d + body[i + 1 :]
            if id_check_char(cand) == check:
                found.add(cand + check)
    for i in range(17):
        swapped = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        if swapped[:17].isdigit() and id_check_char(swapped[:17]) == swapped[17]:
            found.add(swapped)
    found.discard(text)
    return tuple(sorted(n for n in found if _plausible(n)))
