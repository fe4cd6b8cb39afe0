"""Phone numbers: mobiles (11 digits, 1[3-9]…) and landlines (area code + number)."""

from __future__ import annotations

import re
import unicodedata

from onesheet.domain.values.problems import ValueProblem

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^(0\d{2,3})(\d{7,8})$")
_STRIP = re.compile(r"[\s\-()（）.·]")


def is_mobile(text: str) -> bool:
    """Whether ``text`` is an 11-digit mainland mobile number."""
    return bool(_MOBILE.match(text))


def parse_phone(raw: object) -> str:
    """A mobile as 11 digits, a landline as ``0572-5012345``; anything else is refused.

    Accepts what forms carry: +86/0086/86 prefixes, spaces and dashes, full-width digits,
    brackets around the area code, and Excel's float (13812345678.0).
    """
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    digits = _STRIP.sub("", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if _MOBILE.match(digits):
        return digits
    if _LANDLINE.match(digits) and not digits.startswith("00"):
        # 010 and 02x are the only three-digit area codes; all others have four digits.
        split = 3 if digits[1] in "12" else 4
        area, number = digits[:split], digits[split:]
        if 7 <= len(number) <= 8:
            return f"{area}-{number}"
    raise ValueProblem(
        "phone.invalid",
        f"“{text}”不是有效的电话号码（手机号应为1开头的11位数字）",
        f"'{text}' is not a valid phone number (a mobile has 11 digits starting with 1)",
        {"value": text},
    )
