"""Draft fields: what a column becomes when nothing in the dictionary fits.

A draft is proposed, not added: a person approves it (or points the column at an existing
field) before any value is stored. Drafts from earlier imports are passed back to the
matcher, so the same new concept on two departments' forms — 紧急联系人电话 here,
紧急联系人手机 there — ends up as one field. That works because a draft carries, besides
the heading it came from, a *canonical* wording: the role plus the dictionary label of the
attribute (紧急联系人 + 联系电话), which both headings reduce to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pypinyin import lazy_pinyin

from onesheet.domain.dictionary import Field, FieldType
from onesheet.ingest.evidence import ValueProfile
from onesheet.ingest.wordings import ROLE_WORDS, FieldIndex, initials, roles_in

# Two words for one role: a draft about the 出租人 is the one about the 房东.
ROLE_ALIASES = {
    "出租人": "房东",
    "房主": "产权人",
    "所有权人": "产权人",
    "权利人": "产权人",
    "法人": "法定代表人",
    "帮扶人": "帮扶责任人",
    "家属": "亲属",
}

_KIND_TYPE: dict[str, FieldType] = {
    "id_number": "id_number",
    "uscc": "uscc",
    "phone": "phone",
    "boolean": "boolean",
    "date": "date",
    "integer": "integer",
    "decimal": "decimal",
}
_WORD_TYPES: tuple[tuple[str, FieldType], ...] = (
    (r"^(是否|有无)", "boolean"),
    (r"身份证|证件号码", "id_number"),
    (r"电话|手机", "phone"),
    (r"(时间|日期|年月)$", "date"),
    (r"(金额|收入|面积|资金|补贴|标准)$|元$", "decimal"),
    (r"(人数|数量|年份|层数|次数|户数|间数)$", "integer"),
)
_HINT_TYPES: tuple[tuple[str, FieldType], ...] = (
    (r"是/?否|有/?无", "boolean"),
    (r"元|亩|㎡|平方米", "decimal"),
    (r"^周?岁$|人|户", "integer"),
    (r"年月|日期", "date"),
    (r"手机|电话", "phone"),
)


_RELATION_TO_SUBJECT = re.compile(
    r"^[与和](儿童|学生|幼儿|老人|老年人|残疾人|本人|被监护人|服务对象|对象|患者|病人|申请人)的?关系$"
)


# How long a certificate or card stays valid, worded as its end (有效期至, 有效截止日期,
# 有效期限, 到期日期): one concept, the 有效期 of whatever the words before it name.
_VALID_UNTIL = re.compile(
    r"(有效期?(至|限|截[止至](日期|时间)?|终止(日期|时间)?)|到期(日期|时间|日)?)$"
)


def _valid_until(concept: str) -> str:
    """``证件有效截止日期`` → ``证件有效期``; other wordings unchanged."""
    m = _VALID_UNTIL.search(concept)
    return concept[: m.start()] + "有效期" if m and m.start() > 0 else concept


def canonical(concept: str, index: FieldIndex) -> str:
    """``监护人手机号码`` → ``监护人联系电话``: a role plus the label of its attribute field.

    Headings without a role are their own canonical form, except a relationship to the
    row's own subject (与儿童关系, 与残疾人关系 → 与本人关系: one concept, the other person's
    relationship to the subject).
    """
    concept = _valid_until(concept)
    if _RELATION_TO_SUBJECT.match(concept):
        return "与本人关系"
    role = next((r for r in ROLE_WORDS if concept.startswith(r)), None)
    if role and _RELATION_TO_SUBJECT.match(concept[len(role) :]):
        return "与本人关系"  # 监护人/与儿童关系: the guardian's relationship to the child
    if concept in ROLE_WORDS or concept in ROLE_ALIASES:  # 监护人 = 监护人姓名
        return ROLE_ALIASES.get(concept, concept) + "姓名"
    for cut in range(1, len(concept) - 1):
        prefix, suffix = concept[:cut], concept[cut:]
        if not roles_in(prefix):
            continue
        prefix = ROLE_ALIASES.get(prefix, prefix)
        if suffix in ("姓名", "名字"):
            return prefix + "姓名"
        exact = index.exact_scores(suffix)
        if exact:
            keys = sorted(exact, key=lambda k: (not k.startswith("person."), k))
            return prefix + index.fields[keys[0]].label_zh
    return concept


def guess_type(concept: str, hints: list[str], profile: ValueProfile) -> FieldType:
    """The value type: from the samples when they are clear, else the notes, else the words."""
    kind = profile.kind()
    if kind in _KIND_TYPE:
        return _KIND_TYPE[kind]
    for hint in hints:
        for pattern, t in _HINT_TYPES:
            if re.search(pattern, hint):
                return t
    for pattern, t in _WORD_TYPES:
        if re.search(pattern, concept):
            return t
    return "text"


def draft_key(entity: str, concept: str, taken: Iterable[str]) -> str:
    """``person.x_jjlxrdh``: pinyin initials, made unique with a number when needed."""
    base = f"{entity}.x_{initials(concept) or 'col'}"
    taken = set(taken)
    key, n = base, 2
    while key in taken:
        key, n = f"{base}{n}", n + 1
    return key


def propose(
    concept: str,
    entity: str,
    *,
    hints: list[str],
    profile: ValueProfile,
    index: FieldIndex,
    taken: Iterable[str],
    department: str,
    source: str,
) -> Field:
    """A draft ``Field`` for a column that no dictionary field or earlier draft fits."""
    ftype = guess_type(concept, hints, profile)
    canon = canonical(concept, index)
    synonyms = tuple(dict.fromkeys(w for w in (concept, canon) if w))
    mask = {"id_number": "id_number", "phone": "phone"}.get(ftype)
    personal = entity in ("person", "household") or ftype in ("id_number", "phone")
    return Field(
        key=draft_key(entity, concept, taken),
        entity=entity,
        label_zh=concept,
        label_en=" ".join(lazy_pinyin(concept)),
        type=ftype,
        sensitivity="personal" if personal else "general",
        authority=department,
        synonyms=synonyms,
        mask=mask,  # type: ignore[arg-type]
        description=f"由导入 {source} 时提议 / proposed when importing {source}",
        status="draft",
    )
