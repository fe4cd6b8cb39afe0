"""Unified social credit codes (统一社会信用代码, GB 32100-2015).

18 characters from a 31-character alphabet (no I, O, Z, S, V); the last is a MOD 31 check
character over the first 17, so a refused code can name the character it expected.
"""

from __future__ import annotations

import unicodedata

from onesheet.domain.values.problems import ValueProblem

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(CHARSET)}


def uscc_check_char(body17: str) -> str:
    """The check character for the first 17 characters."""
    total = sum(_VALUE[c] * w for c, w in zip(body17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def parse_uscc(raw: object) -> str:
    """A valid code in canonical form (upper case, no spaces), or ValueProblem."""
    text = "".join(unicodedata.normalize("NFKC", str(raw)).split()).upper()
    if len(text) != 18:
        raise ValueProblem(
            "uscc.length",
            f"统一社会信用代码应为18位，实为{len(text)}位",
            f"credit code must have 18 characters, got {len(text)}",
            {"length": len(text)},
        )
    bad = [c for c in text if c not in _VALUE]
    if bad:
        raise ValueProblem(
            "uscc.chars",
            f"统一社会信用代码含有不允许的字符：{''.join(bad)}（不使用 I、O、Z、S、V）",
            f"credit code has characters outside the GB 32100 set: {''.join(bad)}",
            {"chars": "".join(bad)},
        )
    expected = uscc_check_char(text[:17])
    if text[17] != expected:
        raise ValueProblem(
            "uscc.check_char",
            f"统一社会信用代码校验位错误：第18位应为 {expected}，实为 {text[17]}",
            f"credit code check character should be {expected}, got {text[17]}",
            {"expected": expected, "got": text[17]},
        )
    return text


def make_uscc(body17: str) -> str:
    """A valid code from its first 17 characters."""
    return body17 + uscc_check_char(body17)
