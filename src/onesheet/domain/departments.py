"""Which county department a wording names, as a person would read it.

Forms and uploads name their department in many ways: ``卫生健康``, ``县卫健委``,
``人力资源和社会保障``, ``公安（派出所）``, ``组织（党委组织部门）``, ``乡村振兴（农业农村）``,
``XX县退役军人事务局``. The rule, in order:

1. the wording (NFKC, no spaces) is a department's key, name or alias;
2. its *stem* is one: a place prefix (``安吉县``, ``县委``, ``中共``) and administrative
   endings (局 / 委员会 / 委 / 办公室 / 办 / 部门 / 部 / 事务 / 管理) are taken off, and so are
   brackets and 和 / 及 — the bracket's content is tried too, so ``公安（派出所）`` is found by
   either part;
3. a joint form names several departments with a separator (``住房城乡建设/应急管理``,
   ``民政、残联``): when the parts resolve to different departments all of them are offered
   and a person picks one;
4. otherwise a rapidfuzz match on the stems decides when it is clear (score ≥ 85 and ahead
   of the next department), and when it is not the closest departments are suggested
   ("did you mean …").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from pypinyin import lazy_pinyin
from rapidfuzz import fuzz

from onesheet.domain.dictionary import Department, DepartmentMatch
from onesheet.domain.findings import Finding, InvalidInput, finding

_BRACKETS = re.compile(r"[(\[【〔<《「]([^()\[\]【】〔〕<>《》「」]*)[)\]】〕>》」]")
_JOINT = re.compile(r"[/／、,，;；|+＋&]|(?<=[局委办部])(?:与|和|及)")
_PLACE = re.compile(
    r"^(?:中共)?[\u4e00-\u9fffA-Za-z×*＊]{0,8}?(?:省|自治州|州|盟|地区|市|县|自治县|旗|区)(?:委)?"
)
_SUFFIXES = (
    "委员会", "办公室", "部门", "事务", "管理", "局", "委", "办", "部", "中心", "站", "所",
)  # fmt: skip
_PREFIXES = ("中共", "县委", "县")
_FUZZY_AT, _FUZZY_MARGIN, _SUGGEST = 85, 5, 3


class DepartmentAmbiguous(InvalidInput):
    """A joint form: the wording names several departments; ``options`` lists their keys."""

    def __init__(self, findings: list[Finding], options: tuple[str, ...]) -> None:
        super().__init__(findings)
        self.options = options


class DepartmentUnknown(InvalidInput):
    """No department fits; ``suggestions`` lists the closest keys, best first."""

    def __init__(self, findings: list[Finding], suggestions: tuple[str, ...]) -> None:
        super().__init__(findings)
        self.suggestions = suggestions


def fold(text: str) -> str:
    """NFKC (full-width → half-width brackets and slashes), no whitespace."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def stem(text: str) -> str:
    """``安吉县卫生健康委员会`` → ``卫生健康``; ``人力资源和社会保障局`` → ``人力资源社会保障``."""
    t = _BRACKETS.sub("", fold(text))
    t = t.strip("()[]【】")
    for _ in range(3):
        before = t
        for p in _PREFIXES:
            if t.startswith(p) and len(t) > len(p) + 1:
                t = t[len(p) :]
        for s in _SUFFIXES:
            if t.endswith(s) and len(t) > len(s) + 1:
                t = t[: -len(s)]
        if t == before:
            break
    return t.replace("和", "").replace("及", "")


def pinyin(text: str) -> str:
    """The wording's sound (卫生建康 and 卫生健康 sound alike)."""
    return " ".join(lazy_pinyin(text))


def _wordings(d: Department) -> Iterable[str]:
    return (d.key, d.name_zh, d.name_en, *d.aliases)


class _Index:
    """Exact and stem lookups over all departments' wordings (built per departments dict)."""

    def __init__(self, departments: Mapping[str, Department]) -> None:
        self.exact: dict[str, set[str]] = {}
        self.stems: dict[str, set[str]] = {}
        for d in departments.values():
            for w in _wordings(d):
                f = fold(w)
                self.exact.setdefault(f, set()).add(d.key)
                self.exact.setdefault(f.lower(), set()).add(d.key)
                if not f.isascii():
                    for form in {stem(w), stem(_BRACKETS.sub("", f))}:
                        if form:
                            self.stems.setdefault(form, set()).add(d.key)
                    for inner in _BRACKETS.findall(f):
                        if stem(inner):
                            self.stems.setdefault(stem(inner), set()).add(d.key)
        self.sounds = {s: pinyin(s) for s in self.stems}


_CACHE: dict[int, tuple[Mapping[str, Department], _Index]] = {}


def _index(departments: Mapping[str, Department]) -> _Index:
    cached = _CACHE.get(id(departments))
    if cached is None or cached[0] is not departments:
        cached = (departments, _Index(departments))
        _CACHE[id(departments)] = cached
    return cached[1]


def _one(ix: _Index, text: str) -> set[str]:
    """Departments one wording (no separator) names exactly or by its stem."""
    f = fold(text)
    if not f:
        return set()
    for key in (f, f.lower()):
        if key in ix.exact:
            return set(ix.exact[key])
    tries = [f]
    outer = _BRACKETS.sub("", f).strip("()[]【】")
    inner = [m for m in _BRACKETS.findall(f) if m]
    if outer and outer != f:
        tries.append(outer)
    tries += inner
    for t in tries:
        if t in ix.exact:
            return set(ix.exact[t])
        found = set()
        for candidate in _place_free(t):
            s = stem(candidate)
            if s in ix.stems:
                found = set(ix.stems[s])
                break
            if candidate in ix.exact:
                found = set(ix.exact[candidate])
                break
        if found:
            return found
    return set()


def _place_free(text: str) -> list[str]:
    """The wording, then the wording without a place prefix (安吉县民政局 → 民政局)."""
    out = [text]
    m = _PLACE.match(text)
    if m and m.end() < len(text):
        out.append(text[m.end() :])
    return out


def _split_joint(text: str) -> list[str]:
    """Parts of a joint wording, split on separators outside brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([【〔<《「":
            depth += 1
        elif ch in ")]】〕>》」":
            depth = max(0, depth - 1)
        elif depth == 0 and _JOINT.match(text, i):
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p for p in parts if p]


def _fuzzy(ix: _Index, text: str, partial: bool = False) -> list[tuple[str, float]]:
    """Departments by their best stem similarity, best first (``partial``: also a stem
    inside the wording or the wording inside a stem, for suggestions only)."""
    wanted = stem(_place_free(fold(text))[-1]) or fold(text)
    best: dict[str, float] = {}
    sound = pinyin(wanted)
    for s, keys in ix.stems.items():
        score = 95.0 if len(s) >= 2 and ix.sounds[s] == sound else fuzz.ratio(wanted, s)
        if partial and len(s) >= 2:
            score = max(score, fuzz.partial_ratio(wanted, s) * 0.9)
        for k in keys:
            best[k] = max(best.get(k, 0.0), score)
    return sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))


def resolve(departments: Mapping[str, Department], name: str) -> DepartmentMatch:
    """Resolve a wording; see the module docstring for the rule."""
    wording = (name or "").strip()
    ix = _index(departments)
    if not fold(wording):
        return DepartmentMatch(wording, None, suggestions=(), how="unknown")
    f = fold(wording)
    if f in ix.exact or f.lower() in ix.exact:
        keys = ix.exact.get(f) or ix.exact[f.lower()]
        if len(keys) == 1:
            return DepartmentMatch(wording, next(iter(keys)), how="exact")
    parts = _split_joint(f)
    if len(parts) > 1:
        found: list[str] = []
        for p in parts:
            keys = _one(ix, p) or _clear_fuzzy(ix, p)
            for k in sorted(keys):
                if k not in found:
                    found.append(k)
        if len(found) == 1:
            return DepartmentMatch(wording, found[0], how="stem")
        if len(found) > 1:
            return DepartmentMatch(wording, None, options=tuple(found), how="joint")
    keys = _one(ix, f)
    if len(keys) == 1:
        return DepartmentMatch(wording, next(iter(keys)), how="stem")
    if len(keys) > 1:
        return DepartmentMatch(wording, None, options=tuple(sorted(keys)), how="joint")
    keys = _contained(ix, f)
    if len(keys) == 1:
        return DepartmentMatch(wording, next(iter(keys)), how="stem")
    if len(keys) > 1:
        return DepartmentMatch(wording, None, options=tuple(sorted(keys)), how="joint")
    keys = _clear_fuzzy(ix, f) if not f.isascii() else _english(departments, wording)
    if keys:
        return DepartmentMatch(wording, next(iter(keys)), how="fuzzy")
    ranked = (
        [(k, sc) for sc, k in _english_ranked(departments, wording)]
        if f.isascii()
        else _fuzzy(ix, f, partial=True)
    )
    return DepartmentMatch(
        wording, None, suggestions=tuple(k for k, _ in ranked[:_SUGGEST]), how="unknown"
    )


def _contained(ix: _Index, text: str) -> set[str]:
    """Departments whose wordings (two characters or more) together make up most of the
    wording: 公安派出所 → 公安 + 派出所; 民政和残联 → 民政 and 残联 (a joint form)."""
    t = _place_free(_BRACKETS.sub("", text))[-1]
    covered = [False] * len(t)
    keys: set[str] = set()
    words = {**ix.stems, **ix.exact}
    for w in sorted(words, key=len, reverse=True):
        if len(w) < 2 or w.isascii():
            continue
        start = t.find(w)
        while start >= 0:
            if not any(covered[start : start + len(w)]):
                covered[start : start + len(w)] = [True] * len(w)
                keys |= words[w]
            start = t.find(w, start + 1)
    rest = "".join(ch for ch, c in zip(t, covered, strict=True) if not c)
    rest = stem(rest) if rest else ""
    if not keys or len(rest) > 1 or sum(covered) * 10 < len(t) * 6:
        return set()
    return keys


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _english_ranked(departments: Mapping[str, Department], wording: str) -> list[tuple[float, str]]:
    wanted = _words(wording)
    return sorted(
        (
            (
                max(
                    fuzz.token_set_ratio(wanted, _words(w))
                    for w in (d.key, d.name_en, *d.aliases)
                    if w.isascii()
                ),
                d.key,
            )
            for d in departments.values()
        ),
        key=lambda sk: (-sk[0], sk[1]),
    )


def _english(departments: Mapping[str, Department], wording: str) -> set[str]:
    """An English wording or a key spelt another way (veterans_affairs → veterans)."""
    ranked = _english_ranked(departments, wording)
    if ranked and ranked[0][0] >= 85 and (len(ranked) < 2 or ranked[0][0] - ranked[1][0] >= 10):
        return {ranked[0][1]}
    return set()


def _clear_fuzzy(ix: _Index, text: str) -> set[str]:
    ranked = _fuzzy(ix, text)
    if not ranked or ranked[0][1] < _FUZZY_AT:
        return set()
    if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < _FUZZY_MARGIN:
        return set()
    return {ranked[0][0]}


def _label(departments: Mapping[str, Department], key: str) -> str:
    d = departments.get(key)
    return f"{d.name_zh}（{key}）" if d else key


def require(departments: Mapping[str, Department], name: str) -> str:
    """The key, or ``DepartmentAmbiguous`` / ``DepartmentUnknown`` with a catalogued finding."""
    m = resolve(departments, name)
    if m.key is not None:
        return m.key
    if m.options:
        zh = "、".join(_label(departments, k) for k in m.options)
        en = ", ".join(m.options)
        raise DepartmentAmbiguous(
            [finding("department.joint", wording=m.wording, zh=zh, m=m.options[0], en=en)],
            m.options,
        )
    zh = "、".join(_label(departments, k) for k in m.suggestions)
    en = ", ".join(m.suggestions)
    raise DepartmentUnknown(
        [
            Finding(
                "department.unknown",
                f"不认识的部门“{m.wording}”；您是不是要找：{zh}？"
                if zh
                else f"不认识的部门“{m.wording}”",
                f"unknown department '{m.wording}'; did you mean: {en}?"
                if en
                else f"unknown department '{m.wording}'",
            )
        ],
        m.suggestions,
    )
