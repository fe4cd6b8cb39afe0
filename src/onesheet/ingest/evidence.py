"""What a column's sample values say about it, independent of its heading.

Eighteen digits with a valid GB 11643 check digit are an ID number whatever the heading
says; ``1[3-9]`` + 9 digits is a mobile; 是/否/√/× is a yes/no column; a set of values that
all look up in one code table (男/女, 汉族, 群众/中共党员) belongs to that code field.
A ``ValueProfile`` summarises the samples once; the matcher asks it how well each
dictionary field's type fits.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from onesheet.domain.codes import CodeTable, fold

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}-?\d{7,8}(-\d{1,5})?")
_BOOL = frozenset({"是", "否", "√", "×", "✓", "✔", "✗", "✘", "有", "无", "Y", "N", "y", "n"})
_DATE = re.compile(
    r"(19|20)\d{2}([-./年](0?[1-9]|1[0-2])([-./月](0?[1-9]|[12]\d|3[01])日?)?月?)"
    r"|(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])?"
)
_ROW_NO_MAX_GAP = 1


def normalise_text(value: object) -> str:
    """NFKC text without spaces: full-width digits and Ｘ become ASCII."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "".join(unicodedata.normalize("NFKC", str(value)).split())


def id_number_valid(text: str) -> bool:
    """An 18-character GB 11643 number with a real birth date and a correct check digit."""
    t = text.upper()
    if len(t) != 18 or not t[:17].isdigit() or t[17] not in "0123456789X":
        return False
    try:
        born = dt.date(int(t[6:10]), int(t[10:12]), int(t[12:14]))
    except ValueError:
        return False
    if born > dt.date.today() or born.year < 1880:
        return False
    total = sum(int(a) * w for a, w in zip(t[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == t[17]


def uscc_valid(text: str) -> bool:
    """An 18-character 统一社会信用代码 (GB 32100) with a correct check character."""
    t = text.upper()
    if len(t) != 18 or any(ch not in _USCC_CHARS for ch in t):
        return False
    total = sum(_USCC_CHARS.index(ch) * w for ch, w in zip(t[:17], _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31] == t[17]


def _is_date(value: object, text: str) -> bool:
    if isinstance(value, dt.date):
        return True
    if isinstance(value, float) and 1900 < value < 2100:
        return True  # 1965.03 typed as a number: year.month
    return bool(_DATE.fullmatch(text))


@dataclass
class ValueProfile:
    """Shares (0–1) of the non-empty samples that look like each kind of value."""

    n: int
    id_number: float = 0.0
    mobile: float = 0.0
    phone: float = 0.0  # mobile or landline
    uscc: float = 0.0
    boolean: float = 0.0
    date: float = 0.0
    number: float = 0.0
    integer: float = 0.0
    short_text: float = 0.0  # 2–4 Chinese characters: names, codes' wordings
    person_name: float = 0.0  # 2–3 characters starting with a common surname (张伟, 李秀英)
    row_numbers: bool = False
    distinct: int = 0
    code_tables: dict[str, float] = field(default_factory=dict)  # table → share by name

    @property
    def empty(self) -> bool:
        return self.n == 0

    def kind(self) -> str | None:
        """The one strong kind the values show, if any (for fields proposed from values)."""
        for name, share in (
            ("id_number", self.id_number),
            ("uscc", self.uscc),
            ("phone", self.phone),
            ("boolean", self.boolean),
            ("date", self.date),
        ):
            if self.n and share >= 0.8:
                return name
        if self.n and self.number >= 0.9:
            return "integer" if self.integer >= 0.99 else "decimal"
        return None


def profile(
    values: Sequence[object], tables: Mapping[str, CodeTable] | None = None
) -> ValueProfile:
    """Summarise sample values (already non-empty) into a ``ValueProfile``."""
    texts = [normalise_text(v) for v in values]
    n = len(texts)
    p = ValueProfile(n=n, distinct=len(set(texts)))
    if not n:
        return p

    def share(flags: Sequence[bool]) -> float:
        return sum(flags) / n

    p.id_number = share([id_number_valid(t) or _legacy_id(t) for t in texts])
    p.mobile = share([bool(_MOBILE.fullmatch(t)) for t in texts])
    p.phone = share([bool(_MOBILE.fullmatch(t) or _LANDLINE.fullmatch(t)) for t in texts])
    p.uscc = share([uscc_valid(t) for t in texts])
    p.boolean = share([t in _BOOL for t in texts])
    p.date = share([_is_date(v, t) for v, t in zip(values, texts, strict=True)])
    nums = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    nums += [
        float(_UNIT_SUFFIX.sub("", t))
        for v, t in zip(values, texts, strict=True)
        if isinstance(v, str) and _num(t)
    ]
    p.number = len(nums) / n
    p.integer = sum(1 for x in nums if float(x).is_integer()) / n
    p.short_text = share([bool(re.fullmatch(r"[\u4e00-\u9fff·]{2,4}", t)) for t in texts])
    p.person_name = share([_looks_like_name(t) for t in texts])
    ints = [int(x) for x in nums if float(x).is_integer()]
    p.row_numbers = len(ints) == n and n >= 2 and ints == list(range(ints[0], ints[0] + n))
    if tables:
        counts = Counter(fold(t) for t in texts)
        for key, table in tables.items():
            names = _names(table)
            hits = sum(c for t, c in counts.items() if t in names)
            if hits:
                p.code_tables[key] = hits / n
        # One value repeated says less about the table than several distinct ones.
        if len(counts) == 1:
            p.code_tables = {k: v * 0.8 for k, v in p.code_tables.items()}
    return p


_PLACE_END = re.compile(r"(村|镇|乡|组|屯|社区|街道|县|市|区|店|厂|院|校|站|所|队|户)$")


def _looks_like_name(text: str) -> bool:
    """A person's name: two or three characters, a common surname first, not a place."""
    return (
        2 <= len(text) <= 3
        and text[0] in _surnames()
        and bool(re.fullmatch(r"[\u4e00-\u9fff]+", text))
        and not _PLACE_END.search(text)
    )


_SURNAMES: frozenset[str] | None = None


def _surnames() -> frozenset[str]:
    """The 100 commonest surnames (``data/surnames.csv``), read once."""
    global _SURNAMES
    if _SURNAMES is None:
        import csv
        from importlib import resources

        text = resources.files("onesheet.data").joinpath("surnames.csv").read_text("utf-8")
        _SURNAMES = frozenset(row["surname"] for row in csv.DictReader(text.splitlines()))
    return _SURNAMES


def _legacy_id(text: str) -> bool:
    return len(text) == 15 and text.isdigit() and text[0] != "0"


_UNIT_SUFFIX = re.compile(r"(年|人|层|元|万元|亩|㎡|平方米|m2|平米|岁|周岁|户|个|间|次)$")


def _num(text: str) -> bool:
    try:
        float(_UNIT_SUFFIX.sub("", text))
    except ValueError:
        return False
    return not _MOBILE.fullmatch(text) and len(text) < 12


_NAME_CACHE: dict[int, tuple[CodeTable, frozenset[str]]] = {}


def _names(table: CodeTable) -> frozenset[str]:
    """Wordings of a table that identify it: names and aliases, and codes that are not digits.

    Numeric codes (1, 2, 01…) are shared by most tables and say nothing about which one.
    """
    cached = _NAME_CACHE.get(id(table))
    if cached and cached[0] is table:
        return cached[1]
    words = set()
    for e in table.entries:
        for w in (e.name, e.short_name, *e.aliases):
            if w:
                words.add(fold(w))
        if not e.code.isdigit():
            words.add(fold(e.code))
    frozen = frozenset(words)
    _NAME_CACHE[id(table)] = (table, frozen)
    return frozen
