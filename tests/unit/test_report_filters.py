"""Report filters are validated against the dictionary, with every problem named."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from onesheet.domain.derived import age_on
from onesheet.domain.dictionary import load_builtin
from onesheet.domain.findings import InvalidInput
from onesheet.domain.report_filters import Checked, CheckedAll, birth_cutoff, check_filter
from onesheet.domain.template_spec import AllOf, Condition

D = load_builtin()
PEOPLE = frozenset({"person", "household"})


def check(field: str, op: str, value: object = None):  # type: ignore[no-untyped-def]
    return check_filter(Condition(field=field, op=op, value=value), D, PEOPLE)  # type: ignore[arg-type]


def test_values_become_canonical() -> None:
    assert check("person.gender", "eq", "女").value == "2"
    assert check("person.is_dibao", "eq", "是").value == "1"
    assert check("person.birth_date", "ge", "1990/1/2").value == "1990-01-02"
    assert check("person.disability_grade", "in", ["1", "二级"]).value == ("1", "2")
    assert check("person.birth_date", "age_ge", 60).value == 60


@pytest.mark.parametrize(
    ("field", "op", "value", "message"),
    [
        ("person.shoe_size", "eq", "1", "person.shoe_size is not in the dictionary"),
        ("person.gender", "eq", "X", "'X' is not a code"),
        ("person.gender", "contains", "男", "contains needs a text field"),
        ("person.name", "age_ge", 3, "not a date"),
        ("person.birth_date", "age_ge", "sixty", "age must be a whole number"),
        ("person.gender", "in", "1", "in needs a non-empty list"),
        ("enterprise.name", "eq", "x", "is not of the report's entities"),
        ("person.gender", "eq", "", "use is_null"),
    ],
)
def test_problems_are_named(field: str, op: str, value: object, message: str) -> None:
    with pytest.raises(InvalidInput) as err:
        check(field, op, value)
    assert message in err.value.message("en")


def test_every_problem_is_reported_not_only_the_first() -> None:
    flt = AllOf.model_validate(
        {"and": [{"field": "person.x", "op": "eq", "value": 1}, {"field": "person.y", "op": "eq"}]}
    )
    with pytest.raises(InvalidInput) as err:
        check_filter(flt, D, PEOPLE)
    assert len(err.value.findings) == 2


def test_nested_filters_keep_their_shape() -> None:
    flt = AllOf.model_validate({"and": [{"field": "person.gender", "op": "eq", "value": "1"}]})
    checked = check_filter(flt, D, PEOPLE)
    assert isinstance(checked, CheckedAll) and isinstance(checked.parts[0], Checked)


def test_birth_cutoff_agrees_with_age_on() -> None:
    """Born on or before the cutoff ⇔ at least that old on the report date (leap days too)."""
    for report in (date(2026, 11, 30), date(2024, 2, 29), date(2025, 2, 28), date(2025, 3, 1)):
        for years in (0, 1, 18, 60, 80):
            cutoff = birth_cutoff(report, years)
            for delta in range(-400, 400, 1):
                born = cutoff + timedelta(days=delta)
                if born > report:
                    continue
                assert (born <= cutoff) == (age_on(born, report) >= years), (report, years, born)
