"""The packaged reference lists (divisions, surnames, given-name characters), read once.

They ship inside the package (``onesheet/data``) so the generator works offline and gives
the same county on every machine; see ``onesheet/data/SOURCES.md`` for where they come from.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class Division:
    """One row of divisions.csv."""

    code: str
    name: str
    level: str
    parent_code: str | None


def _rows(filename: str) -> list[dict[str, str]]:
    text = resources.files("onesheet").joinpath("data", filename).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@lru_cache(maxsize=1)
def divisions() -> dict[str, Division]:
    """All divisions by code, in file order."""
    return {
        r["code"]: Division(r["code"], r["name"], r["level"], r["parent_code"] or None)
        for r in _rows("divisions.csv")
    }


@lru_cache(maxsize=1)
def surnames() -> tuple[tuple[str, float], ...]:
    """(surname, share_percent) for the 100 commonest surnames."""
    return tuple((r["surname"], float(r["share_percent"])) for r in _rows("surnames.csv"))


@lru_cache(maxsize=1)
def given_name_chars() -> tuple[tuple[str, str, str], ...]:
    """(char, gender, era) rows; gender is male / female / neutral."""
    return tuple((r["char"], r["gender"], r["era"]) for r in _rows("given_name_chars.csv"))
