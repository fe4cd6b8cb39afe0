"""The audit trail answers "who read person X", refusals included; API tokens expire, are
revoked, note their last use and die with their user. On SQLite and PostgreSQL.

The probe found: a report of 2,337 rows audited with only 200 ids (so nobody could say
who read person #2,000), refused reads not audited at all, and tokens that lived forever.
"""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text, update
from typer.testing import CliRunner

from onesheet.cli.main import app as cli_app
from onesheet.domain.access import CLI_ADMIN, AccessDenied, Actor
from onesheet.domain.findings import InvalidInput
from onesheet.domain.orgunits import OrgUnit
from onesheet.services import auth
from onesheet.services.audit import who_read
from onesheet.services.base import utcnow
from onesheet.services.reports import run_report
from onesheet.services.sheet_read import read_entity, search_people
from onesheet.services.sheet_write import Change, UnknownEntity, record_changes
from onesheet.services.users import add_user, disable_user, list_users
from onesheet.store import audit as audit_store
from onesheet.store import migrate, orgs
from onesheet.store.engine import make_engine
from onesheet.store.schema import sheet_table, table
from onesheet.store.templates import insert_template
from onesheet.web.app import create_app
from tests.integration.helpers import COUNTY, log_rows, seed_small, sign_in
from tests.integration.test_tasks import make_spec

PASSWORD = "correct horse 9"
ADMIN = Actor("boss", "admin", COUNTY)


def _villages(store) -> dict[str, list[int]]:
    t = sheet_table("person")
    out: dict[str, list[int]] = {}
    with store.engine.connect() as conn:
        for r in conn.execute(select(t.c.entity_id, t.c.org_code).order_by(t.c.entity_id)):
            out.setdefault(r.org_code[:12], []).append(r.entity_id)
    return out


def _events(store, action: str | None = None) -> list[dict]:  # type: ignore[type-arg]
    t = table("audit_event")
    q = select(t).order_by(t.c.id)
    if action:
        q = q.where(t.c.action == action)
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]


@pytest.fixture
def county(store):
    """300 people; a cadre of the first village, a civil-affairs user, an admin."""
    seed_small(store, people=300)
    villages = _villages(store)
    mine, other = list(villages)[:2]
    add_user(store, CLI_ADMIN, "cadre", role="village", org_code=mine, password=PASSWORD)
    add_user(
        store, CLI_ADMIN, "mz", role="department", org_code=COUNTY, password=PASSWORD,
        department="civil_affairs",
    )  # fmt: skip
    add_user(store, CLI_ADMIN, "boss", role="admin", org_code=COUNTY, password=PASSWORD)
    return store, villages[mine], villages[other], Actor("cadre", "village", mine)


# ------------------------------------------------------------------------------ audit: ids
def test_an_event_keeps_every_entity_id_and_who_read_finds_the_last(store):
    ids = list(range(10_000, 10_000 + 2_337))
    reader = Actor("mz", "department", COUNTY, "civil_affairs")
    with store.transaction() as conn:
        audit_store.write_event(
            conn, reader, "reports.run", now=utcnow(), entity_type="person", entity_ids=ids,
            detail="template=T org=330523",
        )  # fmt: skip
    event = _events(store, "reports.run")[0]
    assert event["entity_count"] == 2_337
    assert len(event["entity_ids"].split(",")) == audit_store.MAX_IDS  # the glance stays short
    found = who_read(store, CLI_ADMIN, ids[-1])
    assert [(a.actor, a.action, a.entity_count) for a in found] == [("mz", "reports.run", 2_337)]
    assert who_read(store, CLI_ADMIN, 9_999) == []


def test_a_report_over_200_rows_is_found_by_who_read_on_its_last_person(county):
    store, _, _, _ = county
    spec = make_spec("ROLL", ["person.name", "person.gender"])
    with store.transaction() as conn:
        insert_template(conn, spec, status="approved", actor="reviewer", at=utcnow())
    mz = Actor("mz", "department", COUNTY, "civil_affairs")
    result = run_report(store, mz, "ROLL", COUNTY, None, "csv", io.BytesIO())
    assert result.rows > 200
    event = _events(store, "reports.run")[-1]
    listed = {int(i) for i in event["entity_ids"].split(",")}
    t = sheet_table("person")
    with store.engine.connect() as conn:
        people = list(conn.execute(select(t.c.entity_id).order_by(t.c.entity_id)).scalars())
    beyond = [p for p in people if p not in listed]
    assert beyond, "the report lists more people than the event row keeps"
    found = who_read(store, CLI_ADMIN, beyond[-1])
    assert [(a.actor, a.action) for a in found] == [("mz", "reports.run")]
    assert "template=ROLL" in found[0].detail


# --------------------------------------------------------------------------- audit: denied
def test_a_refused_read_is_audited_as_denied(county):
    store, _, theirs, cadre = county
    with pytest.raises(AccessDenied):
        read_entity(store, cadre, theirs[0])
    found = who_read(store, ADMIN, theirs[0])
    assert [(a.actor, a.role, a.action) for a in found] == [("cadre", "village", "denied")]
    assert "service=sheet_read_entity" in found[0].detail
    assert theirs[0] and "scope" in found[0].detail  # the reason, as the service gave it


def test_a_refused_write_writes_nothing_but_its_denied_event(county):
    store, _, theirs, cadre = county
    before_log, before_events = log_rows(store), _events(store)
    with pytest.raises(AccessDenied):
        record_changes(store, cadre, theirs[0], [Change("person.phone", "13800000000")])
    assert log_rows(store) == before_log
    new = _events(store)[len(before_events) :]
    assert [(e["actor"], e["action"]) for e in new] == [("cadre", "denied")]
    assert "service=sheet_record" in new[0]["detail"]
    assert new[0]["entity_ids"] == str(theirs[0])


def test_a_missing_permission_is_audited_with_the_service_and_permission(county):
    store, _, _, _ = county
    reviewer = Actor("rev", "reviewer", COUNTY)
    with pytest.raises(AccessDenied):
        search_people(store, reviewer, "张")
    denied = _events(store, "denied")
    assert len(denied) == 1 and denied[0]["actor"] == "rev"
    assert "service=sheet_search_people" in denied[0]["detail"]
    assert "permission=sheet.read" in denied[0]["detail"]


def test_who_read_is_for_admins_and_asking_is_audited(county):
    store, mine, _, cadre = county
    read_entity(store, cadre, mine[0])
    with pytest.raises(AccessDenied):
        who_read(store, cadre, mine[0])
    found = who_read(store, ADMIN, mine[0])
    assert [(a.actor, a.action) for a in found] == [("cadre", "denied"), ("cadre", "sheet.read")]
    assert "service=audit_who_read" in found[0].detail
    again = who_read(store, ADMIN, mine[0])
    assert again[0].actor == "boss" and again[0].action == "audit.who_read"


def test_cli_who_read(county, database_url):
    store, mine, _, cadre = county
    read_entity(store, cadre, mine[0])
    runner = CliRunner()
    args = ["--database-url", database_url, "audit", "who-read", str(mine[0])]
    as_json = runner.invoke(cli_app, [*args, "--json"])
    assert as_json.exit_code == 0, as_json.output
    rows = json.loads(as_json.stdout)
    assert [(r["actor"], r["action"]) for r in rows] == [("cadre", "sheet.read")]
    assert "person.name" in rows[0]["fields"]
    shown = runner.invoke(cli_app, args)
    assert shown.exit_code == 0 and "cadre" in shown.output and "sheet.read" in shown.output


# ------------------------------------------------------------------------- the migration
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_revision_0007_copies_earlier_ids_and_gives_old_tokens_an_expiry(
    backend, tmp_path, request
):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        admin = None
    else:
        server = request.getfixturevalue("pg_server_url")
        name = f"m_{tmp_path.name[-20:].lower().replace('-', '_')}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = server.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    try:
        from alembic import command

        cfg = migrate._config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0006")
        created = utcnow().replace(microsecond=0)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO audit_event (at, actor, role, action, entity_count, "
                    "entity_ids, fields, detail) VALUES (:at, 'a', 'admin', 'sheet.read', "
                    "3, '7,8,9', '', '')"
                ),
                {"at": created},
            )
            conn.execute(
                text(
                    "INSERT INTO api_token (token_hash, username, label, created_at) "
                    "VALUES ('h', 'mz', '', :at)"
                ),
                {"at": created},
            )
        migrate.upgrade(engine)
        with engine.connect() as conn:
            kept = conn.execute(text("SELECT entity_id FROM audit_entity ORDER BY 1")).scalars()
            assert list(kept) == [7, 8, 9]
            expires = conn.execute(select(table("api_token").c.expires_at)).scalar_one()
            assert expires == created + timedelta(days=auth.TOKEN_DAYS)
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


# --------------------------------------------------------------------------------- tokens
def _me(client: TestClient, token: str) -> int:
    return client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code


def _token_row(store, token_id: int) -> dict:  # type: ignore[type-arg]
    t = table("api_token")
    with store.engine.connect() as conn:
        return dict(conn.execute(select(t).where(t.c.id == token_id)).one()._mapping)


def _set_token(store, token_id: int, **values) -> None:  # type: ignore[no-untyped-def]
    t = table("api_token")
    with store.transaction() as conn:
        conn.execute(update(t).where(t.c.id == token_id).values(**values))


def _only_token(store) -> int:
    t = table("api_token")
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.max(t.c.id))).scalar_one())


def test_a_token_expires_after_its_days(county):
    store, *_ = county
    token = auth.issue_api_token(store, CLI_ADMIN, "mz", "民政系统")
    row = _token_row(store, _only_token(store))
    assert row["expires_at"] - row["created_at"] == timedelta(days=auth.TOKEN_DAYS)
    client = TestClient(create_app(store))
    assert _me(client, token) == 200
    _set_token(store, row["id"], expires_at=utcnow() - timedelta(seconds=1))
    assert _me(client, token) == 401
    short = auth.issue_api_token(store, CLI_ADMIN, "mz", "short", days=7)
    row = _token_row(store, _only_token(store))
    assert row["expires_at"] - row["created_at"] == timedelta(days=7)
    assert _me(client, short) == 200
    with pytest.raises(InvalidInput):
        auth.issue_api_token(store, CLI_ADMIN, "mz", "forever", days=100_000)


def test_a_revoked_token_is_refused_and_listed_as_revoked(county):
    store, *_ = county
    token = auth.issue_api_token(store, CLI_ADMIN, "mz", "民政系统")
    token_id = _only_token(store)
    client = TestClient(create_app(store))
    assert _me(client, token) == 200
    auth.revoke_api_token(store, CLI_ADMIN, token_id)
    assert _me(client, token) == 401
    listed = {t.id: t for t in auth.list_api_tokens(store, CLI_ADMIN)}
    assert listed[token_id].status == "revoked" and listed[token_id].revoked_at is not None
    with pytest.raises(auth.UnknownToken):
        auth.revoke_api_token(store, CLI_ADMIN, 999_999)
    assert [e["detail"] for e in _events(store, "tokens.revoke")] == [f"{token_id} mz 民政系统"]


def test_last_use_is_noted_at_most_once_a_minute(county):
    store, *_ = county
    token = auth.issue_api_token(store, CLI_ADMIN, "mz", "民政系统")
    token_id = _only_token(store)
    assert _token_row(store, token_id)["last_used_at"] is None
    client = TestClient(create_app(store))
    assert _me(client, token) == 200
    first = _token_row(store, token_id)["last_used_at"]
    assert first is not None
    recent = first - timedelta(seconds=30)
    _set_token(store, token_id, last_used_at=recent)
    assert _me(client, token) == 200
    assert _token_row(store, token_id)["last_used_at"] == recent  # within a minute: no write
    stale = first - timedelta(minutes=5)
    _set_token(store, token_id, last_used_at=stale)
    assert _me(client, token) == 200
    assert _token_row(store, token_id)["last_used_at"] > stale


def test_a_disabled_or_removed_users_token_stops_working(county):
    store, *_ = county
    token = auth.issue_api_token(store, CLI_ADMIN, "mz", "民政系统")
    other = auth.issue_api_token(store, CLI_ADMIN, "cadre", "村务")
    client = TestClient(create_app(store))
    assert _me(client, token) == 200 and _me(client, other) == 200
    ticket = auth.login(store, "mz", PASSWORD)
    disable_user(store, CLI_ADMIN, "mz")
    assert _me(client, token) == 401
    assert auth.session_actor(store, ticket.token) is None  # the session ended too
    with pytest.raises(auth.LoginRefused):
        auth.login(store, "mz", PASSWORD)
    with pytest.raises(InvalidInput):
        auth.issue_api_token(store, CLI_ADMIN, "mz", "again")
    u = table("app_user")
    with store.transaction() as conn:
        conn.execute(u.delete().where(u.c.username == "cadre"))
    assert _me(client, other) == 401


def test_tokens_are_for_admins_only(county):
    store, _, _, cadre = county
    for call in (
        lambda: auth.list_api_tokens(store, cadre),
        lambda: auth.issue_api_token(store, cadre, "cadre", "mine"),
        lambda: auth.revoke_api_token(store, cadre, 1),
    ):
        with pytest.raises(AccessDenied):
            call()


def test_cli_tokens_issue_list_revoke(county, database_url):
    store, *_ = county
    runner = CliRunner()
    base = ["--database-url", database_url, "tokens"]
    issued = runner.invoke(cli_app, [*base, "issue", "mz", "--label", "民政系统", "--days", "30"])
    assert issued.exit_code == 0, issued.output
    token = re.search(r"os_[A-Za-z0-9_\-]+", issued.output).group(0)
    assert _me(TestClient(create_app(store)), token) == 200
    listed = runner.invoke(cli_app, [*base, "list", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [(r["label"], r["username"], r["status"]) for r in rows] == [
        ("民政系统", "mz", "active")
    ]
    assert token not in listed.stdout and "token_hash" not in rows[0]
    revoked = runner.invoke(cli_app, [*base, "revoke", str(rows[0]["id"])])
    assert revoked.exit_code == 0, revoked.output
    assert _me(TestClient(create_app(store)), token) == 401
    assert runner.invoke(cli_app, [*base, "revoke", "424242"]).exit_code == 2
    refused = runner.invoke(cli_app, [*base, "issue", "nobody"])
    assert refused.exit_code == 2 and "Traceback" not in refused.output


# ------------------------------------------------ a county's admin: its own county only
OTHER_COUNTY, OTHER_VILLAGE = "330522", "330522001001"


@pytest.fixture
def two_counties(county):
    store, mine, _, _ = county
    units = [
        OrgUnit(OTHER_COUNTY, "长兴县", "county", None, OTHER_COUNTY),
        OrgUnit(OTHER_COUNTY + "001", "雉城街道", "town", OTHER_COUNTY, OTHER_COUNTY),
        OrgUnit(OTHER_VILLAGE, "某村", "village", OTHER_COUNTY + "001", OTHER_COUNTY),
    ]
    with store.transaction() as conn:
        orgs.insert_orgs(conn, units)
    add_user(store, CLI_ADMIN, "far", role="village", org_code=OTHER_VILLAGE, password=PASSWORD)
    return store, mine


def test_a_county_admin_manages_only_its_countys_accounts(two_counties):
    store, mine = two_counties
    far_token = auth.issue_api_token(store, CLI_ADMIN, "far", "长兴村务")
    far_id = _only_token(store)
    auth.issue_api_token(store, ADMIN, "mz", "民政系统")  # its own county: fine
    for call in (
        lambda: auth.issue_api_token(store, ADMIN, "far", "借用"),
        lambda: auth.revoke_api_token(store, ADMIN, far_id),
        lambda: disable_user(store, ADMIN, "far"),
        lambda: add_user(store, ADMIN, "far2", role="village", org_code=OTHER_VILLAGE,
                         password=PASSWORD),
        lambda: add_user(store, ADMIN, "root2", role="admin", org_code=None, password=PASSWORD),
    ):  # fmt: skip
        with pytest.raises(AccessDenied):
            call()
    assert {t.username for t in auth.list_api_tokens(store, ADMIN)} == {"mz"}
    assert {t.username for t in auth.list_api_tokens(store, CLI_ADMIN)} == {"mz", "far"}
    assert "far" not in {u.username for u in list_users(store, ADMIN)}
    assert _me(TestClient(create_app(store)), far_token) == 200  # untouched
    with pytest.raises(UnknownEntity):
        who_read(store, ADMIN, 987_654_321)
    assert who_read(store, CLI_ADMIN, 987_654_321) == []
    assert who_read(store, ADMIN, mine[0]) == []  # its own county's person: allowed


def test_admin_pages_refuse_another_countys_user_and_an_unknown_token(two_counties):
    store, _ = two_counties
    auth.issue_api_token(store, CLI_ADMIN, "far", "长兴村务")
    far_id = _only_token(store)
    client = TestClient(create_app(store))
    csrf = _login(client, "boss")
    page = client.get("/admin/tokens")
    assert "长兴村务" not in page.text and 'value="far"' not in page.text
    assert 'href="/admin/tokens"' in client.get("/").text  # the admin's menu leads there
    issued = client.post(
        "/admin/tokens", data={"username": "far", "label": "借用", "csrf_token": csrf}
    )
    assert issued.status_code == 403
    revoke = client.post(f"/admin/tokens/{far_id}/revoke", data={"csrf_token": csrf})
    assert revoke.status_code == 403
    missing = client.post("/admin/tokens/424242/revoke", data={"csrf_token": csrf})
    assert missing.status_code == 404


# ------------------------------------------------------------------------ the admin page
def _login(client: TestClient, username: str) -> str:
    sign_in(client, username, PASSWORD, "/")
    page = client.get("/admin/tokens")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    return found.group(1) if found else ""


def test_admin_page_lists_issues_once_and_revokes(county):
    store, *_ = county
    auth.issue_api_token(store, CLI_ADMIN, "mz", "老系统")
    client = TestClient(create_app(store))
    csrf = _login(client, "boss")
    page = client.get("/admin/tokens")
    assert page.status_code == 200 and "老系统" in page.text and "mz" in page.text
    assert client.post("/admin/tokens", data={"username": "mz", "label": "x"}).status_code == 403
    issued = client.post(
        "/admin/tokens",
        data={"username": "mz", "label": "新系统", "days": "30", "csrf_token": csrf},
    )
    assert issued.status_code == 200
    token = re.search(r"os_[A-Za-z0-9_\-]+", issued.text).group(0)
    assert _me(TestClient(create_app(store)), token) == 200
    again = client.get("/admin/tokens")
    assert token not in again.text and "新系统" in again.text  # shown once only
    token_id = _only_token(store)
    refused = client.post(f"/admin/tokens/{token_id}/revoke", data={}, follow_redirects=False)
    assert refused.status_code == 403
    revoked = client.post(
        f"/admin/tokens/{token_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert revoked.status_code == 303
    assert _me(TestClient(create_app(store)), token) == 401
    bad = client.post("/admin/tokens", data={"username": "nobody", "label": "", "csrf_token": csrf})
    assert bad.status_code == 400 and "nobody" in bad.text
    english = client.get("/admin/tokens?lang=en")
    assert "Revoke" in english.text and "Last used" in english.text


def test_admin_page_is_refused_to_everyone_else(county):
    store, *_ = county
    client = TestClient(create_app(store))
    assert client.get("/admin/tokens", follow_redirects=False).status_code == 303  # sign in
    _login(client, "cadre")
    assert client.get("/admin/tokens").status_code == 403
    assert any(e["actor"] == "cadre" for e in _events(store, "denied"))
