"""Which people (or households, or places) a roster covers, read from its title.

A 低保对象花名册 lists only 低保 recipients; a 65岁以上老年人健康管理登记表 only people aged
65 or more. When OneSheet fills the form from the sheet it must select the same rows, so
the importer proposes a filter (a TemplateSpec ``Filter``) for a person to confirm.
Statuses combine with "or" (低保、特困人员花名册 lists both); an age bound combines with
"and" (65岁以上独居老人).

Age words follow the legal reading of 以上/以下 (刑法 第九十九条: they include the number):
``65岁以上`` → age ≥ 65; ``18岁以下`` → age < 19; ``未满18周岁`` → age < 18.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from onesheet.domain.dictionary import Dictionary
from onesheet.domain.template_spec import AllOf, AnyOf, Condition, Filter
from onesheet.ingest.context import EntityGuess, Reading
from onesheet.ingest.normalise import fold_text, normalise_heading
from onesheet.ingest.wordings import FieldIndex

# (pattern, field name, op, value); the entity prefix is chosen per roster.
_STATUSES: tuple[tuple[str, str, str, object], ...] = (
    (r"(低保|最低生活保障)(?!边缘)", "is_dibao", "eq", "1"),
    (r"特困|五保|分散供养|集中供养", "is_tekun", "eq", "1"),
    (r"残疾人|残疾", "is_disabled", "eq", "1"),
    (r"退役军人|退伍军人|复员退伍", "is_veteran", "eq", "1"),
    (r"留守儿童", "is_left_behind", "eq", "1"),
    (r"独居老人|空巢老人|独居", "is_elderly_alone", "eq", "1"),
    (r"党员", "political_status", "in", ["01", "02"]),
    (r"监测户|监测对象|防返贫监测", "is_monitored", "eq", "1"),
    (r"脱贫户|脱贫人口|建档立卡", "is_lifted_from_poverty", "eq", "1"),
    (r"(离|企业|机关|事业单位)?退休(人员|职工|干部|老人)|离退休", "employment_status", "eq", "60"),
    (r"危房|危险房屋|C级、?D级", "is_dilapidated", "eq", "1"),  # a house list's own status
)
_AGE_GE = re.compile(r"(\d{1,3})\s*周?岁(及|以|或)?(以上|及以上|以上)")
_AGE_LE = re.compile(r"(\d{1,3})\s*周?岁(及|以)?以下")
_AGE_LT = re.compile(r"(未满|不满|低于|小于)\s*(\d{1,3})\s*周?岁")
_AGE_RANGE = re.compile(r"(\d{1,3})\s*[-—~～至到]\s*(\d{1,3})\s*周?岁")
_MIGRANT = re.compile(r"流动人口|外来人口|暂住人口")
_REGISTERED = re.compile(r"户籍人口")


def _field(dictionary: Dictionary, entity: str, name: str) -> str | None:
    for e in (entity, "person"):
        key = f"{e}.{name}"
        if key in dictionary.fields:
            return key
    return None


def age_conditions(text: str, date_field: str = "person.birth_date") -> list[Condition]:
    """Age bounds written in ``text`` as age_ge / age_lt conditions on ``date_field``."""
    out: list[Condition] = []
    if m := _AGE_RANGE.search(text):
        low, high = int(m.group(1)), int(m.group(2))
        out += [
            Condition(field=date_field, op="age_ge", value=low),
            Condition(field=date_field, op="age_lt", value=high + 1),
        ]
        return out
    if m := _AGE_GE.search(text):
        out.append(Condition(field=date_field, op="age_ge", value=int(m.group(1))))
    if m := _AGE_LT.search(text):
        out.append(Condition(field=date_field, op="age_lt", value=int(m.group(2))))
    elif m := _AGE_LE.search(text):
        out.append(Condition(field=date_field, op="age_lt", value=int(m.group(1)) + 1))
    return out


def status_conditions(text: str, entity: str, dictionary: Dictionary) -> list[Condition]:
    """Population statuses named in ``text`` (低保, 特困, 残疾人 …) as conditions."""
    out: list[Condition] = []
    for pattern, name, op, value in _STATUSES:
        if re.search(pattern, text):
            key = _field(dictionary, entity, name)
            if key:
                out.append(Condition(field=key, op=op, value=value))  # type: ignore[arg-type]
    for pattern, wording in ((_MIGRANT, "流动人口"), (_REGISTERED, "户籍人口")):
        if pattern.search(text):
            code = _code(dictionary, "person.resident_type", wording)
            if code:
                out.append(Condition(field="person.resident_type", op="eq", value=code))
    return out


def _code(dictionary: Dictionary, key: str, wording: str) -> str | None:
    """The code of ``wording`` in the field's table; None rather than a guessed code."""
    f = dictionary.fields.get(key)
    table = dictionary.code_tables.get(f.code_table or "") if f else None
    if table is None:
        return None
    try:
        return table.lookup(wording)
    except Exception:  # ValueProblem: the table has no such wording
        return None


@dataclass
class FilterProposal:
    """The filter a roster's words imply, what said so, and how sure (for a person to
    confirm on the mapping page)."""

    filter: Filter | None
    evidence: list[str] = field(default_factory=list)
    confidence: float = 0.0


_WOMEN_OF_AGE = re.compile(r"育龄妇女|育龄期妇女|育龄群众")
_WOMEN = re.compile(r"妇女|女性|女职工")
_ELDERLY = re.compile(r"老年人|老人")
_SCHOOL_ENTRY = re.compile(r"适龄儿童|入学|新生入学|一年级新生|学龄儿童")
_YEAR = re.compile(r"(20\d{2})\s*年")


def school_entry_conditions(text: str) -> tuple[list[Condition], str]:
    """Children starting school: six by 31 August of the school year. With the year in the
    words (2025年秋季) the birth dates are exact; without it, age 6 on the report date."""
    m = _YEAR.search(text)
    if m:
        year = int(m.group(1))
        born_from, born_to = f"{year - 7}-09-01", f"{year - 6}-08-31"
        return [
            Condition(field="person.birth_date", op="ge", value=born_from),
            Condition(field="person.birth_date", op="le", value=born_to),
        ], f"{year}年入学：出生于 {born_from} 至 {born_to}（当年8月31日满6周岁）"
    return [
        Condition(field="person.birth_date", op="age_ge", value=6),
        Condition(field="person.birth_date", op="age_lt", value=7),
    ], "入学适龄：6周岁（未写年份，按报表日期计算）"


def propose(
    title: str, entity: str, dictionary: Dictionary, headings: Sequence[str] = ()
) -> FilterProposal:
    """The filter a roster's title (and subtitle) implies, with its evidence. A place roster
    lists one kind of place: its kind comes from the title, else from the headings."""
    if entity == "place":
        return place_filter(title, headings, dictionary)
    text = fold_text(title)
    evidence: list[str] = []
    statuses = status_conditions(text, entity, dictionary)
    for c in statuses:
        evidence.append(f"标题含“{_which(text, c)}” → {c.field} {c.op} {c.value}")
    has_dates = "person.birth_date" in dictionary.fields
    ages: list[Condition] = []
    confidence = 0.85 if statuses else 0.0
    if has_dates and _SCHOOL_ENTRY.search(text) and not age_conditions(text):
        ages, why = school_entry_conditions(text)
        evidence.append(why)
        confidence = max(confidence, 0.7 if _YEAR.search(text) else 0.5)
    elif has_dates:
        ages = [c for c in age_conditions(text) if not (c.op == "age_ge" and c.value == 0)]
        if ages:
            evidence.append("标题中的年龄：" + "，".join(f"{c.op} {c.value}" for c in ages))
            confidence = max(confidence, 0.85)
        elif _WOMEN_OF_AGE.search(text):
            ages = [
                Condition(field="person.birth_date", op="age_ge", value=15),
                Condition(field="person.birth_date", op="age_lt", value=50),
            ]
            evidence.append("育龄妇女：15–49 周岁的女性")
            confidence = max(confidence, 0.8)
        elif _ELDERLY.search(text) and entity == "person" and not statuses:
            ages = [Condition(field="person.birth_date", op="age_ge", value=60)]
            evidence.append("老年人：60 周岁以上（老年人权益保障法），未写年龄，请确认")
            confidence = max(confidence, 0.5)
    women = [Condition(field="person.gender", op="eq", value="2")] if _WOMEN.search(text) else []
    if women and "person.gender" in dictionary.fields:
        evidence.append("标题含“妇女/女性” → 性别 女")
        confidence = max(confidence, 0.8)
    else:
        women = []
    parts: list[Filter] = []
    if len(statuses) == 1:
        parts.append(statuses[0])
    elif statuses:
        parts.append(AnyOf.model_validate({"or": statuses}))
    parts.extend(women)
    parts.extend(ages)
    if not parts:
        return FilterProposal(None, ["标题未指明人群：列出全部"], 0.6)
    flt = parts[0] if len(parts) == 1 else AllOf.model_validate({"and": parts})
    return FilterProposal(flt, evidence, round(confidence, 2))


def _which(text: str, c: Condition) -> str:
    for pattern, name, _op, _value in _STATUSES:
        if c.field.endswith("." + name) and (m := re.search(pattern, text)):
            return m.group(0)
    for pattern in (_MIGRANT, _REGISTERED):
        if m := pattern.search(text):
            return m.group(0)
    return c.field


def propose_filter(title: str, entity: str, dictionary: Dictionary) -> Filter | None:
    """The filter a roster's title implies, or None for a roster of everyone."""
    return propose(title, entity, dictionary).filter


# ---------------------------------------------------------------------------- places
# Places and facilities (场所/设施: 学校, 避难场所, 重大危险源, 出租屋, 经营场所 …) are listed
# by forms that name them: a column 学校名称 / 避难场所名称 / 危险源名称 / 场所名称 (the row's
# own name, not a role's), on a form with no person of its own (姓名 + 身份证号) and no
# enterprise key (统一社会信用代码). The kinds and their wordings are the code table
# ``place_kind`` (data), so a county adds a kind without touching this code.
PLACE_KINDS = "place_kind"
_GENERIC_PLACE = ("场所", "设施", "场地")
_PLACE_NAME = re.compile(r"^(?P<what>.+?)(名称|全称|编号)$")
_RENTED_ADDRESS = re.compile(r"^(?P<what>出租屋|出租房屋|出租房|出租住房)(地址|详细地址|位置)$")
# A row with a person of its own (姓名, 身份证号) or an enterprise key is not a place.
_NOT_PLACE_KEYS = frozenset({"person.id_number", "person.name", "enterprise.uscc"})


@dataclass
class PlaceReading:
    """A roster of places: which kind (a ``place_kind`` code, or None when nothing says)
    and what said so."""

    kind: str | None
    evidence: list[str]
    confidence: float


def place_kind_words(dictionary: Dictionary) -> list[tuple[str, str]]:
    """(wording, code) for every name and alias of the kinds, longest first (so 重大危险源
    is read before 危险源, 应急避难场所 before 避难场所); 其他 says nothing and is left out."""
    table = dictionary.code_tables.get(PLACE_KINDS)
    if table is None:
        return []
    out = [
        (fold_text(w), e.code)
        for e in table.entries
        if e.name not in ("其他", "其它")
        for w in (e.name, *e.aliases)
        if len(w) >= 2 and w not in ("其他", "其它")
    ]
    return sorted(set(out), key=lambda wc: (-len(wc[0]), wc[0]))


def place_kind(text: str, dictionary: Dictionary) -> tuple[str, str] | None:
    """The kind a text names (code, the wording found), or None."""
    folded = fold_text(text)
    for wording, code in place_kind_words(dictionary):
        if wording in folded:
            return code, wording
    return None


def _naming_column(core: str, dictionary: Dictionary) -> tuple[str | None, str] | None:
    """Whether a heading names the row as a place: (its kind or None for 场所名称, the heading)."""
    m = _PLACE_NAME.match(core) or _RENTED_ADDRESS.match(core)
    if not m:
        return None
    what = m.group("what")
    if what in _GENERIC_PLACE or what in ("场所（设施）", "场所(设施)"):
        return None, core
    for wording, code in place_kind_words(dictionary):
        if what == wording:  # 所在学校名称 is a student's school, not the row's name
            return code, core
    return None


def place_roster(
    title: str, readings: Sequence[Reading], index: FieldIndex, dictionary: Dictionary
) -> PlaceReading | None:
    """A place roster, or None: some column names the row as a place (学校名称, 避难场所名称,
    危险源名称, 场所名称, 出租屋地址), and no column is a person's own name or ID number or
    an enterprise's credit code (a 学校名称 column on a student roster, a 经营场所 on a
    register of firms, keep those rosters theirs). Role columns (校长姓名, 负责人电话) do not count:
    they are about someone else."""
    named: list[tuple[str | None, str]] = []
    for r in readings:
        if r.role is not None:
            continue
        if _NOT_PLACE_KEYS & index.exact_scores(r.core).keys():
            return None
        found = _naming_column(r.core, dictionary)
        if found:
            named.append(found)
    if not named:
        return None
    evidence = [f"“{core}”：场所名册" for _, core in named]
    by_column = next((code for code, _ in named if code), None)
    by_title = place_kind(title, dictionary) if title else None
    kind = by_column or (by_title[0] if by_title else None)
    if by_column:
        evidence.append(f"场所类型 {_kind_name(dictionary, by_column)}（表头）")
    elif by_title:
        evidence.append(f"标题含“{by_title[1]}” → 场所类型 {_kind_name(dictionary, by_title[0])}")
    else:
        evidence.append("标题与表头未指明场所类型：请确认")
    return PlaceReading(kind, evidence, 0.9 if kind else 0.7)


def place_guess(
    guess: EntityGuess,
    title: str,
    readings: Sequence[Reading],
    index: FieldIndex,
    dictionary: Dictionary,
) -> EntityGuess:
    """``guess`` unless the columns make the form a place roster (see ``place_roster``)."""
    found = place_roster(title, readings, index, dictionary)
    if found is None:
        return guess
    scores = dict(guess.scores)
    scores["place"] = max(scores.values(), default=0.0) + 1.0
    return EntityGuess("place", found.confidence, found.evidence, scores)


def place_filter(title: str, headings: Sequence[str], dictionary: Dictionary) -> FilterProposal:
    """A place roster lists one kind: ``place.kind = code`` from the title, else from the
    headings (学校名称 → 学校); none when neither says (every place of the area)."""
    found = place_kind(title, dictionary) if title else None
    how = f"标题含“{found[1]}”" if found else ""
    if found is None:
        for h in headings:
            named = _naming_column(normalise_heading(h)[0], dictionary)
            if named and named[0]:
                found, how = (named[0], h), f"表头“{h}”"
                break
    if found is None or "place.kind" not in dictionary.fields:
        return FilterProposal(None, ["标题与表头未指明场所类型：列出全部场所"], 0.5)
    code = found[0]
    cond = Condition(field="place.kind", op="eq", value=code)
    return FilterProposal(cond, [f"{how} → 场所类型 {_kind_name(dictionary, code)}"], 0.85)


def _kind_name(dictionary: Dictionary, code: str) -> str:
    table = dictionary.code_tables.get(PLACE_KINDS)
    entry = next((e for e in table.entries if e.code == code), None) if table else None
    return entry.name if entry else code
