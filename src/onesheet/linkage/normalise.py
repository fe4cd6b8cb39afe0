"""Chinese-aware preparation of the values linkage compares.

Plain string similarity fails on Chinese records: DuckDB counts UTF-8 bytes, homophones
(张/章) look unrelated, and the same address is written 浙江省湖州市安吉县递铺街道… or
递铺镇…1组. Each function here turns one raw value into the form comparisons need, so the
model sees like with like.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

_NAME_DROP = re.compile(r"[\s·•・．.\-_]")
_ADDR_PREFIX = re.compile(r"^.{2,8}?省|^.{2,8}?自治区|^.{2,4}?市(?=.{2,6}?(县|区|市))")
_ADDR_CITY = re.compile(r"^.{2,6}?市")
_ADDR_COUNTY = re.compile(r"^.{1,5}?(?<![社小园景城校])(县|区)")
_ADDR_WORDS = (
    ("村民小组", "组"),
    ("居民小组", "组"),
    ("小组", "组"),
    ("街道办事处", "街道"),
    ("办事处", ""),
    ("门牌", ""),
    ("號", "号"),
)
_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS.update({"六": 6, "七": 7, "八": 8, "九": 9, "十": 10})
_CN_NUMBER = re.compile(r"[一二两三四五六七八九十]+(?=[组号栋幢单室])")


def fold(text: object) -> str:
    """NFKC (full-width → half-width), trimmed; '' for None."""
    if text is None:
        return ""
    return unicodedata.normalize("NFKC", str(text)).strip()


def name_key(raw: object) -> str:
    """A name as compared: half-width, no spaces or middle dots, Latin letters lower-cased."""
    return _NAME_DROP.sub("", fold(raw)).lower()


@lru_cache(maxsize=200_000)
def name_pinyin(name: str) -> str:
    """Toneless pinyin, syllables joined by spaces: 章三 and 张三 both read 'zhang san'."""
    if not name:
        return ""
    return " ".join(lazy_pinyin(name, style=Style.NORMAL, errors="default"))


def phone_key(raw: object) -> str:
    """Digits only, country code dropped: '+86 139-0000-1111' → '13900001111'."""
    digits = "".join(ch for ch in fold(raw) if ch.isdigit())
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def _cn_number(text: str) -> str:
    """一 … 九十九 → digits (只 for the small numbers addresses use: 三组, 十二号)."""
    if "十" not in text:
        return "".join(str(_CN_DIGITS[c]) for c in text)
    tens, _, units = text.partition("十")
    value = (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0)
    return str(value)


def address_key(raw: object) -> str:
    """An address without province/city/county prefix, spaces or wording variants.

    Departments write the same place as 浙江省湖州市安吉县递铺街道阳光社区1组 or
    递铺街道阳光社区一组; both become 递铺街道阳光社区1组.
    """
    text = re.sub(r"\s+", "", fold(raw))
    for old, new in _ADDR_WORDS:
        text = text.replace(old, new)
    text = _ADDR_PREFIX.sub("", text, count=1)
    text = _ADDR_CITY.sub("", text, count=1)
    text = _ADDR_COUNTY.sub("", text, count=1)
    return _CN_NUMBER.sub(lambda m: _cn_number(m.group(0)), text)


def date_key(raw: object) -> str:
    """ISO date text, or '' when the value is not a date (parsing proper is done earlier)."""
    if isinstance(raw, datetime):
        return raw.date().isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    text = fold(raw)
    return text[:10] if re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", text) else ""
