"""Validate an export's rows with the dictionary's value parsers.

A row with any refused value is rejected whole (listed with row, column and reason); the ID
number is the exception — a broken one is kept for linkage to repair, because the row's
other values are still good and the person can usually be recognised.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from onesheet.domain.dictionary import Dictionary
from onesheet.domain.findings import Finding
from onesheet.domain.values.parse import parse_for_field
from onesheet.domain.values.problems import ValueProblem
from onesheet.linkage.columns import ColumnPlan, letter
from onesheet.linkage.keys import KeyReading, read_id
from onesheet.linkage.records import PersonRecord

KEY_FIELDS = {"person": "person.id_number", "enterprise": "enterprise.uscc"}
PROGRESS_EVERY = 500


@dataclass
class ParsedRow:
    """One accepted row: canonical values of the target entity, plus linkage-only values."""

    row_no: int
    values: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)  # other entities' fields (户编号 …)
    key: KeyReading = field(default_factory=lambda: KeyReading("missing"))
    raw_id: str | None = None  # the ID cell exactly as exported (kept when it is invalid)
    id_column: str | None = None  # its column letter

    def record(self, uid: int) -> PersonRecord:
        v = self.values
        return PersonRecord(
            uid,
            v.get("person.name"),
            self.key.number or self.key.text or None,
            v.get("person.birth_date"),
            v.get("person.gender"),
            v.get("person.phone"),
            v.get("person.current_address") or v.get("person.registered_address"),
            self.extra.get("household.household_no"),
        )


def parse_rows(
    rows: Sequence[Sequence[object]],
    plan: ColumnPlan,
    dictionary: Dictionary,
    entity: str,
    *,
    first_row: int,
    filename: str | None,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[ParsedRow], list[Finding]]:
    """Accepted rows and a finding for every refused value (its row is left out).

    ``progress(n)`` hears how many rows are checked, every ``PROGRESS_EVERY`` rows and at the end.
    """
    key_field = KEY_FIELDS.get(entity)
    read_key = read_id
    if entity == "enterprise":
        from onesheet.linkage.enterprise import read_uscc as read_key
    accepted: list[ParsedRow] = []
    findings: list[Finding] = []
    for i, cells in enumerate(rows):
        if progress and i % PROGRESS_EVERY == 0:
            progress(i)
        if all(c is None for c in cells):
            continue
        row_no = first_row + i
        parsed = ParsedRow(row_no)
        problems = []
        for col, key in plan.fields.items():
            raw = cells[col] if col < len(cells) else None
            if key == key_field:
                parsed.key = read_key(raw)
                parsed.raw_id = None if raw is None else str(raw)
                parsed.id_column = letter(col)
                continue
            f = dictionary.fields[key]
            try:
                value = parse_for_field(f, raw, dictionary.code_tables)
            except ValueProblem as problem:
                where = {"file": filename, "row": row_no, "column": letter(col), "field": key}
                problems.append(Finding.from_problem(problem, **where))
                continue
            if value is not None:
                (parsed.values if f.entity == entity else parsed.extra)[key] = value
        if problems:
            findings.extend(problems)
        else:
            accepted.append(parsed)
    if progress:
        progress(len(rows))
    return accepted, findings
