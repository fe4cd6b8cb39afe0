"""The form's context: which entity a form lists, and what a group heading changes.

A heading is read with what surrounds it. ``户主信息 / 姓名`` is the household head's name;
``监护人 / 电话`` is not the child's phone; ``房屋信息 / 地址`` is the house's address; on
an enterprise register ``单位名称`` is the enterprise's own name, on a person roster it is
the employer. This module turns a column's heading path (and its left neighbour) into the
texts to look up, the role they speak of, and the entity they most likely belong to.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from onesheet.ingest.normalise import fold_text, normalise_heading
from onesheet.ingest.wordings import ROLE_WORDS, FieldIndex, roles_in

_GROUP_SUFFIXES = ("基本信息", "基本情况", "相关信息", "信息", "情况", "资料", "状况", "概况")
# A role qualifies the heading below it; these roles also move it to another entity.
ROLE_ENTITY = {
    "户主": "household",
    "产权人": "house",
    "房主": "house",
    "所有权人": "house",
    "法定代表人": "enterprise",
    "法人": "enterprise",
    "经营者": "enterprise",
}
_GROUP_ENTITY: tuple[tuple[tuple[str, ...], str], ...] = (
    (("家庭成员", "成员", "人员", "个人", "本人", "老人", "儿童", "学生"), "person"),
    (("房屋", "住房", "房产", "建房", "自建房", "危房", "宅基地"), "house"),
    (("企业", "公司", "个体", "经营主体", "市场主体", "商户", "单位"), "enterprise"),
    (("户主", "家庭", "家户", "户籍"), "household"),
)
_TITLE_ENTITY: tuple[tuple[str, str], ...] = (
    (r"企业|公司|个体工商户|市场主体|经营主体|商户|门店|店铺|规上|规模以上", "enterprise"),
    (r"房屋|自建房|住房|危房|农房|房产|建筑物|宅基地", "house"),
    (r"(户|家庭)(花名册|名册|信息|情况|台账|统计|登记)|农户|困难家庭|监测户|脱贫户", "household"),
)
# Headings that name the subject of the row when they stand alone.
SUBJECT_ATTRS = frozenset(
    {"电话", "联系电话", "手机", "手机号", "手机号码", "联系方式", "身份证号", "身份证号码",
     "证件号码", "公民身份号码", "关系", "与本人关系", "住址", "工作单位"}
)  # fmt: skip
NAME_WORDS = frozenset({"姓名", "名字", "名称"})


@dataclass
class Reading:
    """How one column is to be read: the texts to look up and the context they carry."""

    core: str  # the leaf heading, normalised
    hints: list[str]
    concept: str  # what the column names, e.g. 监护人电话 for 监护人/电话
    variants: list[str]  # texts looked up with fuzzy matching allowed
    exact_only: list[str]  # texts that only count when they are a wording exactly
    role: str | None  # another person the column is about
    group_entity: str | None  # entity implied by a group heading (房屋信息 → house)
    role_entity: str | None  # entity implied by the role (户主 → household)


def strip_group(group: str) -> str:
    """``户主信息`` → ``户主``; ``基本信息`` → ``""``."""
    core, _ = normalise_heading(group)
    for suffix in _GROUP_SUFFIXES:
        if core.endswith(suffix):
            return core[: -len(suffix)]
    return core


def group_entity(group: str) -> str | None:
    for words, entity in _GROUP_ENTITY:
        if any(w in group for w in words):
            return entity
    return None


def bare_role(core: str) -> str | None:
    """A heading that is only a role (``监护人``, ``紧急联系人姓名``) names that role."""
    for role in ROLE_WORDS:
        if core == role or core == role + "姓名":
            return role
    return None


def read_column(path: Sequence[str], left_core: str | None) -> Reading:
    """The lookups for a heading path, given the left neighbour's normalised leaf."""
    core, hints = normalise_heading(path[-1] if path else "")
    variants, exact_only = [core], []
    role: str | None = None
    entity: str | None = None
    role_entity: str | None = None
    concept = core
    for group in reversed(path[:-1]):
        stripped = strip_group(group)
        if not stripped:
            continue
        found = roles_in(stripped)
        if found and not roles_in(core):
            role = max(found, key=len)
            concept = stripped + core
            variants = [concept]
            if core in NAME_WORDS:
                variants.append(stripped)
            role_entity = ROLE_ENTITY.get(role)
            break
        exact_only.append(stripped + core)
        entity = entity or group_entity(stripped)
    if role is None and left_core and core in SUBJECT_ATTRS:
        left_role = bare_role(left_core)
        if left_role:
            role = left_role
            concept = left_role + core
            variants = [concept]
            role_entity = ROLE_ENTITY.get(left_role)
    if role is None and not core.startswith(("与", "和")):  # 与户主关系 is the subject's
        inner = roles_in(core)
        if inner:
            role = max(inner, key=len)
            role_entity = ROLE_ENTITY.get(role)
    return Reading(core, hints, concept, variants, exact_only, role, entity, role_entity)


def title_entity(title: str) -> str | None:
    text = fold_text(title)
    for pattern, entity in _TITLE_ENTITY:
        if re.search(pattern, text):
            return entity
    return None


def guess_entity(title: str, readings: Iterable[Reading], index: FieldIndex) -> str:
    """The entity a roster lists: title words first, then what its columns say.

    Columns vote with the entities of the fields their heading *exactly* names, split
    between entities when a wording is shared (联系电话 is a person's, a household's, an
    enterprise's …). A plain 姓名 column makes it a person roster unless the
    title or the votes clearly say enterprise or house. Role columns (户主姓名) do not vote.
    """
    votes: Counter[str] = Counter()
    subject_person = False
    for r in readings:
        if r.role:
            continue
        exact = index.exact_scores(r.core)
        entities = {k.split(".", 1)[0] for k in exact}
        for e in entities:
            votes[e] += 1 / len(entities)
        if "person.name" in exact and r.group_entity in (None, "person"):
            subject_person = True
    by_title = title_entity(title)
    total = sum(votes.values()) or 1
    if by_title in ("enterprise", "house"):
        return by_title
    for e in ("enterprise", "house"):
        if votes[e] / total >= 0.4:
            return e
    if subject_person:
        return "person"
    if by_title == "household" or votes["household"] > votes["person"]:
        return "household"
    return "person"
