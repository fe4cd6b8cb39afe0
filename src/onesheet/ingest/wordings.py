"""How close a heading's words are to each field's label and synonyms.

Four signals, strongest first: the normalised heading *is* a wording (1.0; a ``是否X``
wording's stem ``X`` counts 0.95); it *sounds* like one — same pinyin, the typical
homophone typo 身分证号 for 身份证号 (0.9); it *contains* one as its head noun
(``现家庭住址`` ⊃ ``家庭住址``); it is *spelt* like one (rapidfuzz, on characters and on
pinyin syllables). Two guards keep similar-looking headings apart: a role word the other
side lacks (联系人电话 vs 联系电话, 户主姓名 vs 姓名) caps the score, and so does a changed
head noun (工作单位电话 is not 工作单位). Entity and value evidence are applied later by
the matcher; this module only scores words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pypinyin import Style, lazy_pinyin
from rapidfuzz import fuzz, process

from onesheet.domain.dictionary import Field
from onesheet.ingest.normalise import full_key, normalise_heading

# People other than the row's subject. A heading naming one of them is about that person.
ROLE_WORDS: tuple[str, ...] = (
    "紧急联系人", "法定代表人", "帮扶责任人", "联系人", "监护人", "户主", "配偶", "父亲",
    "母亲", "父母", "子女", "法人", "负责人", "经营者", "产权人", "房主", "所有权人", "权利人",
    "业主", "赡养人", "抚养人", "扶养人", "代理人", "委托人", "担保人", "家属", "亲属",
    "帮扶人", "责任人", "网格员", "填表人", "审核人", "介绍人", "房东", "出租人", "承租人",
)  # fmt: skip
# Any other person noun before a personal attribute is a role too (村长电话, 排查员姓名) —
# except the words forms use for the row's own subject.
_ROLE_BEFORE_ATTR = re.compile(
    r"([\u4e00-\u9fff]{1,3}?(?:人|东|长|员))(?=姓名|名字|电话|手机|联系|身份证|证件号|关系)"
)
_SUBJECTS = frozenset(
    {"本人", "个人", "老人", "申请人", "参保人", "被调查人", "成员", "人员", "户成员", "家庭成员",
     "居民", "村民", "学员", "职工", "党员", "会员", "残疾人", "病人", "老年人", "工作人员"}
)  # fmt: skip
# Endings that do not change what a heading names (身份证 + 号码, 户籍所在地 + 详细地址).
FILLER_SUFFIXES = frozenset(
    {"号码", "码", "号", "详址", "详细地址", "地址", "名称", "全称", "情况", "状况", "信息"}
)
# Words before a wording that narrow it to another concept: 重度残疾人 is not 残疾人,
# 年度补贴 not 补贴, 拟入学校 not 学校.
QUALIFIERS = re.compile(
    r"(重度|轻度|中度|重症|多重|一户多人|年度|季度|月度|本年|上年|当年|新增|累计|困难|"
    r"低保边缘|边缘|拟|拟入|拟就读|拟报|一级|二级|三级|四级|非|未|再|经营性|生产经营性|非经营性|毕业)$"
)
EXACT, STEM, HOMOPHONE = 1.0, 0.95, 0.9
_FUZZY_WEIGHT, _PINYIN_WEIGHT = 0.95, 0.92
_BELOW_EXACT = 0.8
_SUBSTITUTED = 0.45  # with value evidence still below UNCERTAIN_AT: a new field


def roles_in(text: str) -> set[str]:
    """The role words in ``text``; a longer role hides the shorter one inside it."""
    found: set[str] = set()
    rest = text
    for role in ROLE_WORDS:  # longest first within each family (紧急联系人 before 联系人)
        if role in rest:
            found.add(role)
            rest = rest.replace(role, "|")
    for m in _ROLE_BEFORE_ATTR.finditer(rest):
        word = m.group(1)
        if word not in _SUBJECTS and not any(word.endswith(s) for s in _SUBJECTS):
            found.add(word)
    return found


_SYLLABLES: dict[str, str] = {}


def pinyin_code(text: str) -> str:
    """One private-use character per pinyin syllable, so string similarity works on sounds."""
    out = []
    for syl in lazy_pinyin(text):
        code = _SYLLABLES.get(syl)
        if code is None:
            code = _SYLLABLES[syl] = chr(0xE000 + len(_SYLLABLES))
        out.append(code)
    return "".join(out)


def initials(text: str) -> str:
    """Pinyin initials in lower case (紧急联系人电话 → jjlxrdh), ASCII kept."""
    letters = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER)).lower()
    return "".join(ch for ch in letters if ch.isascii() and ch.isalnum())


# Endings that name one thing whichever a form uses: a date is 日期, 时间 or 年月
# (失业登记日期 = 失业登记时间), a kind 类型, 类别 or 种类, a state 情况, 状况 or 状态, a
# number 号码 or 号 — so a wording (or a draft from another form) is found either way.
_SAME_ENDINGS = (
    ("日期", "时间", "年月"),
    ("类型", "类别", "种类"),
    ("情况", "状况", "状态"),
    ("号码", "号"),
    ("方式", "形式"),
)
# Prefixes that say only "the row's own": 所在党支部 = 所属党支部 = 党支部.
_OWN_PREFIXES = ("所在", "所属")
# A yes/no question asked three ways: 是否残疾, 是否为残疾, 有无残疾.
_YES_NO = ("是否为", "是否", "有无")


def wording_forms(wording: str) -> list[tuple[str, float]]:
    """The lookup keys a dictionary wording stands for, with the score an exact hit earns."""
    core, _ = normalise_heading(wording)
    forms = [(core, EXACT), (full_key(wording), EXACT)]
    for prefix in ("是否为", "是否", "有无"):
        if core.startswith(prefix) and len(core) > len(prefix) + 1:
            forms.append((core[len(prefix) :], STEM))
            break
    return forms


def ending_variants(core: str) -> list[str]:
    """The same heading with an equivalent ending (…日期 → …时间, …年月); looked up
    exactly only, so the extra spellings never widen fuzzy matching."""
    out: list[str] = []
    for endings in _SAME_ENDINGS:
        end = next((e for e in endings if core.endswith(e) and len(core) > len(e) + 1), None)
        if end:
            out += [core[: -len(end)] + other for other in endings if other != end]
            break
    start = next((p for p in _YES_NO if core.startswith(p) and len(core) > len(p) + 1), None)
    if start:
        out += [p + core[len(start) :] for p in _YES_NO if p != start]
    own = next((p for p in _OWN_PREFIXES if core.startswith(p)), None)
    if own and len(core) >= len(own) + 2:
        out += [p + core[len(own) :] for p in _OWN_PREFIXES if p != own]
        out.append(core[len(own) :])
    elif not own and len(core) >= 2:
        out += [p + core for p in _OWN_PREFIXES]
    return out


def _extra_wordings() -> dict[str, list[str]]:
    """Wordings the importer knows besides the dictionary's (``data/ingest_wordings.csv``):
    regional place levels (乡（镇）, 自然村), 户主 on house lists, inspection grades …"""
    global _EXTRA
    if _EXTRA is None:
        import csv
        from importlib import resources

        text = resources.files("onesheet.data").joinpath("ingest_wordings.csv").read_text("utf-8")
        _EXTRA = {}
        for row in csv.DictReader(text.splitlines()):
            _EXTRA.setdefault(row["field"], []).append(row["wording"])
    return _EXTRA


_EXTRA: dict[str, list[str]] | None = None


class FieldIndex:
    """All wordings of a set of fields, ready for exact, pinyin and fuzzy lookup."""

    def __init__(self, fields: Iterable[Field]) -> None:
        self.fields: dict[str, Field] = {}
        self.exact: dict[str, dict[str, float]] = {}
        self.alternates: dict[str, dict[str, float]] = {}  # ending variants, exact only
        for f in fields:
            self.add(f)
        self._freeze()

    def add(self, f: Field) -> None:
        self.fields[f.key] = f
        extra = _extra_wordings().get(f.key, []) if f.status != "draft" else []
        for wording in (f.label_zh, *f.synonyms, *extra):
            for form, score in wording_forms(wording):
                if form:
                    slot = self.exact.setdefault(form, {})
                    slot[f.key] = max(slot.get(f.key, 0.0), score)
                    for alt in ending_variants(form):
                        slot = self.alternates.setdefault(alt, {})
                        slot[f.key] = max(slot.get(f.key, 0.0), score * STEM)

    def _freeze(self) -> None:
        self.choices = list(self.exact)
        self.choice_roles = [roles_in(c) for c in self.choices]
        self.py_choices = [pinyin_code(c) for c in self.choices]
        self.py_exact: dict[str, list[int]] = {}
        for i, code in enumerate(self.py_choices):
            self.py_exact.setdefault(code, []).append(i)

    def exact_scores(self, text: str) -> dict[str, float]:
        """Fields one of whose wordings *is* ``text`` (or is it with another date ending)."""
        out = dict(self.alternates.get(text, {}))
        out.update(self.exact.get(text, {}))
        return out

    def scores(self, text: str) -> dict[str, float]:
        """Best word score per field for a normalised heading (only fields scoring > 0.4)."""
        out = self.exact_scores(text)
        if not text:
            return out
        roles = roles_in(text)
        per_choice: dict[int, float] = {}

        def offer(i: int, score: float) -> None:
            if score > per_choice.get(i, 0.0):
                per_choice[i] = score

        code = pinyin_code(text)
        for i in self.py_exact.get(code, []):
            offer(i, HOMOPHONE)
        for choice, score, i in process.extract(
            text, self.choices, scorer=fuzz.ratio, score_cutoff=55, limit=40
        ):
            cap = _SUBSTITUTED if _substituted(text, choice) else 1.0
            offer(i, min(cap, score / 100 * _FUZZY_WEIGHT))
        for choice, score, i in process.extract(
            code, self.py_choices, scorer=fuzz.ratio, score_cutoff=70, limit=20
        ):
            cap = _SUBSTITUTED if _substituted(code, choice) else 1.0
            offer(i, min(cap, score / 100 * _PINYIN_WEIGHT))
        for i, choice in enumerate(self.choices):
            if len(choice) >= 2 and choice != text and (choice in text or text in choice):
                offer(i, _containment(text, choice))
        # A heading that *is* one field's wording is not another's homophone or near miss
        # (组别 is the village group, not 族别 the ethnicity).
        exact_entities = {k.split(".", 1)[0] for k in out}
        for i, score in per_choice.items():
            choice = self.choices[i]
            if choice == text:
                continue
            score = min(score, _guard(text, choice, roles, self.choice_roles[i]))
            for key, base in self.exact[choice].items():
                if key.split(".", 1)[0] in exact_entities:
                    base = min(base, _BELOW_EXACT)  # the entity already has this wording
                value = score * base
                if value > out.get(key, 0.0) and value > 0.4:
                    out[key] = value
        return out


def _substituted(a: str, b: str) -> bool:
    """Both sides have characters (or syllables) the other lacks: 入伍时间 vs 入党时间.

    In Chinese headings one changed character usually names another thing; real variants
    of one concept are listed as synonyms, so fuzzy matching is for insertions/omissions.
    """
    return bool(set(a) - set(b)) and bool(set(b) - set(a))


def _containment(text: str, choice: str) -> float:
    """Score for one string inside the other: high when only modifiers or fillers differ."""
    if choice in text:
        i = text.find(choice)
        suffix = text[i + len(choice) :]
        if suffix and suffix not in FILLER_SUFFIXES:
            return 0.45  # the head noun changed: 工作单位电话 is a phone, not a 工作单位
        if QUALIFIERS.search(text[:i]):
            return 0.4  # a qualifier narrows it: 重度残疾人 is not 残疾人
        if choice in ROLE_WORDS and not roles_in(text[:i]):
            return 0.87  # 安全管理联系人 is the 联系人, whatever the duty in front
        return 0.72 + 0.23 * len(choice) / len(text)
    i = choice.find(text)
    suffix = choice[i + len(text) :]
    if suffix in FILLER_SUFFIXES or not suffix:
        return 0.5 + 0.3 * len(text) / len(choice)
    return 0.4 + 0.25 * len(text) / len(choice)


def _guard(text: str, choice: str, roles: set[str], choice_roles: set[str]) -> float:
    """The highest score a non-exact match may get, given roles and head nouns."""
    cap = 1.0
    if roles - choice_roles:
        cap = 0.45  # the heading names another person than the wording does
    elif choice_roles - roles:
        cap = 0.6
    if choice in text and not text.endswith(choice):
        suffix = text[text.find(choice) + len(choice) :]
        if suffix not in FILLER_SUFFIXES:
            cap = min(cap, 0.5)
    if text in choice and not choice.endswith(text):
        suffix = choice[choice.find(text) + len(text) :]
        if suffix not in FILLER_SUFFIXES:
            cap = min(cap, 0.45)  # the wording names another head noun: 重度残疾人护理补贴
    own = re.sub(r"^(是否为|是否|有无)", "", text)
    stem = re.sub(r"^(是否为|是否|有无)", "", choice)
    if own != text and stem != choice and _substituted(own, stem):
        cap = min(cap, 0.45)  # 是否参保 and 是否低保 share only the question
    if len(stem) >= 2 and stem in text and QUALIFIERS.search(text[: text.find(stem)]):
        cap = min(cap, 0.4)  # 重度残疾人 is neither 残疾人 nor 是否残疾人
    return cap
