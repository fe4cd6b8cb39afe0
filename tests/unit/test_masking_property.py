"""Masked values must not be rebuilt from what a masked viewer sees beside them.

A viewer who sees an ID number masked also sees the person's birth date, age and sex (card,
search hits, rosters, exports), and may see other masked fields that contain the number (a
second-generation disability certificate is the ID number plus two digits). For every
combination of those visible facts, the tests below enumerate every full ID number that is
consistent with them — a valid GB 11643 number (MOD 11-2 check character) whose visible
characters, birth date, age and sex agree — and require at least ``MIN_CANDIDATES``.

The attacker is assumed to know the area code as well (a county's people mostly carry their
county's code, and the org tree shows it), so the area digits are never counted as unknown.

The old rule (``330523********1234``) hid exactly the eight birth-date digits; with the
birth date beside it one candidate was left: ``test_the_old_rule_gave_every_number_back``
keeps that proof, and running ``test_masked_id_leaves_many_candidates`` with
``masking.mask_id_number`` swapped for ``_old_mask_id_number`` fails (shrunk to
``('110000********0000', ['birth'], 1)``: one candidate once the birth date is visible).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from onesheet.domain import masking
from onesheet.domain.derived import age_on
from onesheet.domain.values.idnumber import (
    PROVINCES,
    birth_date_of,
    convert_15_to_18,
    id_check_char,
    make_id_number,
    parse_id_number,
    sex_code_of,
)

MIN_CANDIDATES = 100
AS_OF_LATEST = date(2100, 12, 31)
FACTS = ("birth", "age", "sex")
ALL_FACT_SETS = [frozenset(c) for n in range(len(FACTS) + 1) for c in combinations(FACTS, n)]


def _all_dates(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


DATES_18 = _all_dates(date(1850, 1, 1), date(2030, 12, 31))
# legacy numbers carry yymmdd: 19yy, or 18yy for the sequences 996-999 (centenarians)
DATES_15 = _all_dates(date(1800, 1, 1), date(1999, 12, 31))


def _old_mask_id_number(value: str) -> str:
    """The rule this module replaced: area code and last four shown, birth date hidden."""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


# ------------------------------------------------------------------------------ enumeration
@dataclass(frozen=True)
class Facts:
    """What a masked viewer sees beside the number: birth date, age on a day, sex."""

    birth: date | None = None
    age: int | None = None
    as_of: date | None = None
    sex: str | None = None


def _fits(masked: str, start: int, text: str) -> bool:
    """Whether ``text`` agrees with every visible character of ``masked`` from ``start``."""
    return all(m in ("*", c) for m, c in zip(masked[start : start + len(text)], text, strict=True))


def _birth_pool(masked: str, start: int, width: int, pool: list[date], facts: Facts) -> list[date]:
    """Birth dates consistent with the mask's date characters and the visible facts."""
    fmt = "%Y%m%d" if width == 8 else "%y%m%d"
    shown = masked[start : start + width]
    if "*" not in shown:  # the mask shows the whole date (yymmdd: one per century)
        parts = (
            (shown[:4], shown[4:6], shown[6:8])
            if width == 8
            else (shown[:2], shown[2:4], shown[4:6])
        )
        years = [int(parts[0])] if width == 8 else [1800 + int(parts[0]), 1900 + int(parts[0])]
        pool = []
        for year in years:
            with contextlib.suppress(ValueError):
                pool.append(date(year, int(parts[1]), int(parts[2])))
    elif facts.birth is not None:
        pool = [facts.birth]
    if facts.birth is not None:
        pool = [d for d in pool if d == facts.birth]
    if facts.age is not None:
        assert facts.as_of is not None
        pool = [d for d in pool if age_on(d, facts.as_of) == facts.age]
    return [d for d in pool if _fits(masked, start, d.strftime(fmt))]


def _bodies(
    masked: str, area: str, facts: Facts, length: int, width: int, pool: list[date]
) -> Iterator[tuple[date, str]]:
    """(birth date, area + date + sequence) for every number of ``length`` characters (date
    ``width`` 8: yyyymmdd, 6: yymmdd) whose first characters fit ``masked`` and the facts."""
    if len(masked) != length or not _fits(masked, 0, area):
        return
    seqs = [s for s in _sequences(facts.sex) if _fits(masked, 6 + width, s)]
    for d in _birth_pool(masked, 6, width, pool, facts):
        prefix = area + d.strftime("%Y%m%d" if width == 8 else "%y%m%d")
        for s in seqs:
            yield d, prefix + s


def candidates_18(masked: str, area: str, facts: Facts = Facts()) -> Iterator[str]:
    """Every valid 18-character number fitting ``masked`` and the visible facts."""
    for _, body in _bodies(masked, area, facts, 18, 8, DATES_18):
        check = id_check_char(body)
        if masked[17] in ("*", check):
            yield body + check


def candidates_15(masked: str, area: str, facts: Facts = Facts()) -> Iterator[str]:
    """Every legacy 15-digit number fitting ``masked`` and the visible facts."""
    for d, number in _bodies(masked, area, facts, 15, 6, DATES_15):
        if (number[12:] >= "996") == (d.year < 1900):  # the century the number implies
            yield number


def _sequences(sex: str | None) -> list[str]:
    """The 3-digit sequence numbers of the given sex (odd last digit: male, GB 11643)."""
    every = [f"{n:03d}" for n in range(1000)]
    return every if sex is None else [s for s in every if sex_code_of("0" * 14 + s) == sex]


def _facts(number18: str, as_of: date, shown: frozenset[str]) -> Facts:
    """The visible facts in ``shown`` about the holder of ``number18``."""
    birth = birth_date_of(number18)
    return Facts(
        birth=birth if "birth" in shown else None,
        age=age_on(birth, as_of) if "age" in shown else None,
        as_of=as_of if "age" in shown else None,
        sex=sex_code_of(number18) if "sex" in shown else None,
    )


def _count(found: Iterator[str], truth: str) -> int:
    everything = list(found)
    assert truth in everything, "the enumeration must contain the true number"
    return len(everything)


# ------------------------------------------------------------------------------ strategies
areas = st.builds(
    lambda p, rest: p + rest,
    st.sampled_from(sorted(PROVINCES)),
    st.text("0123456789", min_size=4, max_size=4),
)
births_18 = st.dates(date(1850, 1, 1), date(2026, 12, 31))
ids_18 = st.builds(make_id_number, areas, births_18, st.integers(0, 999))
# Legacy numbers of people born 19yy (sequences 996-999 mark 18yy births: see
# test_legacy_numbers_of_centenarians_born_before_1900)
ids_15 = st.builds(
    lambda a, b, seq: f"{a}{b:%y%m%d}{seq:03d}",
    areas,
    st.dates(date(1900, 1, 1), date(1999, 12, 31)),
    st.integers(0, 995),
)
lookahead = st.integers(0, 120 * 366)  # days from birth to the day age is shown


# ------------------------------------------------------------------------------ ID numbers
@settings(max_examples=120, deadline=None)
@given(number=ids_18, days=lookahead)
def test_masked_id_leaves_many_candidates(number: str, days: int) -> None:
    birth = parse_id_number(number, today=AS_OF_LATEST).birth_date
    as_of = min(birth + timedelta(days=days), AS_OF_LATEST)
    masked = masking.mask_id_number(number)
    assert masked != number and len(masked) == 18
    for shown in ALL_FACT_SETS:
        facts = _facts(number, as_of, shown)
        left = _count(candidates_18(masked, number[:6], facts), number)
        assert left >= MIN_CANDIDATES, (masked, sorted(shown), left)


@settings(max_examples=60, deadline=None)
@given(number=ids_18)
def test_the_rule_leaves_exactly_500_with_sex_known(number: str) -> None:
    """Area and birth date shown, 3 sequence digits and the check character hidden: 1000
    sequences, half of them of the visible sex, each with exactly one check character."""
    masked = masking.mask_id_number(number)
    assert masked == number[:14] + "****"
    everything = _facts(number, AS_OF_LATEST, frozenset(FACTS))
    assert _count(candidates_18(masked, number[:6], everything), number) == 500
    assert _count(candidates_18(masked, number[:6]), number) == 1000


@settings(max_examples=100, deadline=None)
@given(number=ids_15, days=lookahead)
def test_masked_legacy_15_digit_id_leaves_many_candidates(number: str, days: int) -> None:
    birth = birth_date_of(convert_15_to_18(number))
    as_of = birth + timedelta(days=days)
    masked = masking.mask_id_number(number)
    assert masked == number[:12] + "***"
    for shown in ALL_FACT_SETS:
        facts = _facts(convert_15_to_18(number), as_of, shown)
        left = _count(candidates_15(masked, number[:6], facts), number)
        assert left >= MIN_CANDIDATES, (masked, sorted(shown), left)
        if shown == frozenset(FACTS):
            assert left == 498  # 996 sequences of a 19yy birth, half of the visible sex


@settings(max_examples=50, deadline=None)
@given(number=ids_18, tail=st.text("0123456789", min_size=2, max_size=2), days=lookahead)
def test_masked_certificate_and_masked_id_together(number: str, tail: str, days: int) -> None:
    """A 残疾人证号 (ID number + category + grade, masked as an account) shown beside the
    masked ID number adds nothing: the union of their visible characters still leaves 500."""
    cert = masking.mask_account(number + tail)
    masked = masking.mask_id_number(number)
    union = "".join(m if m != "*" else c for m, c in zip(masked, cert[:18], strict=True))
    birth = parse_id_number(number, today=AS_OF_LATEST).birth_date
    as_of = min(birth + timedelta(days=days), AS_OF_LATEST)
    for shown in ALL_FACT_SETS:
        facts = _facts(number, as_of, shown)
        left = _count(candidates_18(union, number[:6], facts), number)
        assert left >= MIN_CANDIDATES, (union, cert, sorted(shown), left)
    # the ID number written alone in an account-masked field shows none of its hidden part
    assert masking.mask_account(number)[14:] == "****"


@settings(max_examples=40, deadline=None)
@given(number=ids_18)
def test_the_old_rule_gave_every_number_back(number: str) -> None:
    """The replaced rule with the birth date beside it: exactly one candidate, the number."""
    old = _old_mask_id_number(number)
    birth = parse_id_number(number, today=AS_OF_LATEST).birth_date
    assert list(candidates_18(old, number[:6], Facts(birth=birth))) == [number]


def test_legacy_numbers_of_centenarians_born_before_1900() -> None:
    """A 15-digit number with sequence 996-999 means a birth in 18yy (GB 11643 conversion),
    so its birth date alone leaves 4 sequences: no mask of a 15-character value can hide
    that. The sheet stores numbers in their 18-character form (the parser converts), where
    the same person leaves 500 candidates; the 15-digit rule is for stray legacy text."""
    legacy = "330523990101997"
    assert masking.mask_id_number(legacy) == "330523990101***"
    number = convert_15_to_18(legacy)
    assert number.startswith("33052318990101")
    masked = masking.mask_id_number(number)
    everything = _facts(number, AS_OF_LATEST, frozenset(FACTS))
    assert _count(candidates_18(masked, number[:6], everything), number) == 500
    assert _count(candidates_15("330523990101***", "330523", everything), legacy) == 2


def _not_an_id(text: str) -> bool:
    upper = text.upper()
    return not (masking.is_id_number_18(upper) or masking.is_id_number_15(upper))


near_misses = st.one_of(
    st.text(max_size=40),
    st.text("0123456789X", min_size=1, max_size=22),
    st.builds(lambda n, k: n[:k], ids_18, st.integers(0, 17)),  # prefixes
    st.builds(lambda n, d: n + d, ids_18, st.text("0123456789", min_size=1, max_size=3)),
    st.builds(  # one character changed: the check character no longer fits
        lambda n, i, c: n[:i] + c + n[i + 1 :] if n[i] != c else n[:i] + "Y" + n[i + 1 :],
        ids_18,
        st.integers(0, 17),
        st.sampled_from("0123456789X"),
    ),
)


@settings(max_examples=300, deadline=None)
@given(value=near_misses)
def test_a_value_that_is_not_an_id_number_shows_nothing(value: str) -> None:
    masked = masking.mask_id_number(value)
    if _not_an_id(value):
        assert masked == "*" * len(value)
    else:
        assert masked != value and masked.endswith("***")


# ------------------------------------------------------------------------------ phones, accounts
mobiles = st.builds(
    lambda second, rest: "1" + second + rest,
    st.sampled_from("3456789"),
    st.text("0123456789", min_size=9, max_size=9),
)
landlines = st.builds(
    lambda area, number: f"{area}-{number}",
    st.sampled_from(["010", "021", "0571", "0572"]),
    st.text("0123456789", min_size=7, max_size=8),
)


@settings(max_examples=200, deadline=None)
@given(phone=st.one_of(mobiles, landlines))
def test_masked_phone_hides_at_least_four_digits(phone: str) -> None:
    masked = masking.mask_phone(phone)
    assert len(masked) == len(phone)
    hidden = sum(m == "*" and c.isdigit() for m, c in zip(masked, phone, strict=True))
    assert hidden >= 4  # ≥ 10 000 numbers fit; no other field shows another part of it
    assert all(m in ("*", c) for m, c in zip(masked, phone, strict=True))
    # the same number in another phone field (household.phone) is masked the same way
    assert masking.mask_value("phone", phone) == masked


@settings(max_examples=200, deadline=None)
@given(account=st.text("0123456789ABCDEFX", min_size=0, max_size=30))
def test_masked_account_shows_at_most_its_last_four(account: str) -> None:
    masked = masking.mask_account(account)
    shown = [i for i, m in enumerate(masked) if m != "*"]
    assert len(masked) == len(account)
    assert len(shown) <= min(4, len(account) // 3)
    assert all(i >= len(account) - 4 for i in shown)


def test_examples() -> None:
    number = make_id_number("330523", date(1946, 1, 1), 123)
    assert masking.mask_id_number(number) == "33052319460101****"
    assert masking.mask_id_number(number.replace("9", "x")) == "*" * 18  # no longer valid
    assert masking.mask_id_number("330523460101123") == "330523460101***"
    assert masking.mask_id_number("3305231946") == "**********"
    assert masking.mask_account(number + "11") == "*" * 18 + "11"
    assert masking.mask_account("6222020200112233") == "************2233"
    assert masking.mask_phone("13812345678") == "138****5678"
    assert masking.mask_phone("0572-5012345") == "0572-*****45"
    assert masking.mask_value("id_number", None) is None
