"""Dates in the forms people write them (1980-01-02, 1980/1/2, 1980.1.2, 1980年1月2日,
19800102, 出生年月 1980年1月, and Excel serial numbers)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta

from onesheet.domain.values.problems import ValueProblem

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 once Excel's 1900-02-29 is skipped
_FULL = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YEAR_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_COMPACT_YM = re.compile(r"^(\d{4})(\d{2})$")
_SERIAL = re.compile(r"^\d{5}(\.0+)?$")
_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2})?$")


def _unparseable(text: str) -> ValueProblem:
    return ValueProblem(
        "date.unparseable",
        f"“{text}”不是可识别的日期（如 1980-01-02、1980年1月2日）",
        f"'{text}' is not a recognised date (e.g. 1980-01-02)",
        {"value": text},
    )


def _make(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueProblem(
            "date.not_a_date",
            f"“{text}”不是真实存在的日期",
            f"'{text}' is not a real calendar date",
            {"value": text},
        ) from None


def from_excel_serial(serial: float) -> date:
    """The date of an Excel serial (1900 system; serials before 61 allow for the 1900 bug)."""
    if not 1 <= serial <= 2958465:
        raise ValueProblem(
            "date.out_of_range",
            f"Excel 日期序号 {serial} 超出范围",
            f"Excel date serial {serial} out of range",
            {"value": serial},
        )
    whole = int(serial)
    if whole < 61:
        whole += 1
    return _EXCEL_EPOCH + timedelta(days=whole)


def parse_date(raw: object, *, year_month_ok: bool = True) -> date:
    """A ``date`` from any of the supported spellings; a year-month gives the 1st."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if isinstance(raw, int) and 10000101 <= raw <= 99991231:
            raw = str(raw)
        else:
            return from_excel_serial(float(raw))
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    text = _TIME_SUFFIX.sub("", text)
    if m := _FULL.match(text) or _COMPACT.match(text):
        return _make(int(m[1]), int(m[2]), int(m[3]), text)
    if year_month_ok and (m := _YEAR_MONTH.match(text) or _COMPACT_YM.match(text)):
        return _make(int(m[1]), int(m[2]), 1, text)
    if _SERIAL.match(text):
        return from_excel_serial(float(text))
    raise _unparseable(text)


def format_date_cn(d: date) -> str:
    """1980年1月2日 — how printed forms write a date."""
    return f"{d.year}年{d.month}月{d.day}日"


def format_year_month_cn(d: date) -> str:
    """1980年1月 — for 出生年月 columns."""
    return f"{d.year}年{d.month}月"
