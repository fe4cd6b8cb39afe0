"""Weighing non-word evidence: value shapes, bracketed hints and the entity in context.

A word score says how alike a heading and a wording are; these adjustments say whether
the column *can* be that field. A 证件号码 column full of valid ID numbers is a stronger
match to person.id_number; a 出生年月 column holding ages (67, 72) contradicts a date
field; the same wording 联系电话 is the person's phone on a person roster and the owner's
phone on a house register. Adjustments are small and additive except the entity factor.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from onesheet.domain.codes import CodeTable
from onesheet.domain.dictionary import Field
from onesheet.ingest.evidence import ValueProfile, normalise_text

# form (or column) entity → field entity → factor.
# A place's fields never fill another roster's column (a person's 联系人 is not a school's),
# and on a place roster only the place's own fields are at home.
ENTITY_FACTOR: dict[str, dict[str, float]] = {
    "person": {"person": 1.0, "household": 0.9, "enterprise": 0.5, "house": 0.86, "place": 0.45},
    "household": {
        "person": 0.88,
        "household": 1.0,
        "enterprise": 0.55,
        "house": 0.75,
        "place": 0.45,
    },
    "enterprise": {"person": 0.6, "household": 0.55, "enterprise": 1.0, "house": 0.6, "place": 0.5},
    "house": {"person": 0.6, "household": 0.86, "enterprise": 0.55, "house": 1.0, "place": 0.5},
    "place": {"person": 0.5, "household": 0.45, "enterprise": 0.55, "house": 0.55, "place": 1.0},
}
# On a non-person roster a bare 姓名 / 身份证号 / 电话 speaks of the row's subject person.
SUBJECT_MAP: dict[str, dict[str, str]] = {
    "household": {
        "person.name": "household.head_name",
        "person.id_number": "household.head_id_number",
        "person.phone": "household.phone",
        "person.current_address": "household.address",
        "person.registered_address": "household.address",
    },
    "house": {
        "person.name": "house.owner_name",
        "person.id_number": "house.owner_id_number",
        "person.phone": "house.owner_phone",
        "person.current_address": "house.address",
    },
    "enterprise": {
        "person.id_number": "enterprise.legal_rep_id_number",
        "person.phone": "enterprise.contact_phone",
        "person.current_address": "enterprise.address",
    },
    # a place's bare 名称 / 联系电话 / 面积 are the place's own (its 负责人's phone)
    "place": {
        "person.name": "place.manager_name",
        "person.phone": "place.manager_phone",
        "person.current_address": "place.address",
        "enterprise.name": "place.name",
        "enterprise.address": "place.address",
        "enterprise.contact_phone": "place.manager_phone",
        "house.area": "place.area",
        "house.land_area": "place.area",
    },
}
# A bare 地址 names the address of the row's own subject.
SUBJECT_ADDRESS = {
    "person": "person.current_address",
    "household": "household.address",
    "enterprise": "enterprise.address",
    "house": "house.address",
    "place": "place.address",
}
BARE_ADDRESS = frozenset({"地址", "详细地址", "具体地址", "所在地址", "地点", "位置", "所在位置"})
# A bare 名称 names the row's own unit on a list of units (a person has a 姓名, not a 名称).
SUBJECT_NAME = {"enterprise": "enterprise.name", "place": "place.name"}
BARE_NAME = frozenset({"名称", "全称", "单位全称", "名称全称"})
_HINT_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"18位|身份证", ("id_number",)),
    (r"手机|11位|电话", ("phone",)),
    (r"是/?否|是或否|有/?无|√|打勾", ("boolean",)),
    (r"^周?岁$|年龄", ("integer",)),
    (r"万?元|亩|㎡|m2|平方米|平米|米", ("decimal", "integer")),
    (r"年月|年-月|yyyy|8位|日期", ("date",)),
    (r"男/?女", ("code",)),
    (r"^(人|户|个|层|间|次|人数|户数)$", ("integer",)),
)


def entity_factor(context: str, field_entity: str) -> float:
    return ENTITY_FACTOR.get(context, {}).get(field_entity, 0.6)


def hint_types(hints: list[str]) -> set[str]:
    out: set[str] = set()
    for hint in hints:
        for pattern, types in _HINT_TYPES:
            if re.search(pattern, hint):
                out.update(types)
    return out


def hint_adjust(f: Field, types: set[str]) -> float:
    """A small push towards fields whose type the bracketed notes describe."""
    if not types:
        return 0.0
    return 0.04 if f.type in types else -0.04


def value_adjust(
    f: Field, p: ValueProfile, samples: list[object], tables: Mapping[str, CodeTable]
) -> float:
    """How the sample values change the score of field ``f`` (0 when there are none)."""
    if p.empty:
        return 0.0
    few = p.n < 3
    t = f.type
    if t == "id_number":
        return 0.08 if p.id_number >= 0.8 else (0.0 if few or p.id_number >= 0.3 else -0.4)
    if t == "phone":
        return 0.06 if p.phone >= 0.8 else (0.0 if few or p.phone >= 0.3 else -0.35)
    if t == "uscc":
        if p.uscc >= 0.8:
            return 0.08
        return -0.3 if not few and (p.short_text >= 0.5 or p.id_number >= 0.5) else 0.0
    if t == "boolean":
        if p.boolean >= 0.8:
            return 0.05
        if not few and p.boolean < 0.3 and p.person_name >= 0.6:
            return -0.3  # 签约医生 holds doctors' names, not 是/否
        strong = max(p.number, p.date, p.id_number, p.phone)
        return -0.3 if not few and p.boolean < 0.3 and strong >= 0.5 else 0.0
    if t == "code" and f.code_table in tables:
        by_name = p.code_tables.get(f.code_table, 0.0)
        if by_name >= 0.8:
            return 0.08
        accepted = _lookup_share(tables[f.code_table], samples)
        if accepted >= 0.8:
            return 0.02
        return -0.35 if not few and accepted < 0.3 else 0.0
    if t == "date":
        if p.date >= 0.8:
            return 0.04
        return -0.3 if not few and p.date < 0.3 else 0.0
    if t in ("integer", "decimal"):
        if p.number >= 0.8:
            return 0.03
        return -0.3 if not few and p.number < 0.3 else 0.0
    if t == "text":
        if p.id_number >= 0.8 or p.phone >= 0.8 or p.uscc >= 0.8:
            return -0.3
        return -0.15 if p.boolean >= 0.8 else 0.0
    return 0.0


def _lookup_share(table: CodeTable, samples: list[object]) -> float:
    ok = 0
    for v in samples:
        try:
            table.lookup(normalise_text(v))
            ok += 1
        except Exception:  # ValueProblem: not a code of this table
            pass
    return ok / len(samples) if samples else 0.0


def value_candidates(p: ValueProfile, fields: Mapping[str, Field], entity: str) -> dict[str, float]:
    """Fields the values alone point to, for columns whose heading names nothing known."""
    if p.n < 2:
        return {}
    kind = p.kind()
    out: dict[str, float] = {}
    for key, f in fields.items():
        if f.status == "draft":
            continue
        score = 0.0
        if kind in ("id_number", "phone", "uscc") and f.type == kind:
            score = 0.62
        elif (
            f.type == "code"
            and p.boolean < 0.8  # 是/否 say "yes or no", not which table
            and p.code_tables.get(f.code_table or "", 0.0) >= 0.9
        ):
            score = 0.6
        if score:
            out[key] = score * entity_factor(entity, f.entity)
    return out
