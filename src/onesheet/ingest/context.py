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
    exact_words: bool = False  # only exact wordings count (与残疾人关系, 养老保险/单位)


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


# The row's own subject named before an attribute: 儿童姓名, 职工身份证号 are the row's 姓名
# and 身份证号 (not another person's, as 监护人姓名 is).
_SUBJECT_PREFIX = re.compile(
    r"^(儿童|学生|幼儿|新生儿|老人|老年人|职工|员工|居民|村民|人员|成员|家庭成员|患者|病人|"
    r"残疾人|党员|申请人|对象|救助对象|本人|妇女|军人|退役军人|参保人|服务对象)"
    r"(?=姓名|性别|身份证|公民身份|证件号|出生|年龄|民族|联系电话|电话|手机)"
)
# A group that is a measure or a category: its short leaves are values or shares, not
# fields of their own (认定等级/特困, 社保基数/养老, 养老保险/单位).
_VALUE_GROUP = re.compile(r"(等级|级别|类别|类型|方式|程度|基数|金额|费用|比例|档次|标准)$")
_SHARE_LEAF = frozenset({"单位", "个人", "企业", "小计", "合计", "是", "否", "有", "无"})
# 与残疾人关系, 与儿童关系: a relationship to someone other than the household head.
_RELATION_TO = re.compile(r"^[与和](.+?)的?关系$")
# 现住地详址, 户籍门（楼）详址 → 现住地址, 户籍地址.
_DETAILED_ADDRESS = re.compile(r"地?(门|门牌|门楼)?(详址|详细地址|详细住址)$")


# An organisation named by its kind: 学校名称, 社会组织名称, 医院地址 are the row's own name
# and address on a register of units, worded as the dictionary words an enterprise's.
_ORG_PREFIX = re.compile(
    r"^(学校|场所|机构|组织|社会组织|医院|卫生院|门店|店铺|商户|合作社|协会|幼儿园)"
    r"(?=名称|全称|地址|住所|办公地址|电话|联系电话|类型|性质)"
)
# 工作/学习单位, 户籍/居住地址: alternatives sharing one head noun.
_ALTERNATIVES = re.compile(r"^([^/、]+)[/、]([^/、]+?)(单位|地址|时间|日期|电话|号码|情况)$")
_ROLE_NAME = re.compile(r"^(.+?)(姓名|名字)$")


def _extra_variants(core: str, raw: str) -> list[str]:
    """Wordings a heading also stands for: a subject's attribute, a detailed address, a
    bracketed name in the middle (社保卡（一卡通）账号 → 一卡通账号), an organisation's own
    attribute, each of two alternatives, and a role's name as the role (法定代表人姓名)."""
    out = []
    if m := _SUBJECT_PREFIX.match(core):
        out.append(core[m.end() :])
    if m := _ORG_PREFIX.match(core):
        rest = core[m.end() :]
        out.append("企业" + ("名称" if rest == "全称" else "地址" if rest == "办公地址" else rest))
    if m := _ALTERNATIVES.match(core):
        out += [m.group(1) + m.group(3), m.group(2) + m.group(3)]
    if (m := _ROLE_NAME.match(core)) and m.group(1) in ROLE_WORDS:
        out.append(m.group(1))
    if _DETAILED_ADDRESS.search(core):
        out.append(_DETAILED_ADDRESS.sub("地址", core))
    folded = fold_text(raw)
    for m in re.finditer(r"[(（]([^()（）]+)[)）](.+)$", folded):
        inner, tail = m.group(1), m.group(2)
        if tail and len(inner) >= 2:
            out.append(normalise_heading(inner + tail)[0])
    parts = [p for p in re.split(r"[/、]|或", core) if len(p) >= 2]
    if len(parts) >= 2:  # 身份证号/护照号, 手机号码/座机: each way of writing it
        out += parts
    for hint in normalise_heading(raw)[1]:
        if 2 <= len(hint) <= 4 and not re.search(r"\d|是|否|/", hint):
            out += [hint + core, core + hint]  # 参保类型（医保）, 监护人（电话）
    return [v for v in out if v and v != core]


# A person's attribute written in brackets after a role: 监护人（电话）, 户主（身份证号）.
_ATTRIBUTE = re.compile(
    r"姓名|名字|电话|手机|手机号|手机号码|联系电话|联系方式|身份证|身份证号|身份证号码|证件号码|关系|住址"
)
# 紧急联系电话 is the emergency contact's phone, not the subject's.
_EMERGENCY = re.compile(r"^紧急联系(?!人)(?=电话|方式|手机|号码)")
# Leaves that name nothing without their group: 时间 of what, 地点 of what.
_GENERIC_LEAVES = frozenset(
    {"时间", "日期", "年月", "地点", "地址", "名称", "原因", "方式", "类型", "类别", "编号", "号码",
     "证号", "号", "金额", "等级", "级别", "人数", "面积", "次数", "单位", "情况", "状态"}
)  # fmt: skip


def _joined(group: str, leaf: str) -> str:
    """``残疾人证`` + ``证号`` → ``残疾人证号`` (a shared character written once)."""
    for k in range(min(len(group), len(leaf)), 0, -1):
        if group.endswith(leaf[:k]):
            return group + leaf[k:]
    return group + leaf


def _shortened(group: str, leaf_raw: str) -> list[str]:
    """The group's head words before the leaf: 残疾人证/类别 → 残疾人类别, 残疾类别."""
    leaf = normalise_heading(leaf_raw)[0]
    return [group[:k] + leaf for k in range(len(group) - 1, 1, -1)]


def read_column(
    path: Sequence[str], left_core: str | None, left2_core: str | None = None
) -> Reading:
    """The lookups for a heading path, given the normalised leaves of the left neighbours."""
    core, hints = normalise_heading(path[-1] if path else "")
    core = _EMERGENCY.sub("紧急联系人", core)
    if hints and bare_role(core) and _ATTRIBUTE.fullmatch(hints[0]):
        core, hints = core + hints[0], hints[1:]  # 监护人（电话） is 监护人电话
    variants, exact_only = [core], _extra_variants(core, path[-1] if path else "")
    role: str | None = None
    entity: str | None = None
    role_entity: str | None = None
    concept = core
    exact_words = False
    rel = _RELATION_TO.match(core)
    if rel and rel.group(1) not in ("户主", "户主的"):
        exact_words = True
    for group in reversed(path[:-1]):
        stripped = strip_group(group)
        if not stripped:
            continue
        value_group = _VALUE_GROUP.search(stripped) or (
            core in _SHARE_LEAF and not roles_in(stripped)
        )
        if value_group and not group_entity(stripped):
            concept = stripped + core
            variants, exact_only, exact_words = [concept], [], True
            break
        found = roles_in(stripped)
        if found and not roles_in(core):
            role = max(found, key=len)
            concept = stripped + core
            variants = [concept]
            if core in NAME_WORDS:
                variants.append(stripped)
            role_entity = ROLE_ENTITY.get(role)
            break
        if core in _GENERIC_LEAVES and not group_entity(stripped):
            # 入伍/地点, 残疾人证/类别: the leaf alone names nothing; the column is the
            # group's 地点, 类别 — read as one heading (入伍地点, 残疾人证类别 → 残疾类别).
            core = concept = _joined(stripped, core)
            variants = [concept]
            exact_only = _shortened(stripped, path[-1])
            exact_words = True
            break
        exact_only.append(stripped + core)
        entity = entity or group_entity(stripped)
    if role is None and left_core and core in SUBJECT_ATTRS:
        left_role = bare_role(left_core)
        other = bare_role(left2_core) if left2_core else None
        if left_role and not (other and other != left_role):  # 父亲姓名 母亲姓名 联系电话
            role = left_role
            concept = left_role + core
            variants = [concept]
            role_entity = ROLE_ENTITY.get(left_role)
    if role is None and not core.startswith(("与", "和")):  # 与户主关系 is the subject's
        inner = roles_in(core)
        if inner:
            role = max(inner, key=len)
            role_entity = ROLE_ENTITY.get(role)
    return Reading(
        core, hints, concept, variants, exact_only, role, entity, role_entity, exact_words
    )


def title_entity(title: str) -> str | None:
    text = fold_text(title)
    for pattern, entity in _TITLE_ENTITY:
        if re.search(pattern, text):
            return entity
    return None


@dataclass
class EntityGuess:
    """The entity a roster lists, how sure, and what said so (for a person to check)."""

    entity: str
    confidence: float
    evidence: list[str]
    scores: dict[str, float]


# Columns that say what a row is. Weights: a subject's name and ID number together make a
# person roster whatever the title says; 户主/户号 a household; 统一社会信用代码/法定代表人
# an enterprise; 房屋/建筑/结构 a house.
_STRONG: dict[str, tuple[str, float]] = {
    "person.name": ("person", 2.0),
    "person.id_number": ("person", 2.0),
    "household.household_no": ("household", 1.5),
    "household.head_name": ("household", 1.5),
    "household.head_id_number": ("household", 1.0),
    "household.size": ("household", 0.6),
    "enterprise.uscc": ("enterprise", 3.0),
    "enterprise.legal_rep": ("enterprise", 2.0),
    "enterprise.legal_rep_id_number": ("enterprise", 1.0),
    "enterprise.name": ("enterprise", 2.0),
}
_NAMED_THING = re.compile(
    r"^(企业|公司|单位|学校|组织|社会组织|机构|医院|合作社|商户|门店|店铺|字号|危险源|经营主体)"
    r"(详细)?(名称|全称)$|^(场所|房屋|建筑|建筑物|小区|楼栋|设施|避难场所)(名称|编号)$"
)
_HOUSE_WORDS = re.compile(r"房屋|建筑|建房|结构|层数|宅基地|危房|产权")


def _sharing_entities(exact: dict[str, float], entity: str) -> list[str]:
    """``entity`` plus the other non-person entities whose fields an exact wording names."""
    others = {k.split(".", 1)[0] for k in exact} - {"person", entity}
    return [entity, *sorted(others)]


def guess_entity(
    title: str, readings: Iterable[Reading], index: FieldIndex, source: str = ""
) -> EntityGuess:
    """The entity a roster lists, from what its columns show first.

    Columns vote with the entities of the fields their heading *exactly* names (split when
    a wording is shared: 联系电话 is a person's, a household's, an enterprise's …), and the
    columns that say what a row *is* weigh more (``_STRONG``): a subject's 姓名 together
    with 身份证号 makes a person roster even on an 企业退休人员 form. Role columns (户主姓名,
    法定代表人电话) vote for the role's entity only. The title is weak evidence; the file
    name (``source``) is the last resort, used only when nothing else speaks.
    """
    scores: Counter[str] = Counter()
    evidence: list[str] = []
    subject: set[str] = set()
    for r in readings:
        exact = index.exact_scores(r.core)
        if r.role:
            key = next(
                (k for k in exact if k.startswith(("household.", "enterprise.", "house."))), None
            )
            concept = index.exact_scores(r.concept)
            for k in (*concept, *([key] if key else [])):
                if k in _STRONG and _STRONG[k][0] != "person":
                    ent, w = _STRONG[k]
                    # 户主姓名 is a household's head and a house's owner alike: a wording
                    # several entities share says only "one of these".
                    sharing = _sharing_entities(concept, ent)
                    rest = len(sharing) - 1
                    for e in sharing:  # the field it is the label of keeps the larger share
                        scores[e] += w if not rest else 0.6 * w if e == ent else 0.4 * w / rest
                    evidence.append(f"{r.concept or r.core} → {'/'.join(sharing)}")
                    break
            else:
                if r.role_entity:
                    scores[r.role_entity] += 0.5
            continue
        if _NAMED_THING.match(r.core):
            ent = (
                "house"
                if re.match(r"^(场所|房屋|建筑|建筑物|小区|楼栋|设施|避难场所)", r.core)
                else "enterprise"
            )
            scores[ent] += 2.0
            evidence.append(f"{r.core} → {ent}")
            continue
        strong = [k for k in exact if k in _STRONG]
        if strong and r.group_entity in (None, "person", _STRONG[strong[0]][0]):
            ent, w = _STRONG[strong[0]]
            if ent == "person":
                if strong[0] in subject:
                    continue
                subject.add(strong[0])
            scores[ent] += w
            evidence.append(f"{r.core} → {ent}")
            continue
        entities = {k.split(".", 1)[0] for k in exact}
        if r.group_entity:
            entities = {r.group_entity}
        if entities == {"house"} and r.group_entity is None:
            # 房屋结构, 层数, 建筑面积: only a house has them — the row is a building, even
            # when its first columns name the household head who lives in it.
            scores["house"] += 0.8
            evidence.append(f"{r.core} → house")
            continue
        for e in entities:
            scores[e] += 0.5 / len(entities)
        if not entities and _HOUSE_WORDS.search(r.core):
            scores["house"] += 0.3
    if subject == {"person.name", "person.id_number"}:
        scores["person"] += 1.0
        evidence.append("姓名 + 身份证号：人员名册")
    by_title = title_entity(title)
    if by_title:
        scores[by_title] += 1.0
        evidence.append(f"标题“{title}” → {by_title}")
    if sum(scores.values()) < 1.0 and source:
        by_file = title_entity(source)
        if by_file:
            scores[by_file] += 0.6
            evidence.append(f"文件名“{source}” → {by_file}（仅作最后依据）")
    if not scores:
        return EntityGuess("person", 0.3, ["无明显依据，按人员名册处理"], {})
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], _rank_of(kv[0])))
    best, top = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    confidence = round(min(0.99, 0.5 + (top - second) / (2 * max(top, 1.0))), 2)
    return EntityGuess(best, confidence, evidence, dict(scores))


_ORDER = ("person", "household", "enterprise", "house")


def _rank_of(entity: str) -> int:
    """Tie order; an entity added to the dictionary later (place …) sorts after these."""
    return _ORDER.index(entity) if entity in _ORDER else len(_ORDER)
