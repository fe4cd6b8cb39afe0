"""Value readers: one per type, each returning a canonical value or a ValueProblem."""

from onesheet.domain.values.booleans import parse_bool
from onesheet.domain.values.dates import format_date_cn, format_year_month_cn, parse_date
from onesheet.domain.values.idnumber import IdNumber, make_id_number, parse_id_number
from onesheet.domain.values.numbers import parse_decimal, parse_integer
from onesheet.domain.values.phone import is_mobile, parse_phone
from onesheet.domain.values.problems import ValueProblem
from onesheet.domain.values.text import MAX_TEXT_CHARS, parse_text
from onesheet.domain.values.uscc import make_uscc, parse_uscc

__all__ = [
    "MAX_TEXT_CHARS",
    "IdNumber",
    "ValueProblem",
    "format_date_cn",
    "format_year_month_cn",
    "is_mobile",
    "make_id_number",
    "make_uscc",
    "parse_bool",
    "parse_date",
    "parse_decimal",
    "parse_id_number",
    "parse_integer",
    "parse_phone",
    "parse_text",
    "parse_uscc",
]
