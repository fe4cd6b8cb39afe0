"""What one hot request costs in SQL, kept by a test (both backends).

On 2026-11-29 each of the load bench's requests cost about twice what it did a week before:
a first-sign-in middleware read the session, its user and the account on every request
before the route read session and user again (4-5 transactions and 8-15 statements a
request). These are the four requests of ``bench/web.py`` (search by ID number and by name
as a county department, a task page and the sheet page as a village cadre); each is
answered with its session read once and within a statement budget. On PostgreSQL the
budgets are exact: every audit event is one statement; on SQLite its entity ids are a
second one (``AUDIT_EXTRA``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select

from onesheet.domain.access import CLI_ADMIN, Actor
from onesheet.services import tasks
from onesheet.services.users import add_user
from onesheet.store.schema import sheet_table
from onesheet.web.app import create_app
from tests.integration.helpers import COUNTY, seed_small, sign_in
from tests.integration.test_tasks import approve, make_spec

PASSWORD = "correct horse 9"
# statements per request (the session lookup included), audit events in it
BUDGET = {"search_id": (3, 1), "search_name": (3, 1), "task_page": (5, 1), "sheet_page": (5, 2)}


@pytest.fixture
def county(store) -> Iterator[tuple[dict[str, TestClient], dict[str, str]]]:
    seed_small(store, people=120)
    approve(store, make_spec("COST", ["person.phone", "person.education"]))
    task = tasks.list_tasks(store, Actor("admin", "admin", None))[0]
    add_user(store, CLI_ADMIN, "cadre", role="village", org_code=task.org_code, password=PASSWORD)
    add_user(
        store, CLI_ADMIN, "mz", role="department", org_code=COUNTY, password=PASSWORD,
        department="civil_affairs",
    )  # fmt: skip
    p = sheet_table("person")
    with store.engine.connect() as conn:
        person = conn.execute(
            select(p.c.name, p.c.id_number).where(p.c.org_code.startswith(task.org_code)).limit(1)
        ).one()
    paths = {
        "search_id": f"/api/people?q={person.id_number}",
        "search_name": f"/api/people?q={person.name}",
        "task_page": f"/api/tasks/{task.id}?page=1",
        "sheet_page": f"/sheet?q={person.name[:1]}",
    }
    app = create_app(store)
    clients = {}
    for username in ("mz", "cadre"):
        client = TestClient(app)
        assert sign_in(client, username, PASSWORD).status_code == 303
        clients[username] = client
    yield {"dept": clients["mz"], "cadre": clients["cadre"]}, paths
    for client in clients.values():
        client.close()


def _counted(client: TestClient, path: str) -> tuple[int, Counter[str]]:
    """The answer's status and the statements it ran (every engine, SQLite's reader too),
    without transaction control and the once-a-second county-field version check."""
    seen: Counter[str] = Counter()

    def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        words = " ".join(statement.split())
        if not re.match(r"(BEGIN|COMMIT|ROLLBACK|PRAGMA)\b", words, re.I) and (
            "county_field_version" not in words
        ):
            seen[words] += 1

    event.listen(Engine, "before_cursor_execute", note)
    try:
        status = client.get(path).status_code
    finally:
        event.remove(Engine, "before_cursor_execute", note)
    return status, seen


@pytest.mark.parametrize("kind", list(BUDGET))
def test_a_hot_request_reads_its_session_once_within_its_budget(county, kind, database_url):
    clients, paths = county
    client = clients["dept" if kind.startswith("search") else "cadre"]
    client.get(paths[kind])  # warm: first-use reads (templates, county fields) are not counted
    status, seen = _counted(client, paths[kind])
    assert status == 200
    sessions = sum(n for sql, n in seen.items() if "web_session" in sql)
    assert sessions == 1, seen  # the middleware's lookup serves the route's caller too
    statements, events = BUDGET[kind]
    if database_url.startswith("sqlite"):
        statements += events  # audit_entity is a second INSERT there
    assert sum(seen.values()) <= statements, seen
    audited = sum(n for sql, n in seen.items() if "INTO audit_event" in sql)
    assert audited == events, seen  # every read of personal data is still audited
