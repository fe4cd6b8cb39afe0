"""Default department grants: minimum necessary reads, masked unless there is a reason.

A grant naming a field that does not exist would silently hide a column from a department;
a wildcard that expands wrongly would leak a whole entity. These tests pin the expansion and
the policy the YAML header states.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from onesheet.domain.access import Actor, field_visibility
from onesheet.domain.dictionary import Dictionary, load_builtin
from onesheet.domain.dictionary_loading import data_dir
from onesheet.domain.grants import DepartmentGrant, expand_grants, load_grants

BASELINE = (
    "person.name",
    "person.gender",
    "person.birth_date",
    "person.age",
    "person.id_number",
    "person.town",
    "person.village",
)


@pytest.fixture(scope="module")
def dictionary() -> Dictionary:
    return load_builtin()


@pytest.fixture(scope="module")
def grants() -> dict[str, DepartmentGrant]:
    return load_grants()


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(data_dir().joinpath("grants.yaml").read_text(encoding="utf-8"))


def test_every_department_has_a_grant(
    dictionary: Dictionary, grants: dict[str, DepartmentGrant]
) -> None:
    assert set(grants) == set(dictionary.departments)
    for key, grant in grants.items():
        assert grant.department == key


def test_grants_name_only_existing_fields(
    dictionary: Dictionary, grants: dict[str, DepartmentGrant]
) -> None:
    for grant in grants.values():
        assert grant.read <= set(dictionary.fields), grant.department
        assert grant.unmasked <= grant.read, grant.department
        assert not any("*" in k for k in grant.read | grant.unmasked)


def test_wildcards_expand_to_the_whole_entity(
    dictionary: Dictionary, grants: dict[str, DepartmentGrant]
) -> None:
    enterprise = {f.key for f in dictionary.for_entity("enterprise")}
    assert enterprise <= grants["market_regulation"].read
    assert {f.key for f in dictionary.for_entity("house")} <= grants["housing"].read
    assert grants["village"].read == set(dictionary.fields)
    # market regulation's wildcard is enterprise-only: no person health data comes with it
    assert "person.health_status" not in grants["market_regulation"].read


def test_baseline_and_own_fields(
    dictionary: Dictionary, grants: dict[str, DepartmentGrant]
) -> None:
    for dept, grant in grants.items():
        assert set(BASELINE) <= grant.read, dept
        own = {f.key for f in dictionary.fields.values() if f.authority == dept}
        assert own <= grant.read, dept


def test_unmasked_only_where_needed(
    dictionary: Dictionary, grants: dict[str, DepartmentGrant]
) -> None:
    for grant in grants.values():
        for key in grant.unmasked:
            assert dictionary.field(key).mask is not None, key
    assert {"person.id_number", "person.phone"} <= grants["public_security"].unmasked
    assert "person.id_number" in grants["civil_affairs"].unmasked
    for dept in ("health", "education", "statistics", "emergency", "organization", "village"):
        assert "person.id_number" not in grants[dept].unmasked, dept


def test_sensitive_fields_are_not_spread(grants: dict[str, DepartmentGrant]) -> None:
    readers = {d for d, g in grants.items() if "person.religion" in g.read}
    assert readers == {"ethnic_religious", "village"}
    bank = {d for d, g in grants.items() if "person.bank_account" in g.read}
    assert bank == {"civil_affairs", "village"}
    health = {d for d, g in grants.items() if "person.chronic_disease" in g.read}
    assert health == {"health", "village"}


def test_visibility_follows_grants(
    dictionary: Dictionary, grants: dict[str, DepartmentGrant]
) -> None:
    doctor = Actor("d1", "department", "330523", department="health")
    police = Actor("p1", "department", "330523", department="public_security")
    idf = dictionary.field("person.id_number")
    assert field_visibility(doctor, idf, grants) == "masked"
    assert field_visibility(police, idf, grants) == "full"
    assert field_visibility(doctor, dictionary.field("person.religion"), grants) == "hidden"
    assert field_visibility(doctor, dictionary.field("person.has_diabetes"), grants) == "full"


def test_load_grants_returns_a_fresh_mapping() -> None:
    first = load_grants()
    first.pop("health")
    assert "health" in load_grants()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["departments"]["health"]["read"].append("person.blood_type"), "unknown field"),
        (lambda d: d["departments"]["health"]["read"].append("citizen.*"), "names no entity"),
        (lambda d: d["departments"].update({"police": {"read": []}}), "unknown department"),
        (lambda d: d["departments"].pop("veterans"), "no entry for department"),
        (
            lambda d: d["departments"]["health"].update({"unmasked": ["person.bank_account"]}),
            "unmasked but not readable",
        ),
        (
            lambda d: d["departments"]["health"].update({"unmasked": ["person.name"]}),
            "has no mask",
        ),
        (lambda d: d["departments"]["health"].update({"write": []}), "unknown attribute"),
    ],
)
def test_bad_grants_are_refused(
    raw: dict[str, Any], dictionary: Dictionary, change: Any, message: str
) -> None:
    doc = copy.deepcopy(raw)
    change(doc)
    with pytest.raises(ValueError, match=message):
        expand_grants(doc, dictionary)


# Fields whose value carries a person's full ID number (残疾人证号 = ID number + category +
# grade in the county's scheme).
EMBEDS_PERSON_ID = ("person.disability_cert_no",)


def test_no_department_reads_an_id_number_back_through_another_field(
    grants: dict[str, DepartmentGrant],
) -> None:
    """Whoever sees the ID number masked must not see a field that embeds it in full."""
    for dept, grant in grants.items():
        if "person.id_number" in grant.unmasked:
            continue
        leaks = [k for k in EMBEDS_PERSON_ID if k in grant.unmasked]
        assert not leaks, f"{dept} sees {leaks} in full but person.id_number masked"
