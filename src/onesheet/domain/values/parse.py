"""The one entry point for turning a raw cell into a field's canonical stored string.

Importers, corrections and task fills all call ``parse_for_field`` so a value means the
same thing whichever door it came in by; ``display_value`` is the way back for printing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import date

from onesheet.domain.codes import CodeTable
from onesheet.domain.dictionary import Field
from onesheet.domain.values.booleans import parse_bool
from onesheet.domain.values.dates import parse_date
from onesheet.domain.values.idnumber import parse_id_number
from onesheet.domain.values.numbers import parse_decimal, parse_integer
from onesheet.domain.values.phone import parse_phone
from onesheet.domain.values.problems import ValueProblem
from onesheet.domain.values.text import check_length, parse_text
from onesheet.domain.values.uscc import parse_uscc

EMPTY_MARKS = frozenset({"", "/", "-", "—", "——", "--", "－", "\\"})


def is_empty(raw: object) -> bool:
    """Whether a cell holds nothing (forms write /, — or - for "not applicable")."""
    if raw is None:
        return True
    return unicodedata.normalize("NFKC", str(raw)).strip() in EMPTY_MARKS


def _decimal_text(raw: object) -> str:
    value = parse_decimal(raw).normalize()
    text = format(value, "f")
    return "0" if text in ("-0", "0") else text


def _parse(field: Field, raw: object, tables: Mapping[str, CodeTable], today: date | None) -> str:
    if field.type != "text":
        check_length(raw)  # no code, number, date or ID is this long: refuse before reading
    match field.type:
        case "text":
            return parse_text(raw)
        case "integer" | "ref":
            value = parse_integer(raw)
            if field.type == "ref" and value < 1:
                raise ValueProblem("ref.invalid", "引用编号无效", "invalid reference id")
            return str(value)
        case "decimal":
            return _decimal_text(raw)
        case "date":
            return parse_date(raw).isoformat()
        case "boolean":
            return "1" if parse_bool(raw) else "0"
        case "code":
            return tables[field.code_table or ""].lookup(raw)
        case "id_number":
            return parse_id_number(raw, today=today).number
        case "phone":
            return parse_phone(raw)
        case "uscc":
            return parse_uscc(raw)
    raise ValueError(f"unknown field type {field.type}")


def parse_for_field(
    field: Field,
    raw: object,
    code_tables: Mapping[str, CodeTable],
    *,
    today: date | None = None,
) -> str | None:
    """The canonical string for ``raw`` as a value of ``field``; None for an empty cell.

    Problems keep their code; their messages are prefixed with the field's label so a list
    of refusals reads on its own.
    """
    if is_empty(raw):
        return None
    try:
        return _parse(field, raw, code_tables, today)
    except ValueProblem as problem:
        raise ValueProblem(
            problem.code,
            f"{field.label_zh}：{problem.message_zh}",
            f"{field.label_en}: {problem.message_en}",
            {**problem.params, "field": field.key},
        ) from None


def display_value(field: Field, canonical: str | None, code_tables: Mapping[str, CodeTable]) -> str:
    """How a stored value is shown: code → name, boolean → 是/否, others as stored."""
    if canonical is None:
        return ""
    if field.type == "code" and field.code_table in code_tables:
        return code_tables[field.code_table].name_of(canonical)
    if field.type == "boolean":
        return "是" if canonical == "1" else "否"
    return canonical
