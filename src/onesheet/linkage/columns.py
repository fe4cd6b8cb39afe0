"""Map an export's headings to dictionary fields with the forms heading matcher.

A department export is a one-row heading table, so each column is a ``HeadingColumn`` with a
single-level path. A column the matcher is unsure of — or cannot place at all — stops the
import: silently dropping a column a department sent is the one mistake an import must not
make. ``--map B=person.phone`` (or ``B=skip``) settles it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from onesheet.domain.dictionary import Dictionary
from onesheet.domain.findings import Finding, InvalidInput, finding
from onesheet.domain.template_spec import column_letter as letter
from onesheet.ingest.matcher import MatchInput, match_columns
from onesheet.ingest.structure import HeadingColumn

SKIP = "skip"


@dataclass
class ColumnPlan:
    """Where each column's values go: a field key, or None (layout / skipped)."""

    fields: dict[int, str]
    headings: list[str]

    def as_letters(self) -> dict[str, str]:
        return {letter(c): k for c, k in sorted(self.fields.items())}


class MappingNeeded(InvalidInput):
    """Columns a person must confirm; each finding lists the candidates."""


def parse_overrides(items: Sequence[str]) -> dict[str, str]:
    """``["B=person.phone", "F=skip"]`` → {"B": "person.phone", "F": "skip"}."""
    out = {}
    for item in items:
        col, sep, key = item.partition("=")
        if not sep or not col.strip().isalpha():
            raise InvalidInput([finding("map.syntax", item=item)])
        out[col.strip().upper()] = key.strip()
    return out


def plan_columns(
    headings: Sequence[str],
    samples: Mapping[int, list[object]],
    dictionary: Dictionary,
    *,
    department: str,
    overrides: Mapping[str, str] | None = None,
    filename: str | None = None,
) -> ColumnPlan:
    """Fields per column, or MappingNeeded naming every column to confirm."""
    overrides = dict(overrides or {})
    cols = [HeadingColumn(i, [h]) for i, h in enumerate(headings) if h]
    letters = {c.col: letter(c.col) for c in cols}
    inp = MatchInput(dictionary, department=department, source=filename or "")
    _, matches = match_columns(cols, samples, "", inp, letters)
    fields: dict[int, str] = {}
    findings: list[Finding] = []
    for m in matches:
        chosen = overrides.pop(m.letter, None)
        if chosen is not None:
            if chosen != SKIP:
                _check_field(chosen, dictionary, m.letter, findings)
                fields[m.col] = chosen
        elif m.status == "matched" and m.field:
            fields[m.col] = m.field
        elif m.status in ("uncertain", "new"):
            findings.append(_confirm(m.letter, m.heading, m.candidates, filename))
    for col in overrides:
        findings.append(finding("map.column", col=col, column=col))
    if findings:
        raise MappingNeeded(findings)
    return ColumnPlan(fields, list(headings))


def _check_field(key: str, dictionary: Dictionary, col: str, findings: list[Finding]) -> None:
    if key not in dictionary.fields:
        findings.append(finding("map.field", key=key, column=col, field=key))


def _confirm(
    col: str, heading: str, candidates: list[tuple[str, float]], filename: str | None
) -> Finding:
    listed = "、".join(f"{k}（{s:.2f}）" for k, s in candidates[:3]) or "无"
    return finding(
        "map.confirm",
        heading=heading,
        listed=listed,
        col=col,
        keys=", ".join(k for k, _ in candidates[:3]) or "none",
        file=filename,
        column=col,
    )
