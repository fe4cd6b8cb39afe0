"""Adding a user checks that the role, department and org level fit together.

The probe: ``onesheet users add --role department --department village`` gave a user who
read every person field county-wide (``village`` is the grassroots collection source, not a
county department, and its grant is every field). Each bad combination is refused with a
clear finding, and nothing is written.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from onesheet.cli.main import app
from onesheet.domain.access import CLI_ADMIN
from onesheet.domain.findings import InvalidInput
from onesheet.services.users import add_user
from onesheet.store.schema import table
from tests.integration.test_login_lockout import COUNTY, TOWN, VILLAGE, add_small_tree

PASSWORD = "correct horse 9"


@pytest.fixture
def tree(store):
    add_small_tree(store)
    return store


def _refused(store, **kwargs) -> set[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as refused:
        add_user(store, CLI_ADMIN, "someone", password=PASSWORD, **kwargs)
    return {f.code for f in refused.value.findings}


def _users(store) -> dict[str, dict]:  # type: ignore[type-arg]
    t = table("app_user")
    with store.engine.connect() as conn:
        return {r.username: dict(r._mapping) for r in conn.execute(select(t))}


def test_a_department_user_needs_a_real_county_department(tree):
    store = tree
    assert _refused(store, role="department", org_code=COUNTY, department="village") == {
        "user.department"
    }
    assert _refused(store, role="department", org_code=COUNTY, department="no_such") == {
        "user.department"
    }
    assert _refused(store, role="department", org_code=COUNTY) == {"user.department"}
    assert _users(store) == {}


def test_a_department_is_taken_by_its_common_wording_and_stored_as_its_key(tree):
    store = tree
    add_user(
        store, CLI_ADMIN, "mz", role="department", org_code=COUNTY, password=PASSWORD,
        department="县民政局",
    )  # fmt: skip
    assert _users(store)["mz"]["department"] == "civil_affairs"


def test_other_roles_may_not_name_a_department(tree):
    store = tree
    for role, org in (("village", VILLAGE), ("town", TOWN), ("reviewer", COUNTY)):
        assert _refused(store, role=role, org_code=org, department="health") == {"user.department"}


@pytest.mark.parametrize(
    ("role", "org"),
    [
        ("village", COUNTY),
        ("village", TOWN),
        ("town", VILLAGE),
        ("town", COUNTY),
        ("reviewer", VILLAGE),
        ("admin", TOWN),
    ],
)
def test_the_org_level_must_fit_the_role(tree, role, org):
    assert _refused(tree, role=role, org_code=org) == {"user.org_level"}


def test_a_department_user_sits_at_the_county(tree):
    codes = _refused(tree, role="department", org_code=TOWN, department="health")
    assert codes == {"user.org_level"}


def test_an_unknown_org_is_refused(tree):
    assert _refused(tree, role="village", org_code="330523001999") == {"user.org"}
    assert _refused(tree, role="admin", org_code="999999") == {"user.org"}


def test_every_problem_is_listed_at_once(tree):
    codes = _refused(tree, role="village", org_code=COUNTY, department="health")
    assert codes == {"user.department", "user.org_level"}


def test_each_role_at_its_own_level_is_accepted(tree):
    store = tree
    for name, role, org, dept in (
        ("cun", "village", VILLAGE, None),
        ("zhen", "town", TOWN, None),
        ("wj", "department", COUNTY, "health"),
        ("rev", "reviewer", COUNTY, None),
        ("adm", "admin", COUNTY, None),
        ("root", "admin", None, None),
    ):
        add_user(
            store, CLI_ADMIN, name, role=role, org_code=org, password=PASSWORD, department=dept
        )
    assert set(_users(store)) == {"cun", "zhen", "wj", "rev", "adm", "root"}


def test_cli_refuses_the_village_department_with_a_clear_message(tree, database_url, tmp_path):
    runner = CliRunner()
    secret = tmp_path / "pw.txt"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "--database-url", database_url, "users", "add", "probe", "--role", "department",
            "--department", "village", "--org", COUNTY, "--password-file", str(secret),
        ],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "village" in result.output and "Traceback" not in result.output
