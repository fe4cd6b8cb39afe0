"""Department and reviewer sign-ins for the browser test of forms and the Gate.

Users are added with the real CLI (``onesheet users add``) to the served county's database
(``served_env``).
"""

from __future__ import annotations

import json

import pytest

from tests.web.conftest import WEB_PASSWORD, ServedEnv

DEPARTMENT_USER = "mz1"
REVIEWER_USER = "rev1"


@pytest.fixture(scope="session")
def forms_users(served_env: ServedEnv, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """``mz1`` (civil affairs, county-wide) and ``rev1`` (reviewer); returns the county code."""
    county = next(
        u["code"]
        for u in json.loads(served_env.run("orgs", "list", "--json"))
        if u["level"] == "county"
    )
    password = tmp_path_factory.mktemp("forms-users") / "password.txt"
    password.write_text(WEB_PASSWORD + "\n")
    users = (
        (DEPARTMENT_USER, "department", "--department", "civil_affairs"),
        (REVIEWER_USER, "reviewer"),
    )
    for name, role, *extra in users:
        served_env.run("users", "add", name, "--role", role, "--org", county,
                       "--password-file", str(password), *extra)  # fmt: skip
    return {"county": county, "department": DEPARTMENT_USER, "reviewer": REVIEWER_USER}
