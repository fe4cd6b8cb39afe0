"""Collection tasks (采集任务): which values an approved template may ask a village for.

The rule, in one place:

* A template asks only for values of its own entity that the sheet stores and a cadre can
  type: stored, non-reference fields of ``spec.entity`` (a derived column such as age asks
  for the field it is derived from). Draft fields, other entities' fields (a person roster's
  household columns) and layout columns are *not collectable* and are listed as such.
* A value is asked when the sheet **lacks** it (``missing``), or — for monthly, quarterly
  and yearly templates only — when nobody has told the sheet about it since the template's
  period began (``stale``: the newest observation of it, from any source, is valid from
  before the period start). "Any source" rather than "the winning source": if a village
  already reported the value this period, asking again would make it type it twice.
* Identity values — fields whose authoritative source is the public-security register
  (name, ID number, sex, birth date, ethnicity, registered address …) — never go stale:
  they change by the register's own records, not by a monthly re-ask. Nor do a county
  field's certificate numbers and dates of past events (优待证号, 入伍时间).

Pure: the store hands in the sheet's values and the newest valid-from dates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from onesheet.domain.codes import CodeTable
from onesheet.domain.dictionary import Dictionary, Field
from onesheet.domain.template_spec import TemplateSpec

Frequency = Literal["once", "monthly", "quarterly", "yearly"]
Reason = Literal["missing", "stale"]
IDENTITY_AUTHORITY = "public_security"
ONCE = "once"


_FREQUENCY_WORDS = (
    (re.compile(r"月报|每月|月度"), "monthly"),
    (re.compile(r"季报|季度"), "quarterly"),
    (re.compile(r"年报|年度|每年"), "yearly"),
)


def frequency_from_title(title: str, given: str = "once") -> str:
    """The period a form collects for, from its title (第四季度 → quarterly, 年度 → yearly,
    月报 → monthly); the department and the Gate see it and may change it."""
    if given != "once":
        return given
    for pattern, frequency in _FREQUENCY_WORDS:
        if pattern.search(title):
            return frequency
    return "once"


def period_of(frequency: str, on: date) -> str:
    """The period a template of ``frequency`` collects for on ``on``: 2026-11, 2026Q4, 2026."""
    match frequency:
        case "monthly":
            return f"{on.year}-{on.month:02d}"
        case "quarterly":
            return f"{on.year}Q{(on.month - 1) // 3 + 1}"
        case "yearly":
            return str(on.year)
        case "once":
            return ONCE
    raise ValueError(f"unknown frequency {frequency!r}")


def period_start(period: str) -> date | None:
    """The first day of ``period`` (None for ``once``: a one-off form has no period)."""
    if period == ONCE:
        return None
    if "Q" in period:
        year, quarter = period.split("Q")
        return date(int(year), (int(quarter) - 1) * 3 + 1, 1)
    if "-" in period:
        year, month = period.split("-")
        return date(int(year), int(month), 1)
    return date(int(period), 1, 1)


def period_label(period: str) -> str:
    """How a period reads on a page: 2026年11月, 2026年第4季度, 2026年度, 一次性."""
    if period == ONCE:
        return "一次性"
    if "Q" in period:
        year, quarter = period.split("Q")
        return f"{year}年第{quarter}季度"
    if "-" in period:
        year, month = period.split("-")
        return f"{year}年{int(month)}月"
    return f"{period}年度"


# County fields whose value, once known, does not change: certificate and account numbers,
# and the dates of past events (入伍时间, 退役时间 …). Everything else a department asks for
# (amounts, counts, check-up dates, levels) is asked again each period.
_STABLE_WORDS = re.compile(r"(证号|编号|号码|账号|卡号|证件号|入伍|退役|出生|参加工作|入党)")


def may_go_stale(field: Field) -> bool:
    """Identity values (the public-security register's, and a county field's numbers and
    dates of past events) are never re-asked for age."""
    if field.authority == IDENTITY_AUTHORITY:
        return False
    if field.county_code is not None:
        return field.type not in ("id_number", "uscc") and not _STABLE_WORDS.search(field.label_zh)
    return True


@dataclass(frozen=True)
class Collectable:
    """What a template can ask: the fields, and the column fields it cannot (with why)."""

    fields: tuple[Field, ...]
    not_collectable: tuple[tuple[str, str], ...]  # (field key, reason)


def collectable_fields(spec: TemplateSpec, dictionary: Dictionary) -> Collectable:
    """The stored, typeable fields of ``spec.entity`` its columns show, in column order."""
    fields: dict[str, Field] = {}
    refused: dict[str, str] = {}
    for col in spec.columns:
        if col.kind != "field" or not col.field:
            continue
        f = dictionary.fields.get(col.field)
        if f is not None and not f.stored and f.derived_from in dictionary.fields:
            f = dictionary.fields[f.derived_from]  # age → birth date
        why = _why_not(f, spec.entity, col.field)
        if why:
            refused.setdefault(col.field, why)
        elif f is not None:
            fields.setdefault(f.key, f)
    return Collectable(tuple(fields.values()), tuple(refused.items()))


def _why_not(f: Field | None, entity: str, key: str) -> str | None:
    if f is None:
        return "draft"  # not in the dictionary yet: no sheet column to fill
    if f.entity != entity:
        return "other_entity"
    if not f.stored:
        return "derived"
    if f.type == "ref":
        return "reference"
    if f.status not in ("builtin", "approved"):
        return "draft"
    return None


def items_for(
    fields: Sequence[Field],
    values: Mapping[str, object],
    newest: Mapping[str, datetime],
    start: date | None,
) -> list[tuple[str, Reason]]:
    """The (field key, reason) pairs to ask about one entity.

    ``values``: the sheet's current value per field key (None = lacks it); ``newest``: the
    newest valid-from of any observation per field key; ``start``: the period start (None
    for one-off templates, which never ask for staleness).
    """
    out: list[tuple[str, Reason]] = []
    for f in fields:
        if values.get(f.key) is None:
            out.append((f.key, "missing"))
        elif start is not None and may_go_stale(f):
            seen = newest.get(f.key)
            if seen is None or seen.date() < start:
                out.append((f.key, "stale"))
    return out


InputKind = Literal["select", "date", "tel", "number", "text"]


def input_kind(field: Field) -> InputKind:
    """The HTML input a cadre gets for ``field`` on a phone."""
    match field.type:
        case "code" | "boolean":
            return "select"
        case "date":
            return "date"
        case "phone":
            return "tel"
        case "integer" | "decimal":
            return "number"
    return "text"


def choices(field: Field, code_tables: Mapping[str, CodeTable]) -> list[tuple[str, str]]:
    """(value, label) options of a select: a code table's codes by name, or 是/否."""
    if field.type == "boolean":
        return [("1", "是"), ("0", "否")]
    table = code_tables.get(field.code_table or "")
    if table is None:
        return []
    return [(e.code, e.display) for e in table.entries]
