"""Heading normalisation: turn what a department typed into a heading into a lookup key.

Headings of the same column differ in ways that carry no meaning — full-width brackets,
spaces and line breaks left by merged cells, ``*``/``★`` required-field markers — and in
ways that carry a little: bracketed notes such as ``（18位）``, ``(手机)``, ``（是/否）``,
``（岁）``. The first kind is removed; the second is removed from the core text but returned
as *hints*, because a note like "18位" is evidence the column holds ID numbers.
"""

from __future__ import annotations

import re
import unicodedata

# Markers that only say "required" or decorate the heading.
_MARKERS = re.compile(r"[*＊★☆※▲△●◆■□☑✓√]")
# Bracketed notes after NFKC: () [] 【】 〔〕 <> 《》 「」 and their mixtures.
_BRACKETS = re.compile(r"[(\[【〔<《「]([^()\[\]【】〔〕<>《》「」]*)[)\]】〕>》」]")
# Brackets whose content is not a note but part of the name, e.g. 村（社区）, 企业（单位）名称.
# Those are still removed from the core (both sides of a comparison are normalised the same
# way) but not reported as hints.
# Place levels in brackets (乡（镇）, 镇（街）, 村（居）) are part of the name too.
_NAME_PARTS = frozenset(
    {"社区", "街道", "居", "单位", "含", "盖章", "签字", "签章", "镇", "乡", "街", "村", "屯",
     "镇、街道", "乡、镇", "乡镇", "村、社区", "居委会", "村居"}
)  # fmt: skip
_TRAILING = re.compile(r"[:：;；,，.。、\-_/\\|?？!！]+$")
# A questionnaire's export (问卷星, 金山表单, 腾讯问卷) asks the respondent: 您的姓名,
# 您所在的村（社区）, 请填写您的手机号, 您目前的健康状况 are the headings 姓名, 村, 手机号,
# 健康状况.
_QUESTION = re.compile(
    r"^(请(您|你)?(如实)?(填写|输入|选择|提供|填报)?(您|你)?|您|你)"
    r"(的|目前的?|现在的?|当前的?|所在的?)?(?=\S)"
)
_LEADING = re.compile(r"^(?:\d{1,2}[.、．)]|[一二三四五六七八九十]{1,3}[、.．])")


def fold_text(text: object) -> str:
    """NFKC (full-width → half-width) without any whitespace; ``None`` becomes ``""``.

    Used for every comparison of wordings, so ``身份证号码（18位）`` and ``身份证号码(18位)``
    are the same key.
    """
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKC", str(text))
    return "".join(folded.split())


def normalise_heading(text: object) -> tuple[str, list[str]]:
    """Return ``(core, hints)`` for a heading cell.

    ``core`` has no brackets, markers, spaces or trailing punctuation; ``hints`` are the
    bracketed notes in order (``["18位"]`` for ``身份证号码（18位）``). A heading that is
    only a bracketed note (``（签字）``) keeps the note as its core.
    """
    folded = _MARKERS.sub("", fold_text(text))
    hints: list[str] = []

    def _take(match: re.Match[str]) -> str:
        inner = match.group(1).strip()
        if inner and inner not in _NAME_PARTS:
            hints.append(inner)
        return ""

    core = folded
    # Nested or repeated notes: strip until nothing changes (at most a few passes).
    for _ in range(3):
        stripped = _BRACKETS.sub(_take, core)
        if stripped == core:
            break
        core = stripped
    core = _TRAILING.sub("", core)
    core = _LEADING.sub("", core) or core
    core = _QUESTION.sub("", core) or core
    # An unbalanced bracket left by a line break inside a note: drop it.
    core = core.strip("()[]【】")
    if not core:
        core = hints[0] if hints else _TRAILING.sub("", folded)
    return core, hints


def full_key(text: object) -> str:
    """The folded heading with its brackets kept, minus markers and trailing punctuation."""
    return _TRAILING.sub("", _MARKERS.sub("", fold_text(text)))
