"""Every value reader in ``domain/values/``, table-driven and by property.

Two promises are kept here for each type (ID number, phone, date, number, boolean, USCC,
text): a canonical value reads back as itself (round trip), and anything refused is refused
as a ``ValueProblem`` with a stable code — never another exception, which would surface as a
500 or a crashed import. ``parse_for_field`` is checked over arbitrary text for every field
type for the same reason.
"""

from __future__ import annotations

import string
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from onesheet.domain.dictionary import load_builtin
from onesheet.domain.values import (
    MAX_TEXT_CHARS,
    ValueProblem,
    format_date_cn,
    format_year_month_cn,
    is_mobile,
    make_id_number,
    make_uscc,
    parse_bool,
    parse_date,
    parse_decimal,
    parse_id_number,
    parse_integer,
    parse_phone,
    parse_text,
    parse_uscc,
)
from onesheet.domain.values.booleans import FALSE, TRUE
from onesheet.domain.values.idnumber import PROVINCES, convert_15_to_18, id_check_char
from onesheet.domain.values.parse import display_value, is_empty, parse_for_field
from onesheet.domain.values.uscc import CHARSET

D = load_builtin()
TODAY = date(2026, 1, 1)

# The codes a refusal may carry. Adding a code is fine (add it here); renaming one breaks
# every saved import report and filter that counts it, so this list is the contract.
STABLE_CODES = {
    "boolean.invalid",
    "date.unparseable",
    "date.not_a_date",
    "date.out_of_range",
    "decimal.invalid",
    "decimal.out_of_range",
    "integer.invalid",
    "integer.fraction",
    "integer.out_of_range",
    "id_number.float",
    "id_number.length",
    "id_number.chars",
    "id_number.address_code",
    "id_number.birth_date",
    "id_number.check_digit",
    "phone.invalid",
    "uscc.length",
    "uscc.chars",
    "uscc.check_char",
    "text.too_long",
    "text.control_char",
    "value.too_long",
    "ref.invalid",
    "code.unknown",
}


def _refused(fn, *args, **kwargs) -> ValueProblem:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueProblem) as caught:
        fn(*args, **kwargs)
    problem = caught.value
    assert problem.message_zh and problem.message_en
    return problem


# --- strategies -----------------------------------------------------------------------------

birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31))
address_codes = st.builds(
    lambda p, rest: p + rest,
    st.sampled_from(sorted(PROVINCES)),
    st.text(string.digits, min_size=4, max_size=4),
)
id_numbers = st.builds(make_id_number, address_codes, birth_dates, st.integers(0, 999))
uscc_bodies = st.text(CHARSET, min_size=17, max_size=17)
mobiles = st.builds(
    lambda second, rest: "1" + second + rest,
    st.sampled_from("3456789"),
    st.text(string.digits, min_size=9, max_size=9),
)


# --- ID numbers -----------------------------------------------------------------------------


@given(id_numbers)
def test_id_number_round_trips_and_derives_birth_and_sex(number: str) -> None:
    parsed = parse_id_number(number, today=TODAY)
    assert parsed.number == number
    assert parse_id_number(parsed.number, today=TODAY) == parsed
    assert parsed.birth_date.strftime("%Y%m%d") == number[6:14]
    assert parsed.sex_code == ("1" if int(number[16]) % 2 else "2")
    assert not parsed.legacy_converted


@given(id_numbers)
def test_id_number_as_typed_reads_back_canonical(number: str) -> None:
    # full-width digits, spaces, dashes and a lower-case x are how people type them
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number)
    assert parse_id_number(full_width, today=TODAY).number == number
    spaced = f" {number[:6]} {number[6:14]}-{number[14:].lower()} "
    assert parse_id_number(spaced, today=TODAY).number == number


@given(id_numbers, st.integers(0, 16), st.integers(1, 9))
def test_id_number_any_single_digit_slip_is_refused(number: str, at: int, delta: int) -> None:
    wrong = number[:at] + str((int(number[at]) + delta) % 10) + number[at + 1 :]
    problem = _refused(parse_id_number, wrong, today=TODAY)
    assert problem.code in {
        "id_number.check_digit",
        "id_number.address_code",
        "id_number.birth_date",
    }


@given(id_numbers, st.integers(0, 15))
def test_id_number_adjacent_swap_is_refused(number: str, at: int) -> None:
    swapped = number[:at] + number[at + 1] + number[at] + number[at + 2 :]
    if swapped != number:
        assert _refused(parse_id_number, swapped, today=TODAY).code.startswith("id_number.")


@given(id_numbers)
def test_id_number_check_character_mismatch_names_expected(number: str) -> None:
    other = next(c for c in "0123456789X" if c != number[17])
    problem = _refused(parse_id_number, number[:17] + other, today=TODAY)
    assert problem.code == "id_number.check_digit"
    assert problem.params == {"expected": number[17], "got": other}


@given(address_codes, st.dates(date(1900, 1, 1), date(1999, 12, 31)), st.integers(0, 995))
def test_legacy_15_digit_number_converts(address: str, born: date, seq: int) -> None:
    raw15 = f"{address}{born:%y%m%d}{seq:03d}"
    parsed = parse_id_number(raw15, today=TODAY)
    assert parsed.legacy_converted and parsed.birth_date == born
    assert parsed.number == convert_15_to_18(raw15)
    assert parse_id_number(parsed.number, today=TODAY).number == parsed.number


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("33052319900101123", "id_number.length"),
        ("3305231990010112345", "id_number.length"),
        ("", "id_number.length"),
        ("33052319900101A23X", "id_number.chars"),
        ("33052319900101123Y", "id_number.chars"),
        ("990523199001011230", "id_number.address_code"),
        ("330523199013011230", "id_number.birth_date"),
        ("330523199002301230", "id_number.birth_date"),
        ("330523203001011230", "id_number.birth_date"),  # born after today
        ("330523180001011230", "id_number.birth_date"),  # before 1850
        (3.30523199001011e17, "id_number.float"),
        ("3.30523199001011E+17", "id_number.float"),
    ],
)
def test_id_number_refusals_have_stable_codes(raw: object, code: str) -> None:
    assert _refused(parse_id_number, raw, today=TODAY).code == code


def test_id_number_check_char_known_value() -> None:
    # the GB 11643 worked example
    assert id_check_char("11010519491231002") == "X"
    assert parse_id_number("11010519491231002x", today=TODAY).number == "11010519491231002X"


# --- phones ---------------------------------------------------------------------------------


@given(mobiles)
def test_mobile_round_trips_with_any_prefix_or_spacing(mobile: str) -> None:
    assert is_mobile(mobile)
    assert parse_phone(mobile) == mobile
    for typed in (
        f"+86 {mobile}",
        f"0086{mobile}",
        f"86{mobile}",
        f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}",
        float(mobile),
    ):
        assert parse_phone(typed) == mobile


@given(
    st.one_of(
        st.builds(
            lambda a, n: f"0{a}-{n}",
            st.sampled_from(["10", "20", "21", "29"]),
            st.text(string.digits, min_size=8, max_size=8).filter(lambda s: s[0] != "0"),
        ),
        st.builds(
            lambda a, n: f"0{a}-{n}",
            st.text("3456789", min_size=3, max_size=3),
            st.text(string.digits, min_size=7, max_size=7).filter(lambda s: s[0] != "0"),
        ),
    )
)
def test_landline_canonical_form_round_trips(landline: str) -> None:
    assert parse_phone(landline) == landline
    area, number = landline.split("-")
    assert parse_phone(f"({area}){number}") == landline
    assert parse_phone(f"（{area}）{number}") == landline


@given(st.text(max_size=30))
@example("13812345678")
@example("0572-5012345")
def test_phone_is_idempotent_or_refused(raw: str) -> None:
    try:
        canonical = parse_phone(raw)
    except ValueProblem as problem:
        assert problem.code == "phone.invalid"
        return
    assert parse_phone(canonical) == canonical


@pytest.mark.parametrize(
    "raw", ["12345678901", "1381234567", "138123456789", "", "电话", "00572-5012345"]
)
def test_phone_refusals(raw: str) -> None:
    assert _refused(parse_phone, raw).code == "phone.invalid"


# --- dates ----------------------------------------------------------------------------------

dates = st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31))


@given(dates)
def test_date_spellings_all_read_back(d: date) -> None:
    assert parse_date(d.isoformat()) == d
    assert parse_date(format_date_cn(d)) == d
    assert parse_date(f"{d.year}/{d.month}/{d.day}") == d
    assert parse_date(f"{d.year}.{d.month}.{d.day}") == d
    assert parse_date(f"{d:%Y%m%d}") == d
    assert parse_date(int(f"{d:%Y%m%d}")) == d
    assert parse_date(f"{d.isoformat()} 00:00:00") == d
    assert parse_date(datetime(d.year, d.month, d.day, 12)) == d
    assert parse_date(format_year_month_cn(d)) == d.replace(day=1)


@given(st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31)))
def test_excel_serial_round_trips(d: date) -> None:
    serial = (d - date(1899, 12, 30)).days
    assert parse_date(serial) == d
    assert parse_date(float(serial)) == d
    if 10000 <= serial <= 99999:
        assert parse_date(str(serial)) == d


def test_excel_serial_known_values() -> None:
    assert parse_date(44197) == date(2021, 1, 1)
    assert parse_date(1) == date(1900, 1, 1)
    assert parse_date(61) == date(1900, 3, 1)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("1980-02-30", "date.not_a_date"),
        ("19801301", "date.not_a_date"),
        ("1980年13月", "date.not_a_date"),
        ("明天", "date.unparseable"),
        ("1980", "date.unparseable"),
        ("", "date.unparseable"),
        (0, "date.out_of_range"),
        (3_000_000, "date.out_of_range"),
    ],
)
def test_date_refusals_have_stable_codes(raw: object, code: str) -> None:
    assert _refused(parse_date, raw).code == code


def test_year_month_can_be_refused() -> None:
    assert _refused(parse_date, "1980-01", year_month_ok=False).code == "date.unparseable"


@given(st.text(max_size=25))
def test_date_never_fails_other_than_a_problem(raw: str) -> None:
    try:
        parse_date(raw)
    except ValueProblem as problem:
        assert problem.code in STABLE_CODES


# --- numbers --------------------------------------------------------------------------------


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, min_value=-(10**12), max_value=10**12, places=4
    )
)
def test_decimal_round_trips(value: Decimal) -> None:
    assert parse_decimal(str(value)) == value
    assert parse_decimal(f"{value:,f}") == value
    assert parse_decimal(f"{value}元") == value


@given(st.integers(-(10**15), 10**15))
def test_integer_round_trips(value: int) -> None:
    assert parse_integer(str(value)) == value
    assert parse_integer(f"{value:,}人") == value
    assert parse_integer(float(value) if abs(value) < 2**53 else value) == value
    assert parse_integer(f"{value}.0") == value


@pytest.mark.parametrize(
    ("fn", "raw", "code"),
    [
        (parse_decimal, "abc", "decimal.invalid"),
        (parse_decimal, "NaN", "decimal.invalid"),
        (parse_decimal, "Infinity", "decimal.invalid"),
        (parse_decimal, "", "decimal.invalid"),
        (parse_decimal, "1e999999", "decimal.out_of_range"),
        (parse_integer, "1.5", "integer.fraction"),
        (parse_integer, "三", "integer.invalid"),
        (parse_integer, "1e999999", "integer.out_of_range"),
        (parse_integer, "1e5000", "integer.out_of_range"),
    ],
)
def test_number_refusals_have_stable_codes(fn, raw: str, code: str) -> None:  # type: ignore[no-untyped-def]
    assert _refused(fn, raw).code == code


@given(st.text(alphabet="0123456789.,-+eE人元 ", max_size=20))
@example("1e999999")
@example("9e-99999")
def test_numbers_never_fail_other_than_a_problem(raw: str) -> None:
    for field_key in ("person.age", "household.dibao_amount"):
        field = D.fields[field_key]
        try:
            canonical = parse_for_field(field, raw, D.code_tables)
        except ValueProblem as problem:
            assert problem.code in STABLE_CODES
            continue
        if canonical is not None:
            assert len(canonical) <= 64
            assert parse_for_field(field, canonical, D.code_tables) == canonical


# --- booleans -------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [*sorted(TRUE), "是（低保户）", "有(2人)", " YES ", "√", True])
def test_true_spellings(raw: object) -> None:
    assert parse_bool(raw) is True


@pytest.mark.parametrize("raw", [*sorted(FALSE), "否（已脱贫）", "NO", False])
def test_false_spellings(raw: object) -> None:
    assert parse_bool(raw) is False


@pytest.mark.parametrize("raw", ["也许", "2", "", "是否", "是（"])
def test_boolean_refusals(raw: str) -> None:
    assert _refused(parse_bool, raw).code == "boolean.invalid"


def test_boolean_canonical_round_trips_through_the_field() -> None:
    field = D.fields["person.has_hypertension"]
    for canonical, shown in (("1", "是"), ("0", "否")):
        assert parse_for_field(field, canonical, D.code_tables) == canonical
        assert display_value(field, canonical, D.code_tables) == shown
        assert parse_for_field(field, shown, D.code_tables) == canonical


# --- USCC -----------------------------------------------------------------------------------


@given(uscc_bodies)
def test_uscc_round_trips(body: str) -> None:
    code = make_uscc(body)
    assert parse_uscc(code) == code
    assert parse_uscc(f" {code[:9].lower()} {code[9:]} ") == code


@given(uscc_bodies, st.integers(0, 17), st.sampled_from(CHARSET))
def test_uscc_single_character_slip_is_refused(body: str, at: int, char: str) -> None:
    code = make_uscc(body)
    wrong = code[:at] + char + code[at + 1 :]
    if wrong != code:
        problem = _refused(parse_uscc, wrong)
        assert problem.code == "uscc.check_char"
        assert problem.params["got"] == wrong[17]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("91330523MA2B3C4D5", "uscc.length"),
        ("91330523MA2B3C4D5EF", "uscc.length"),
        ("91330523MA2B3C4DIO", "uscc.chars"),
        ("91330523MA2B3C4DSV", "uscc.chars"),
        ("91330523MA2B3C4Z5E", "uscc.chars"),
    ],
)
def test_uscc_refusals_have_stable_codes(raw: str, code: str) -> None:
    assert _refused(parse_uscc, raw).code == code


# --- text -----------------------------------------------------------------------------------


@given(st.text(max_size=600))
def test_text_is_idempotent_capped_or_refused(raw: str) -> None:
    try:
        canonical = parse_text(raw)
    except ValueProblem as problem:
        assert problem.code in {"text.too_long", "text.control_char"}
        return
    assert len(canonical) <= MAX_TEXT_CHARS
    assert canonical == canonical.strip() and "  " not in canonical
    assert parse_text(canonical) == canonical


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("张" * (MAX_TEXT_CHARS + 1), "text.too_long"),
        ("张\x00三", "text.control_char"),
        ("a\x7fb", "text.control_char"),
    ],
)
def test_text_refusals(raw: str, code: str) -> None:
    assert _refused(parse_text, raw).code == code


def test_text_whitespace_and_width_normalised() -> None:
    assert parse_text("  张\t三\n ") == "张 三"
    assert parse_text("ＡＢＣ１２３") == "ABC123"


# --- every field type through the one entry point -------------------------------------------

FIELD_OF_TYPE: dict[str, str] = {}
for _key, _field in D.fields.items():
    FIELD_OF_TYPE.setdefault(_field.type, _key)


@settings(max_examples=60)
@given(
    st.sampled_from(sorted(FIELD_OF_TYPE)),
    st.one_of(st.text(max_size=40), st.integers(), st.floats()),
)
@example("integer", "1e999999")
@example("decimal", "1e999999")
@example("ref", "0")
def test_parse_for_field_returns_canonical_or_a_catalogued_problem(
    field_type: str, raw: object
) -> None:
    field = D.fields[FIELD_OF_TYPE[field_type]]
    try:
        canonical = parse_for_field(field, raw, D.code_tables, today=TODAY)
    except ValueProblem as problem:
        assert problem.code in STABLE_CODES or problem.code.startswith("code."), problem.code
        assert problem.params.get("field") == field.key
        assert problem.message_zh.startswith(field.label_zh)
        return
    if canonical is None:
        assert is_empty(raw)
        return
    assert parse_for_field(field, canonical, D.code_tables, today=TODAY) == canonical


def test_empty_marks_are_empty_for_every_type() -> None:
    for key in FIELD_OF_TYPE.values():
        for raw in (None, "", " ", "/", "—", "-", "——"):
            assert parse_for_field(D.fields[key], raw, D.code_tables) is None
