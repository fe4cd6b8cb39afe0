"""GB 11643-1999 citizen ID numbers (公民身份号码): parse, check, derive, make.

The check character (ISO 7064 MOD 11-2) catches every single-digit error and every swap of
two adjacent digits, so a refused number can name the digit it expected — the cadre then
knows whether the slip is in the last character or elsewhere.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from onesheet.domain.values.problems import ValueProblem

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
PROVINCES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
    ]
)
_DIGITS = frozenset("0123456789")


@dataclass(frozen=True, slots=True)
class IdNumber:
    """A valid ID number and what it says about its holder."""

    number: str
    address_code: str
    birth_date: date
    sex_code: str  # "1" male, "2" female (GB/T 2261.1)
    legacy_converted: bool = False


def id_check_char(body17: str) -> str:
    """The MOD 11-2 check character for the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(body17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalize_id_text(raw: object) -> str:
    """Text of an ID number as typed: full-width → half-width, no spaces, upper-case X.

    A number that went through a float (Excel shows 3.30523199001011E+17) has lost its last
    digits for good; refuse it rather than guess.
    """
    if isinstance(raw, float):
        if raw.is_integer() and raw < 1e15:
            return str(int(raw))
        raise _float_problem(repr(raw))
    if isinstance(raw, int):
        return str(raw)
    text = unicodedata.normalize("NFKC", str(raw))
    text = "".join(ch for ch in text if not ch.isspace() and ch not in "-'‘’")
    if "E+" in text.upper():
        raise _float_problem(text)
    return text.upper()


def _float_problem(value: str) -> ValueProblem:
    return ValueProblem(
        "id_number.float",
        "身份证号码已被当作数字保存（如 3.3E+17），末尾数字已丢失，请以文本格式重新填写",
        "ID number was stored as a number and lost its last digits; re-enter it as text",
        {"value": value},
    )


def _birth(text: str) -> date:
    try:
        return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise ValueProblem(
            "id_number.birth_date",
            f"身份证号码中的出生日期 {text} 不是有效日期",
            f"ID number: birth date {text} is not a real date",
            {"birth": text},
        ) from None


def convert_15_to_18(raw15: str) -> str:
    """A legacy 15-digit number (GB 11643-1989) as its 18-digit form."""
    century = "18" if raw15[12:15] in ("996", "997", "998", "999") else "19"
    body = raw15[:6] + century + raw15[6:15]
    return body + id_check_char(body)


def parse_id_number(raw: object, *, today: date | None = None) -> IdNumber:
    """Check an ID number and derive birth date and sex; ValueProblem says what is wrong."""
    text = normalize_id_text(raw)
    legacy = False
    if len(text) == 15 and set(text) <= _DIGITS:
        text, legacy = convert_15_to_18(text), True
    if len(text) != 18:
        raise ValueProblem(
            "id_number.length",
            f"身份证号码应为18位，实为{len(text)}位",
            f"ID number must have 18 characters, got {len(text)}",
            {"length": len(text)},
        )
    body, check = text[:17], text[17]
    if not set(body) <= _DIGITS or check not in "0123456789X":
        raise ValueProblem(
            "id_number.chars",
            "身份证号码前17位须为数字，第18位为数字或X",
            "ID number: 17 digits then a digit or X",
        )
    if body[:2] not in PROVINCES:
        raise ValueProblem(
            "id_number.address_code",
            f"身份证号码地址码 {body[:6]} 不属于任何省份",
            f"ID number: address code {body[:6]} names no province",
            {"address_code": body[:6]},
        )
    born = _birth(body[6:14])
    if born > (today or date.today()) or born.year < 1850:
        raise ValueProblem(
            "id_number.birth_date",
            f"身份证号码中的出生日期 {born.isoformat()} 不合理",
            f"ID number: implausible birth date {born.isoformat()}",
            {"birth": born.isoformat()},
        )
    expected = id_check_char(body)
    if check != expected:
        raise ValueProblem(
            "id_number.check_digit",
            f"身份证号码校验位错误：第18位应为 {expected}，实为 {check}",
            f"ID number check character should be {expected}, got {check}",
            {"expected": expected, "got": check},
        )
    sex = "1" if int(body[16]) % 2 else "2"
    return IdNumber(text, body[:6], born, sex, legacy)


def valid_id_number(raw: object) -> str | None:
    """The number ``raw`` holds, canonical, or None when it is empty or not a valid ID
    number: linkage compares two records' numbers only when both say something."""
    try:
        return parse_id_number(str(raw)).number if raw else None
    except ValueProblem:
        return None


def make_id_number(address6: str, birth: date, seq: int) -> str:
    """Build a valid number (odd ``seq`` for males, even for females)."""
    body = f"{address6}{birth.year:04d}{birth.month:02d}{birth.day:02d}{seq:03d}"
    return body + id_check_char(body)


def sex_code_of(number: str) -> str:
    """'1' (male) or '2' (female) from the 17th digit."""
    return "1" if int(number[16]) % 2 else "2"


def birth_date_of(number: str) -> date:
    """The birth date encoded in an 18-digit number."""
    return _birth(number[6:14])
