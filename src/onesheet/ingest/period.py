"""How often a form is asked for, read from its words: 月报, 第四季度, 2025年度, 截至….

A template's frequency decides whether villages are asked again each period (see
``domain/tasks.py``), so the importer proposes one with its evidence and a confidence for a
person to confirm: the title (and subtitle) speak first, the unit/date line second
(报告月份, 统计季度). Nothing found is a one-off form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from onesheet.ingest.normalise import fold_text

_CN = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_QUARTER = re.compile(r"第?\s*([一二三四1-4])\s*季度|季报|每季度?|按季|分季度|季度")
# A label asking for the month (报告月份, 发放月份, 填报月份 …) means the form comes monthly.
_MONTH = re.compile(
    r"月报|月度|每月|逐月|按月|(报告|统计|填报|上报|报送|发放|申报|核发|结算|所属|数据)月份"
    r"|(\d{1,2})\s*月份"
)
_YEAR_MONTH = re.compile(r"(20\d{2})\s*年\s*(\d{1,2})\s*月(?![\d日份])")
_YEARLY = re.compile(r"年度|年报|每年|全年|按年|年终")
_AS_OF = re.compile(r"截[至止]")
_YEAR = re.compile(r"(20\d{2})\s*年")


@dataclass
class FrequencyProposal:
    value: str  # once / monthly / quarterly / yearly
    period: str | None = None  # 2024Q4, 2024-10, 2024 when the words name it
    evidence: list[str] = field(default_factory=list)
    confidence: float = 0.5


def _read(text: str, where: str, confidence: float) -> FrequencyProposal | None:
    year = _YEAR.search(text)
    y = year.group(1) if year else None
    if m := _QUARTER.search(text):
        q = _CN.get(m.group(1) or "")
        period = f"{y}Q{q}" if y and q else None
        return FrequencyProposal(
            "quarterly", period, [f"{where}含“{m.group(0)}”：季报"], confidence
        )
    if m := _MONTH.search(text):
        return FrequencyProposal("monthly", None, [f"{where}含“{m.group(0)}”：月报"], confidence)
    if where == "标题" and (m := _YEAR_MONTH.search(text)):
        period = f"{m.group(1)}-{int(m.group(2)):02d}"
        return FrequencyProposal(
            "monthly", period, [f"{where}写明月份“{m.group(0)}”：按月"], confidence - 0.2
        )
    if m := _YEARLY.search(text):
        return FrequencyProposal("yearly", y, [f"{where}含“{m.group(0)}”：年报"], confidence)
    return None


def propose_frequency(title: str, unit_line: str | None = None) -> FrequencyProposal:
    """The frequency the words imply; a one-off form when they imply none."""
    t = fold_text(title)
    found = _read(t, "标题", 0.8)
    if found:
        return found
    u = fold_text(unit_line or "")
    found = _read(u, "填报单位/日期行", 0.6) if u else None
    if found:
        return found
    if m := _AS_OF.search(t + u):
        return FrequencyProposal("once", None, [f"含“{m.group(0)}”：某一时点的情况，一次性"], 0.6)
    return FrequencyProposal("once", None, ["未写报送周期：一次性报表"], 0.5)
