"""Findings: catalogued problems with where they were found (file, row, column, field).

Every rejected input is reported the same way — a stable code, the place, and a message in
Chinese and English — so the CLI, the web pages and import reports print the same thing.

The codes are catalogued in ``data/findings.yaml`` (title, HTTP status, message templates;
``docs/findings.md`` is generated from it). ``refuse(code, **where)`` raises the catalogued
refusal and ``finding(code, **where)`` makes one to collect with others, so a call site names
a code and the facts, not its own wording. ``tests/contract/test_findings_catalogue.py``
fails when the source uses a code the catalogue lacks.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import NoReturn

import yaml

from onesheet.domain.values.problems import ValueProblem

PLACE = ("file", "row", "column", "field")
DEFAULT_STATUS = 400


@dataclass(frozen=True)
class Entry:
    """One catalogued code: what it is called, the HTTP status, the message templates."""

    code: str
    title: str
    status: int
    zh: str
    en: str

    def placeholders(self) -> set[str]:
        """The ``{name}`` parameters the templates need."""
        return {
            name
            for text in (self.zh, self.en)
            for _, name, _, _ in string.Formatter().parse(text)
            if name
        }


@cache
def catalogue() -> dict[str, Entry]:
    """Every catalogued finding code (read once from ``data/findings.yaml``)."""
    doc = yaml.safe_load(files("onesheet").joinpath("data", "findings.yaml").read_text("utf-8"))
    return {
        code: Entry(code, str(e["title"]), int(e["status"]), str(e["zh"]), str(e["en"]))
        for code, e in doc.items()
    }


def status_of(code: str) -> int:
    """The HTTP status a web caller gets for ``code`` (400 for a code not catalogued)."""
    entry = catalogue().get(code)
    return entry.status if entry else DEFAULT_STATUS


# how ``Finding.where`` names the file, row, column and field, in that order
_WHERE_ZH = ("文件 {}", "第 {} 行", "{} 列", "字段 {}")
_WHERE_EN = ("file {}", "row {}", "column {}", "field {}")


@dataclass(frozen=True)
class Finding:
    """One problem and where it is."""

    code: str
    message_zh: str
    message_en: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    field: str | None = None

    def where(self, lang: str = "zh") -> str:
        """'文件 x.csv 第 3 行 C 列' / 'file x.csv row 3 column C' (only the parts known)."""
        labels = _WHERE_ZH if lang == "zh" else _WHERE_EN
        known = (self.file, self.row, self.column, self.field)  # row 0 is a row; "" is not
        return " ".join(
            label.format(v) for label, v in zip(labels, known, strict=True) if v not in (None, "")
        )

    def message(self, lang: str = "zh") -> str:
        where = self.where(lang)
        text = self.message_zh if lang == "zh" else self.message_en
        return (
            f"{where}：{text}" if where and lang == "zh" else f"{where}: {text}" if where else text
        )

    @classmethod
    def from_problem(cls, problem: ValueProblem, **where: object) -> Finding:
        return cls(problem.code, problem.message_zh, problem.message_en, **where)  # type: ignore[arg-type]


class InvalidInput(Exception):
    """Input refused before anything was written; carries every finding, not just the first."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__("; ".join(f.message("en") for f in findings[:5]))

    @property
    def status(self) -> int:
        """The HTTP status of the refusal: the highest its findings' codes catalogue."""
        return max((status_of(f.code) for f in self.findings), default=DEFAULT_STATUS)

    def message(self, lang: str = "zh") -> str:
        lines = [f.message(lang) for f in self.findings[:20]]
        more = len(self.findings) - 20
        if more > 0:
            lines.append(f"……另有 {more} 处" if lang == "zh" else f"… and {more} more")
        return "\n".join(lines)


def finding(code: str, /, **where: object) -> Finding:
    """The catalogued finding ``code``: ``file``/``row``/``column``/``field`` place it, every
    other keyword fills the message templates (a code not catalogued is a programming error)."""
    try:
        entry = catalogue()[code]
    except KeyError:
        raise LookupError(f"finding code {code!r} is not in data/findings.yaml") from None
    params = {k: v for k, v in where.items() if k not in PLACE}
    missing = entry.placeholders() - params.keys()
    if missing:
        raise TypeError(f"finding {code!r} needs {sorted(missing)}")
    place = {k: where[k] for k in PLACE if where.get(k) not in (None, "")}
    return Finding(
        code,
        entry.zh.format_map(params),
        entry.en.format_map(params),
        **place,  # type: ignore[arg-type]
    )


def refuse(code: str, /, **where: object) -> NoReturn:
    """Raise the catalogued refusal ``code`` (InvalidInput, nothing written)."""
    raise InvalidInput([finding(code, **where)])
