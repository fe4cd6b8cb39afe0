"""Type from evidence: propose a new column's type, unit and code table from what the form
itself shows — its heading (and bracketed notes) and its sample values.

* values all 是/否 (有/无, √/×) → boolean;
* a few words repeated (集中/分散/集中) → a code table of the values seen;
* （元）, 金额, 补贴 … → decimal money in 元; 面积（㎡）→ decimal with its unit;
* 日期/时间/年月, or values that are all dates → date;
* 次/人/户/个 counts (（次）, 人数, 户数) → integer with the unit;
* values that are all whole numbers → integer; all numbers → decimal;
* 164/88 under 血压（mmHg） → text (the pattern is kept as the unit note);
* otherwise text.

Pure; shown in ``forms show`` and on the mapping page, and used to refuse a steward's type
that the form's own values contradict (``county_fields.check_definition``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from onesheet.domain.values.booleans import parse_bool
from onesheet.domain.values.dates import parse_date
from onesheet.domain.values.numbers import parse_decimal, parse_integer
from onesheet.domain.values.parse import is_empty
from onesheet.domain.values.problems import ValueProblem

_BRACKET = re.compile(r"[（(]([^）)]*)[）)]")
_COUNT_UNITS = ("次", "人", "户", "个", "间", "头", "只", "名", "岁", "年", "天", "月")
_MONEY = re.compile(r"(金额|资金|补贴|补助|收入|工资|费用|标准|慰问金|救助金|养老金)$")
_DATE = re.compile(r"(日期|时间|年月|年月日)$")
_COUNT_WORDS = re.compile(r"(人数|户数|次数|个数|间数|数量|天数|月数)$")
_BOOL_WORDS = re.compile(r"^(是否|有无)")
MAX_CODES = 12


@dataclass(frozen=True)
class Proposal:
    """What the evidence suggests for a column, and why (Chinese, for the page)."""

    type: str
    unit: str | None = None
    codes: tuple[str, ...] = ()  # for type code: the values seen, in order
    why: str = ""

    def as_json(self) -> dict[str, object]:
        return {"type": self.type, "unit": self.unit, "codes": list(self.codes), "why": self.why}


def split_heading(heading: str) -> tuple[str, list[str]]:
    """``慰问金额（元）`` → (``慰问金额``, [``元``])."""
    leaf = heading.split("/")[-1].strip()
    hints = _BRACKET.findall(leaf)
    return _BRACKET.sub("", leaf).strip(), [h.strip() for h in hints if h.strip()]


def _all(values: Sequence[object], parse) -> bool:  # type: ignore[no-untyped-def]
    try:
        for v in values:
            parse(v)
    except (ValueProblem, ValueError, TypeError):
        return False
    return bool(values)


def _is_word(v: object) -> bool:
    text = str(v).strip()
    return bool(text) and not re.fullmatch(r"[\d.,/:\-\s]+", text) and len(text) <= 10


def propose(heading: str, samples: Sequence[object]) -> Proposal:
    """The type, unit and code values the heading and samples point to."""
    concept, hints = split_heading(heading)
    values = [v for v in samples if not is_empty(v)]
    texts = [str(v).strip() for v in values]
    unit = next((h for h in hints if h and len(h) <= 6), None)
    if values and _all(values, parse_bool) and not _all(values, parse_integer):
        return Proposal("boolean", None, (), "样例值均为 是/否")
    if _BOOL_WORDS.search(concept) and (not values or _all(values, parse_bool)):
        return Proposal("boolean", None, (), "表头以“是否/有无”开头")
    if texts and all(re.fullmatch(r"\d{2,3}\s*/\s*\d{2,3}", t) for t in texts):
        return Proposal("text", unit, (), "样例值为“数/数”格式（如血压），按文本保存")
    if unit == "元" or (_MONEY.search(concept) and (not values or _all(values, parse_decimal))):
        return Proposal("decimal", unit or "元", (), "表头为金额（元）")
    dates = bool(values) and _all(values, parse_date) and not _all(values, parse_decimal)
    if (_DATE.search(concept) or dates) and (not values or _all(values, parse_date)):
        return Proposal("date", None, (), "表头或样例值为日期")
    count_unit = unit if unit in _COUNT_UNITS else None
    counted = count_unit or _COUNT_WORDS.search(concept)
    if counted and (not values or _all(values, parse_integer)):
        return Proposal("integer", count_unit or concept[-2:-1] or None, (), "表头为计数")
    if values and _all(values, parse_integer):
        return Proposal("integer", unit, (), "样例值均为整数")
    if values and _all(values, parse_decimal):
        return Proposal("decimal", unit, (), "样例值均为数字")
    distinct = list(dict.fromkeys(texts))
    if (
        len(values) >= 3
        and all(_is_word(t) for t in distinct)
        and len(distinct) <= min(MAX_CODES, len(values) - 1)
    ):
        return Proposal(
            "code", None, tuple(distinct), f"样例值为少数几个重复的词（{len(distinct)} 种）"
        )
    return Proposal("text", unit, (), "无明显规律，按文本保存")
