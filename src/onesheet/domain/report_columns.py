"""Where each report column's value comes from, and how it is written on the form.

Pure planning: a roster column shows a stored field of the listed entity, a field of the
person's household (joined), the household head's name or ID number, or a value derived on
read (age as of the report date, town/village names). The store compiles the plan to one
SELECT; the service formats each value with ``display_cell`` the way paper forms write it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from onesheet.domain.codes import CodeTable
from onesheet.domain.derived import age_on, org_path_codes
from onesheet.domain.dictionary import Dictionary, Field
from onesheet.domain.findings import Finding, InvalidInput
from onesheet.domain.masking import mask_value
from onesheet.domain.template_spec import Column, TemplateSpec

# self: a column of the listed entity's sheet row; household: of the person's household
# row; head: of the household head's person row; age: years from a date column as of the
# report date; org: a name on the entity's org path; members: people in the household;
# none: no value (序号, 备注, unmapped).
# house: of the house the person's household lives in (person → household → house), e.g. a
# 流动人口 register's 房东电话 (the house owner's phone).
Source = Literal["self", "household", "head", "age", "org", "members", "house", "none"]
HEAD_FIELDS = {"household.head_name": "name", "household.head_id_number": "id_number"}
WHY_MISSING = "一张表中暂无此值"
WHY_UNMAPPED = "模板此列未对应数据字典字段"
WHY_DRAFT = "草稿字段，一张表尚未收录"


def is_draft_key(key: str, entity: str) -> bool:
    """A field a form import or a department proposed (``person.x_…``): not yet in the
    dictionary, so the sheet holds no values for it — the column is left empty."""
    prefix, _, name = key.partition(".")
    return name.startswith("x_") and prefix in (entity, "household")


@dataclass(frozen=True)
class ColumnPlan:
    """One column: its source, the sheet column read (if any) and the field shown."""

    index: int
    column: Column
    source: Source
    field: Field | None = None
    column_name: str | None = None  # sheet column read (for age: the date column)
    date_style: str = "iso"

    @property
    def collects(self) -> bool:
        """Whether an empty cell here is a value the sheet lacks (listed on 待采集)."""
        return self.source != "none" or self.column.kind == "blank"


def date_style(heading: str) -> str:
    """``出生年月`` columns write 1990.01 (year and month); other dates 1990-01-01."""
    leaf = heading.split("/")[-1]
    return "month" if leaf.endswith("年月") else "iso"


def plan_roster(spec: TemplateSpec, dictionary: Dictionary) -> list[ColumnPlan]:
    """Plan every column of a roster; InvalidInput names each column that cannot be filled."""
    plans, findings = [], []
    for i, col in enumerate(spec.columns):
        try:
            plans.append(_plan(i, col, spec.entity, dictionary))
        except ValueError as exc:
            findings.append(
                Finding("report.column", f"第 {col.letter} 列：{exc}", str(exc), column=col.letter)
            )
    if findings:
        raise InvalidInput(findings)
    return plans


def _plan(i: int, col: Column, entity: str, dictionary: Dictionary) -> ColumnPlan:
    if col.kind in ("row_no", "remark", "blank"):
        return ColumnPlan(i, col, "none")
    if col.kind != "field" or not col.field:
        raise ValueError(f"roster column kind {col.kind} needs kind field with a field key")
    f = dictionary.fields.get(col.field)
    if f is None and is_draft_key(col.field, entity):
        return ColumnPlan(i, col.model_copy(update={"kind": "blank"}), "none")
    if f is None:
        raise ValueError(f"field {col.field} is not in the dictionary")
    style = date_style(col.heading)
    if f.key in HEAD_FIELDS and entity in ("person", "household"):
        return ColumnPlan(i, col, "head", f, HEAD_FIELDS[f.key], style)
    if (f.derived_from or "").startswith("org."):
        return ColumnPlan(i, col, "org", f, f.derived_from.split(".", 1)[1], style)  # type: ignore[union-attr]
    if f.key == "household.size" and entity in ("person", "household"):
        return ColumnPlan(i, col, "members", f, None, style)
    if entity in ("person", "household") and f.entity == "house" and f.stored:
        return ColumnPlan(i, col, "house", f, f.name, style)
    if f.entity == entity or (entity == "person" and f.entity == "household"):
        source: Source = "self" if f.entity == entity else "household"
        if f.stored:
            return ColumnPlan(i, col, source, f, f.name, style)
        if f.key.endswith(".age") and f.derived_from:
            base = dictionary.fields[f.derived_from]
            if base.entity == entity:
                return ColumnPlan(i, col, "age", f, base.name, style)
    raise ValueError(f"field {f.key} cannot be shown on a {entity} roster")


Converter = Callable[[object], object]


def cell_converter(
    plan: ColumnPlan,
    visibility: str,
    code_tables: Mapping[str, CodeTable],
    report_date: date,
) -> Converter:
    """A function from the sheet column's typed value (never None) to what the cell shows.

    Built once per column so the per-row work is one call: names for codes, 是/否 for
    booleans, dates as forms write them (``出生年月`` → 1990.01), identifiers as text
    (masked when the actor may only see them masked), numbers as numbers.
    """
    f = plan.field
    if f is None:
        raise ValueError(f"column {plan.column.letter} has no field to convert")
    if plan.source == "age":
        return lambda birth: age_on(birth, report_date)  # type: ignore[arg-type]
    if visibility == "masked" and f.mask:
        kind = f.mask
        return lambda v: mask_value(kind, str(v))
    match f.type:
        case "code":
            table = code_tables.get(f.code_table or "")
            names = {c: table.name_of(c) for c in table.codes()} if table else {}
            return lambda v: names.get(v, v)  # type: ignore[call-overload]
        case "boolean":
            return lambda v: "是" if v else "否"
        case "date":
            if plan.date_style == "month":
                return lambda v: f"{v.year}.{v.month:02d}"  # type: ignore[attr-defined]
            return lambda v: v.isoformat()  # type: ignore[attr-defined]
        case "integer":
            return int  # type: ignore[return-value]
        case "decimal":
            return lambda v: Decimal(format(Decimal(str(v)).normalize(), "f"))
    return str


def org_part(org_code: str, level: str, names: Mapping[str, str]) -> str | None:
    """The name of the town/village/grid an entity's org code lies in."""
    code = org_path_codes(org_code).get(level)
    return names.get(code, code) if code else None
