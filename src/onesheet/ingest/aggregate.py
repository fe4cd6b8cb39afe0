"""Aggregate forms: one row per village or town, each column a count or a sum.

A 各村人口情况统计表 does not list people; it asks "how many": 总人数, 户数, 男, 女,
60岁以上, 低保户数, 残疾人数, with a 合计 row. OneSheet answers such a form by counting the
sheet, so each column becomes a condition (男 → person.gender eq "1"; 0-17岁 → age ≥ 0 and
age < 18; 低保户数 → households with is_dibao) or a sum of a numeric field.

A household count without a status ("户数") is expressed as the condition
``household.household_no not_null``, because a ``count`` column states its entity only
through the fields in its condition.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from onesheet.domain.dictionary import Dictionary
from onesheet.domain.template_spec import AllOf, Condition, Filter
from onesheet.ingest.evidence import profile
from onesheet.ingest.normalise import normalise_heading
from onesheet.ingest.population import age_conditions, status_conditions
from onesheet.ingest.structure import HeadingColumn, text_of
from onesheet.ingest.wordings import FieldIndex

_ORG_VALUE = re.compile(r"(村|社区|镇|乡|街道|居委会|村委会|片区|管理区|合计|总计|小计)$")
_ORG_HEADING = re.compile(
    r"^(村|社区|村居|行政村|村名|乡镇|街道|镇街|单位|地区|区域|村名称|单位名称|名称|村/社区|"
    r"村社区|村居委会|所属村|所属乡镇|地市|市|区县|县区|县|县市区|乡镇街道|行政村名称|"
    r"社区名称|管辖机构|机构|机构名称|机构代码|管辖机构代码|单位代码|区划代码|行政区划)$"
)
_SUBJECT = re.compile(r"姓名|身份证|证件号|公民身份|统一社会信用代码|户主|户号")
_COUNTISH = re.compile(r"人数|户数|人口|数量|合计|总数|总计|^男|^女|岁|个数|户$|人$|小计")
_MALE = re.compile(r"^(其中)?男(性)?(人数|性人数|人口)?$")
_FEMALE = re.compile(r"^(其中)?女(性)?(人数|性人数|人口)?$")
_HOUSEHOLD = re.compile(r"户数|户$|户口数|家庭数")
_GENERIC = re.compile(
    r"^(总|合计|总计|小计|户籍|常住)?(人数|人口|人口数|人口总数|总人数|总人口|户数|总户数)?$"
)


@dataclass
class AggregateColumn:
    """One column of an aggregate form as a TemplateSpec column would declare it."""

    kind: str  # field (org.name) / count / sum / blank
    field: str | None
    condition: Filter | None
    recognised: bool


def is_aggregate(
    columns: Sequence[HeadingColumn], samples: Mapping[int, list[object]], layout: set[int]
) -> bool:
    """Rows are org units (first column names villages/towns) and the other cells count."""
    data_cols = [c for c in columns if c.col not in layout]
    if len(data_cols) < 2:
        return False
    if any(_SUBJECT.search(normalise_heading(c.leaf)[0]) for c in data_cols):
        return False  # a column names a person, household or enterprise: a roster
    lead = 0
    while lead < len(data_cols) and _ORG_HEADING.match(normalise_heading(data_cols[lead].leaf)[0]):
        lead += 1
    if lead >= 3:
        return True  # 地市 / 区县 / 乡镇 / 行政村 …: one row per org unit
    first, rest = data_cols[0], data_cols[1:]
    heading, _ = normalise_heading(first.leaf)
    values = [text_of(v) for v in samples.get(first.col, [])]
    org_values = sum(1 for v in values if _ORG_VALUE.search(v))
    org_first = bool(_ORG_HEADING.match(heading)) or (
        len(values) >= 2 and org_values / len(values) >= 0.6
    )
    if not org_first:
        return False
    numeric = countish = 0
    for c in rest:
        vals = samples.get(c.col, [])
        if vals and profile(vals).number >= 0.8:
            numeric += 1
        if _COUNTISH.search("".join(normalise_heading(p)[0] for p in c.path)):
            countish += 1
    sampled = [c for c in rest if samples.get(c.col)]
    if sampled:
        return numeric >= 0.7 * len(sampled) and (len(sampled) >= 3 or numeric == len(rest))
    return countish >= 0.6 * len(rest)


def read_column(
    col: HeadingColumn, first: bool, dictionary: Dictionary, index: FieldIndex
) -> AggregateColumn:
    """The count / sum a column asks for, from every level of its heading path."""
    cores = [normalise_heading(p)[0] for p in col.path]
    leaf = cores[-1] if cores else ""
    if first:
        return AggregateColumn("field", "org.name", None, True)
    text = "".join(cores)
    hints = "".join(normalise_heading(col.path[-1])[1]) if col.path else ""
    households = bool(_HOUSEHOLD.search(leaf)) or hints in ("户", "户数")
    entity = "household" if households else "person"
    summed = _sum_field(leaf, index)
    if summed:
        entity = summed.split(".", 1)[0]
    conds: list[Condition] = []
    if any(_MALE.match(c) for c in cores):
        conds.append(Condition(field="person.gender", op="eq", value="1"))
    elif any(_FEMALE.match(c) for c in cores):
        conds.append(Condition(field="person.gender", op="eq", value="2"))
    conds += age_conditions(text)
    conds += status_conditions(text, entity, dictionary)
    if summed:
        return AggregateColumn("sum", summed, _combine(conds), True)
    generic = bool(_GENERIC.match(leaf)) or bool(_COUNTISH.search(leaf))
    if not conds and households:
        conds.append(Condition(field="household.household_no", op="not_null"))
    if not conds and not generic:
        return AggregateColumn("blank", None, None, False)
    return AggregateColumn("count", None, _combine(conds), True)


def _sum_field(leaf: str, index: FieldIndex) -> str | None:
    """A money / area column (月保障金额（元）, 耕地面积) is a sum of that field."""
    for key in index.exact_scores(leaf):
        f = index.fields[key]
        if f.type in ("decimal",) and f.derived_from is None:
            return key
    return None


def _combine(conds: list[Condition]) -> Filter | None:
    if not conds:
        return None
    if len(conds) == 1:
        return conds[0]
    return AllOf.model_validate({"and": conds})
