"""Integers and decimals as forms write them: full-width digits, thousands separators and a
trailing unit (人, 户, 元, 亩, ㎡ …)."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from onesheet.domain.values.problems import ValueProblem

_UNIT = re.compile(r"(人|户|个|岁|层|年|元|万元|亩|平方米|平米|㎡|m2|间|套|次|家)$")
# No count, amount or area in a county's forms has more than 30 digits either side of the
# point; past that, exponent notation ("1e999999") would expand to a megabyte of digits.
MAX_EXPONENT = 30


def _clean(raw: object) -> str:
    text = unicodedata.normalize("NFKC", str(raw)).strip().replace(",", "").replace(" ", "")
    return _UNIT.sub("", text)


def parse_decimal(raw: object) -> Decimal:
    """A Decimal, or ValueProblem ``decimal.invalid``."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        raw = str(raw)
    text = _clean(raw)
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ValueProblem(
            "decimal.invalid", f"“{raw}”不是数字", f"'{raw}' is not a number", {"value": str(raw)}
        )
    if value and not -MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT:
        raise ValueProblem(
            "decimal.out_of_range",
            f"“{raw}”超出可记录的数值范围",
            f"'{raw}' is out of the range a value can take",
            {"value": str(raw)},
        )
    return value


def parse_integer(raw: object) -> int:
    """An int; a fraction is refused (``integer.fraction``)."""
    try:
        value = parse_decimal(raw)
    except ValueProblem as problem:
        raise ValueProblem(
            "integer.out_of_range" if problem.code == "decimal.out_of_range" else "integer.invalid",
            f"“{raw}”不是整数",
            f"'{raw}' is not a whole number",
            {"value": str(raw)},
        ) from None
    if value != value.to_integral_value():
        raise ValueProblem(
            "integer.fraction",
            f"“{raw}”应为整数",
            f"'{raw}' must be a whole number",
            {"value": str(raw)},
        )
    return int(value)
