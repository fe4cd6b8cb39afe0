"""Department and reviewer sign-ins for the browser test of forms and the Gate.

Users are added with the real CLI (``onesheet users add``) to the database of the
``served_county`` server — the SQLite file that fixture creates under pytest's base temp
folder (the conftest does not expose its path, so it is found there).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.web.conftest import WEB_PASSWORD

DEPARTMENT_USER = "mz1"
REVIEWER_USER = "rev1"


def _cli(db: Path, *args: str) -> str:
    env = {**os.environ, "ONESHEET_DATABASE_URL": f"sqlite:///{db}"}
    done = subprocess.run(
        [sys.executable, "-m", "onesheet.cli.main", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


@pytest.fixture(scope="session")
def forms_users(served_county: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """``mz1`` (civil affairs, county-wide) and ``rev1`` (reviewer); returns the county code."""
    db = next(Path(tmp_path_factory.getbasetemp()).glob("web*/web.db"))
    county = next(
        u["code"] for u in json.loads(_cli(db, "orgs", "list", "--json")) if u["level"] == "county"
    )
    password = tmp_path_factory.mktemp("forms-users") / "password.txt"
    password.write_text(WEB_PASSWORD + "\n")
    users = (
        (DEPARTMENT_USER, "department", "--department", "civil_affairs"),
        (REVIEWER_USER, "reviewer"),
    )
    for name, role, *extra in users:
        _cli(db, "users", "add", name, "--role", role, "--org", county,
             "--password-file", str(password), *extra)  # fmt: skip
    return {"county": county, "department": DEPARTMENT_USER, "reviewer": REVIEWER_USER}
