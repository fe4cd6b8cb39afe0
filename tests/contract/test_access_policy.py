"""Every route of the app, asked by every role, answers as ``docs/access-policy.md`` says.

The routes come from the app itself (``app.routes``), so a route added without a row in
``tests/contract/access_policy.py`` fails here. One small installation (two counties, three
villages each, a few hundred people) is built once per module; each case sends one request
as one role — a cookie session with its CSRF token, or a department's Bearer token — with
path parameters naming the caller's own area, another area, or nothing that exists, and
checks the status, that no answer leaks a person (or village, or feedback text) outside the
caller's area, and that a refused write wrote nothing.

Cases where the app disagrees with the policy are listed in ``KNOWN`` and run as
``xfail(strict=True)``: they are findings to fix, not the policy.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from onesheet.domain.access import CLI_ADMIN, Actor
from onesheet.domain.template_spec import TemplateSpec
from onesheet.services import county_fields as county_field_service
from onesheet.services import demands as demand_service
from onesheet.services import eligibility as eligibility_service
from onesheet.services import forms as form_service
from onesheet.services import import_jobs
from onesheet.services import proofs as proof_service
from onesheet.services import users as users_service
from onesheet.services.auth import issue_api_token
from onesheet.services.base import Store
from onesheet.services.feedback import submit_feedback
from onesheet.services.seed import seed_county
from onesheet.services.users import add_user
from onesheet.store import county_fields as county_field_store
from onesheet.store import import_jobs as jobs_store
from onesheet.store import link_store
from onesheet.store import tasks as task_store
from onesheet.store import users as users_store
from onesheet.store.engine import make_engine
from onesheet.store.schema import sheet_table, table
from onesheet.store.templates import get_template, insert_template
from onesheet.web.app import create_app
from tests.contract.access_policy import (
    ALLOWED,
    DOC,
    EXCLUDED_PREFIXES,
    LOGIN,
    NA,
    POLICY,
    PROBES,
    ROLES,
    Probe,
    Row,
    document_section,
    generated_section,
    row_for,
)
from tests.scratch_db import scratch_database

PASSWORD = "correct horse 9"
COUNTY_A, COUNTY_B = "330523", "330522"
PEOPLE = 150  # per county: 3 villages in 2 towns each
NOW = datetime(2026, 11, 15, 9, 0)
REPORT_TID = "tpl-policy-roster"
NO_TEMPLATE = "tpl-000000000000"
NO_ID = 999_999_999
FILES = Path(__file__).parents[1] / "forms" / "files"
OWN_FORM, OTHER_FORM = FILES / "minzheng_dibao.xlsx", FILES / "weijian_elderly.xlsx"
DEPARTMENT, OTHER_DEPARTMENT = "civil_affairs", "health"

USERS = {  # role → (username, role, where, department)
    "village": ("cadre", "village", "A1a", None),
    "town": ("town1", "town", "A1", None),
    "department": ("mz", "department", "A", DEPARTMENT),
    "reviewer": ("rev", "reviewer", "A", None),
    "admin": ("admin", "admin", "A", None),
    "token": ("mz_sys", "department", "A", DEPARTMENT),
}
OTHER_USERS = {  # username → (role, where, department): users of other areas
    "wj": ("department", "A", OTHER_DEPARTMENT),
    "cadre_b": ("village", "A1b", None),
    "town2": ("town", "A2", None),
    "mz_b": ("department", "B", DEPARTMENT),
}
B_TOKEN_LABEL = "长兴县民政救助系统"  # a county B token's label: county A must never see it
SESSION_ROLES = ("village", "town", "department", "reviewer", "admin")
GRASSROOTS = "village"  # the source of values village and town staff record themselves


def own_source(role: str) -> str:
    """The source a role imports as: its department, or the grassroots collection (an
    administrator imports on a department's behalf)."""
    return DEPARTMENT if role in ("department", "token", "admin") else GRASSROOTS


# ---------------------------------------------------------------------------------------
# Findings: cases where the app today disagrees with the policy (route, variant, role) →
# the answer seen. Temporary: each is to be fixed in the app, then removed from here.
# ---------------------------------------------------------------------------------------
KNOWN: dict[tuple[str, str, str, str], str] = {
    **{
        ("POST", "/api/proofs", "other", role): (
            "400 ('no person with this ID number': the lookup is within the caller's county) "
            "for another county's person, not 403"
        )
        for role in ("department", "admin", "token")
    },
}
KNOWN_NO_CSRF: dict[tuple[str, str, str], str] = {}


# ------------------------------------------------------------------------------- routes
def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, outside the excluded prefixes."""
    try:  # FastAPI ≥ 0.165 keeps included routers as branches; flatten them
        from fastapi.routing import iter_route_contexts

        routes: list[Any] = list(iter_route_contexts(app.routes))
    except ImportError:  # pragma: no cover - older FastAPI lists every route flat
        routes = list(app.routes)
    found = set()
    for route in routes:
        path, methods = getattr(route, "path", None), getattr(route, "methods", None)
        if not path or not methods or path.startswith(EXCLUDED_PREFIXES):
            continue
        found |= {(m, path) for m in methods if m != "HEAD"}
    return found


ROUTES = sorted(app_routes(create_app(None)))  # type: ignore[arg-type]  # no store needed


def variants_of(row: Row) -> tuple[str, ...]:
    if row.other is None:
        return ("own",)
    has_id = row.has_ids or row.target == "org"
    return ("own", "other", "missing") if has_id else ("own", "other")


def _label(variant: str, row: Row) -> str:
    return "any" if row.other is None else variant


def _cases() -> Iterator[Any]:
    for method, path in ROUTES:
        row = row_for(method, path)
        if row is None:  # fails in the test: every route needs a row
            yield pytest.param(method, path, "own", "admin", id=f"{method} {path} [UNLISTED]")
            continue
        for variant in variants_of(row):
            for role in ROLES:
                if row.expected(role, variant) == NA:
                    continue
                key = (method, path, variant, role)
                marks = [pytest.mark.xfail(strict=True, reason=KNOWN[key])] if key in KNOWN else []
                label = f"{method} {path} [{_label(variant, row)}] {role}"
                yield pytest.param(method, path, variant, role, id=label, marks=marks)


# The PostgreSQL smoke: the scope-bearing reads and writes, as the roles with an area.
SMOKE_ROUTES = (
    ("GET", "/api/people"),
    ("GET", "/api/people/{entity_id}"),
    ("POST", "/people/{entity_id}/values"),
    ("GET", "/api/tasks/{task_id}"),
    ("POST", "/api/tasks/{task_id}"),
    ("GET", "/api/reports/{template_id}"),
    ("POST", "/api/import"),
)
SMOKE_ROLES = ("village", "token")


def _smoke_cases() -> Iterator[Any]:
    for method, path in SMOKE_ROUTES:
        for variant, role in itertools.product(("own", "other"), SMOKE_ROLES):
            key = (method, path, variant, role)
            marks = [pytest.mark.xfail(strict=True, reason=KNOWN[key])] if key in KNOWN else []
            yield pytest.param(
                method, path, variant, role, id=f"{method} {path} [{variant}] {role}", marks=marks
            )


def _no_csrf_cases() -> Iterator[Any]:
    for method, path in ROUTES:
        row = row_for(method, path)
        if row is None or not row.writes:
            continue
        roles = ("anonymous", *SESSION_ROLES) if path == "/login" else SESSION_ROLES
        for role in roles:
            key = (method, path, role)
            marks = (
                [pytest.mark.xfail(strict=True, reason=KNOWN_NO_CSRF[key])]
                if key in KNOWN_NO_CSRF
                else []
            )
            yield pytest.param(method, path, role, id=f"{method} {path} {role}", marks=marks)


# ------------------------------------------------------------------------- the county
@dataclass(frozen=True)
class Person:
    entity_id: int
    name: str
    id_number: str
    village: str


@dataclass
class County:
    """The seeded installation, its users' clients, and the targets requests name."""

    store: Store
    app: FastAPI
    orgs: dict[str, str]  # A, A1, A1a, A1b, A2, A2a, B, B1 → org code
    village_names: dict[str, str]  # village code → name
    markers: dict[str, Person]  # village code → a person living there
    feedback_marks: dict[str, str]  # village code → text of a feedback item filed there
    tasks: dict[str, int]  # village code → the roster template's task there
    clients: dict[str, TestClient]  # one per role, kept open (one event loop for all)
    csrf: dict[str, str | None]
    tokens: dict[str, str]
    own_form: str
    other_form: str
    other_job: str
    proofs: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # village → proof
    others: dict[str, Person] = field(default_factory=dict)  # village → a non-marker person
    jobs: dict[str, str | None] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)  # changed by the cases
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    # -- areas -----------------------------------------------------------------------
    def village_of(self, role: str, variant: str) -> str:
        """A village in the role's own area / in another area."""
        own, other = {
            "village": ("A1a", "A1b"),
            "town": ("A1b", "A2a"),
        }.get(role, ("A2a", "B1"))
        if role == "anonymous":
            own, other = "A1a", "A1b"
        return self.orgs[own if variant != "other" else other]

    def org_of(self, role: str, variant: str) -> str:
        """The role's own org (its whole area) / another area's org."""
        own, other = {"village": ("A1a", "A1b"), "town": ("A1", "A2")}.get(role, ("A", "B"))
        if role == "anonymous":
            own, other = "A1a", "A1b"
        return self.orgs[own if variant != "other" else other]

    def person_scope(self, role: str) -> str | None:
        """Org prefix whose people the role may see (None: nobody's)."""
        if role in ("anonymous", "reviewer"):
            return None
        return self.org_of(role, "own")

    def org_scope(self, role: str) -> str | None:
        if role == "anonymous":
            return None
        return self.org_of(role, "own")

    def out_of_scope(self, role: str) -> list[str]:
        """Strings no answer to ``role`` may contain."""
        people, orgs = self.person_scope(role), self.org_scope(role)
        out: list[str] = []
        for code, p in self.markers.items():
            if people is None or not code.startswith(people):
                out += [p.name, p.id_number]
        for code, name in self.village_names.items():
            if orgs is None or not code.startswith(orgs):
                out += [name, self.feedback_marks[code]]
        if orgs is None or not COUNTY_B.startswith(orgs):
            out.append(B_TOKEN_LABEL)
        return out

    def user_of(self, role: str, variant: str) -> str:
        """A user of the role's own area / of another area."""
        if variant != "other":
            return USERS.get(role, USERS["village"])[0]
        return {"village": "cadre_b", "town": "town2"}.get(role, "mz_b")

    # -- sessions --------------------------------------------------------------------
    def new_client(self, role: str) -> TestClient:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role == "token" else None
        return TestClient(self.app, headers=headers, raise_server_exceptions=False)

    def sign_in(self, role: str) -> tuple[TestClient, str | None]:
        """A fresh client with a fresh session for ``role`` (its CSRF token)."""
        client = self.new_client(role)
        if role not in SESSION_ROLES:
            return client, None
        username = USERS[role][0]
        page = client.get("/login")
        token = _csrf(page.text)
        done = client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/"},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
        return client, _csrf(client.get("/").text)

    def next(self) -> int:
        return next(self.counter)


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def _roster_spec() -> TemplateSpec:
    fields = ["person.name", "person.id_number", "person.phone", "person.education"]
    cols = [{"letter": "A", "heading": "序号", "kind": "row_no"}]
    cols += [
        {"letter": chr(66 + i), "heading": f.split(".")[1], "field": f}
        for i, f in enumerate(fields)
    ]
    return TemplateSpec.model_validate(
        {
            "id": REPORT_TID,
            "title": "访问策略测试花名册",
            "department": DEPARTMENT,
            "entity": "person",
            "frequency": "once",
            "columns": cols,
            "layout": {"title": "访问策略测试花名册", "heading_rows": [["序号"]]},
        }
    )


RULE_KEY = "policy_gaoling"


def _rule_spec(key: str, department: str = DEPARTMENT) -> dict[str, object]:
    return {
        "key": key,
        "benefit": f"访问策略测试津贴{key[-4:]}",
        "department": department,
        "conditions": {"field": "person.birth_date", "op": "age_ge", "value": 80},
        "tiers": [{"label": "80岁以上", "amount": "100"}],
        "effective_from": "2026-01-01",
    }


def _dept_actor(county_code: str, department: str = DEPARTMENT) -> Actor:
    return Actor(f"policy_{department}", "department", county_code, department)


def _rule(
    store: Store, county_code: str, key: str, status: str, department: str = DEPARTMENT
) -> int:
    """A fresh rule of ``department`` in the county, as far as ``status``."""
    clerk = _dept_actor(county_code, department)
    rule = eligibility_service.define_rule(store, clerk, _rule_spec(key, department))
    if status in ("submitted", "approved"):
        eligibility_service.submit_rule(store, clerk, rule.id)
    if status == "approved":
        reviewer = Actor("policy_rev", "reviewer", county_code)
        eligibility_service.decide_rule(store, reviewer, rule.id, approve=True, reason="测试")
    return int(rule.id)


def _approved_rule(store: Store, county_code: str, key: str) -> int:
    return _rule(store, county_code, key, "approved")


def build_county(store: Store, people_per_county: int = PEOPLE) -> County:
    """Seed two counties, add the users, a roster with its tasks, templates, feedback."""
    for county in (COUNTY_A, COUNTY_B):
        seed_county(
            store, CLI_ADMIN, county, people=people_per_county, seed=11, today=date(2026, 11, 1)
        )
    o, p = table("org_unit"), sheet_table("person")
    with store.engine.connect() as conn:
        units = conn.execute(select(o.c.code, o.c.name, o.c.level).order_by(o.c.code)).all()
        people = conn.execute(
            select(p.c.entity_id, p.c.name, p.c.id_number, p.c.org_code).order_by(p.c.entity_id)
        ).all()
    villages = {u.code: u.name for u in units if u.level == "village"}

    def villages_in(prefix: str) -> list[str]:
        return sorted(v for v in villages if v.startswith(prefix))

    towns_a = sorted(u.code for u in units if u.level == "town" and u.code.startswith(COUNTY_A))
    a1 = next(t for t in towns_a if len(villages_in(t)) >= 2)
    a2 = next(t for t in towns_a if t != a1)
    orgs = {
        "A": COUNTY_A,
        "A1": a1,
        "A1a": villages_in(a1)[0],
        "A1b": villages_in(a1)[1],
        "A2": a2,
        "A2a": villages_in(a2)[0],
        "B": COUNTY_B,
        "B1": villages_in(COUNTY_B)[0],
    }
    markers: dict[str, Person] = {}
    for r in people:
        village = r.org_code[:12]
        if village in villages and village not in markers and r.name and r.id_number:
            markers[village] = Person(r.entity_id, r.name, r.id_number, village)
    assert set(markers) == set(villages)
    names = [q.name for q in people]
    assert all(names.count(m.name) == 1 for m in markers.values()), "marker names must be unique"

    for username, user_role, where, dept in USERS.values():
        add_user(
            store, CLI_ADMIN, username, role=user_role, org_code=orgs[where],
            password=PASSWORD, department=dept,
        )  # fmt: skip
    for username, (user_role, where, dept) in OTHER_USERS.items():
        add_user(
            store, CLI_ADMIN, username, role=user_role, org_code=orgs[where],
            password=PASSWORD, department=dept,
        )  # fmt: skip
    tokens = {
        "token": issue_api_token(store, CLI_ADMIN, "mz_sys", "民政系统"),
        "wj": issue_api_token(store, CLI_ADMIN, "wj", "卫健系统"),
    }
    issue_api_token(store, CLI_ADMIN, "mz_b", B_TOKEN_LABEL)  # another county's system

    spec = _roster_spec()
    with store.transaction() as conn:
        insert_template(conn, spec, status="approved", actor="reviewer", at=NOW)
        task_store.create_for_template(conn, store.dictionary, spec, now=NOW, today=NOW.date())
    t = table("collection_task")
    with store.engine.connect() as conn:
        tasks = {
            r.org_code: r.id
            for r in conn.execute(select(t.c.id, t.c.org_code).where(t.c.template_id == REPORT_TID))
        }
    for key in ("A1a", "A1b", "A2a", "B1"):
        assert orgs[key] in tasks, f"no task for {key}"

    own_form = form_service.import_form(
        store, CLI_ADMIN, OWN_FORM.read_bytes(), department=DEPARTMENT, filename=OWN_FORM.name
    ).template.id
    other_form = form_service.import_form(
        store, CLI_ADMIN, OTHER_FORM.read_bytes(), department=OTHER_DEPARTMENT,
        filename=OTHER_FORM.name,
    ).template.id  # fmt: skip

    feedback_marks = {}
    for code in villages:
        mark = f"负担标记{code}"
        actor = Actor(f"fb{code[-3:]}", "village", code)
        submit_feedback(store, actor, kind="other", text=mark, department=DEPARTMENT)
        feedback_marks[code] = mark

    for role in SESSION_ROLES:  # whose passwords the password-change cases change
        username, user_role, where, dept = USERS[role]
        add_user(
            store, CLI_ADMIN, f"pw_{username}", role=user_role, org_code=orgs[where],
            password=PASSWORD, department=dept,
        )  # fmt: skip
    # an approved subsidy rule in each county
    for county_code in (COUNTY_A, COUNTY_B):
        _approved_rule(store, county_code, RULE_KEY)
    # a proof answer about a person (not a marker: verifying is public) of each area
    others: dict[str, Person] = {}
    for r in people:
        village = r.org_code[:12]
        fits = village in villages and village not in others and r.id_number and r.name
        if fits and markers[village].entity_id != r.entity_id and names.count(r.name) == 1:
            others[village] = Person(r.entity_id, r.name, r.id_number, village)
    proof_of = {}
    for key in ("A1a", "A1b", "A2a", "B1"):
        person = others[orgs[key]]
        asker = Actor("policy_proofs", "admin", person.village[:6])
        got = proof_service.ask_proof(
            store, asker, "alive", "访问策略测试", person.id_number, params={"as_of": "2026-11-15"}
        )
        proof_of[orgs[key]] = (got.serial, got.canonical, got.signature)

    app = create_app(store)
    county = County(
        store=store, app=app, orgs=orgs, village_names=villages, markers=markers,
        feedback_marks=feedback_marks, tasks=tasks, clients={}, csrf={}, tokens=tokens,
        own_form=own_form, other_form=other_form, other_job="", proofs=proof_of, others=others,
    )  # fmt: skip
    county.clients["anonymous"], county.csrf["anonymous"] = county.new_client("anonymous"), None
    for role in (*SESSION_ROLES, "token"):
        county.clients[role], county.csrf[role] = county.sign_in(role)
    for client in county.clients.values():
        client.__enter__()  # a started client reuses its event loop: much faster per request
    # a job someone else (another department's system) started
    wj = TestClient(app, headers={"Authorization": f"Bearer {tokens['wj']}"})
    county.other_job = _start_job(county, wj, None, markers[orgs["A2a"]], OTHER_DEPARTMENT)
    return county


def close(c: County) -> None:
    for client in c.clients.values():
        client.__exit__(None, None, None)


def _import_file(person: Person, phone: str) -> bytes:
    return f"姓名,公民身份号码,联系电话\n{person.name},{person.id_number},{phone}\n".encode()


def _start_job(
    c: County, client: TestClient, csrf: str | None, person: Person, department: str
) -> str:
    """A dry-run import by ``client``; waits for it and returns the job id."""
    data = {"department": department, "county": person.village[:6], "dry_run": "true"}
    headers = {}
    if csrf:
        data["csrf_token"], headers["X-CSRF-Token"] = csrf, csrf
    files = {"file": ("policy.csv", _import_file(person, _phone(c)), "text/csv")}
    started = client.post("/api/import", data=data, files=files, headers=headers)
    assert started.status_code == 202, started.text
    job = started.json()["job"]
    _wait_job(client, job)
    return job  # type: ignore[no-any-return]


def _wait_job(client: TestClient, job: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        view = client.get(f"/api/import/{job}").json()
        if view.get("status") in ("done", "failed") or time.monotonic() > deadline:
            return view  # type: ignore[no-any-return]
        time.sleep(0.05)


def _phone(c: County) -> str:
    return f"139{c.next():08d}"


@pytest.fixture(scope="module")
def cheap_passwords() -> Iterator[None]:
    """Argon2 at its cheapest: this test signs in ~40 times and is not about password cost
    (hashes carry their parameters, so verification follows)."""
    with pytest.MonkeyPatch.context() as mp:
        cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        mp.setattr(users_service, "_hasher", cheap, raising=False)
        yield


@pytest.fixture(scope="module")
def county(
    cheap_passwords: None, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[County]:
    path = tmp_path_factory.mktemp("policy") / "onesheet.db"
    shutil.copy(sqlite_template, path)
    store = Store(make_engine(f"sqlite:///{path}"))
    built = build_county(store)
    yield built
    close(built)
    store.engine.dispose()


@pytest.fixture(scope="module")
def county_pg(cheap_passwords: None, pg_server_url: str, pg_template: str) -> Iterator[County]:
    """The same installation on PostgreSQL (a database cloned from the migrated template)."""
    with scratch_database(pg_server_url, "t_policy_", pg_template, hex_digits=10) as url:
        store = Store(make_engine(url))
        try:
            built = build_county(store, people_per_county=60)
            yield built
            close(built)
        finally:
            store.engine.dispose()


# ---------------------------------------------------------------------------- requests
@dataclass
class Req:
    """One request, and how to judge what it did."""

    url: str
    params: dict[str, str] | None = None
    data: dict[str, str] | None = None
    json: Any = None
    files: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    client: TestClient | None = None
    must_show: tuple[str, ...] = ()
    echo: str = ""  # what the page repeats of the request (a search box): not a leak
    # called with whether the case is allowed: checks the write happened / did not
    verify: Callable[[bool], None] | None = None
    # turns the response into the table's answer where the status alone does not say it
    outcome: Callable[[httpx.Response], tuple[str, str]] | None = None


Builder = Callable[[County, str, str, str | None], Req]
BUILDERS: dict[tuple[str, str], Builder] = {}


def builds(method: str, *paths: str) -> Callable[[Builder], Builder]:
    def register(fn: Builder) -> Builder:
        for path in paths:
            BUILDERS[(method, path)] = fn
        return fn

    return register


def _form(csrf: str | None, **data: object) -> dict[str, str]:
    out = {k: str(v) for k, v in data.items()}
    if csrf:
        out["csrf_token"] = csrf
    return out


def _csrf_header(csrf: str | None) -> dict[str, str]:
    return {"X-CSRF-Token": csrf} if csrf else {}


def _scalar(c: County, query: Any) -> Any:
    with c.store.engine.connect() as conn:
        return conn.execute(query).scalar()


@builds(
    "GET", "/healthz", "/login", "/", "/api/summary", "/api/me", "/tasks", "/api/tasks",
    "/forms", "/gate", "/progress", "/ledger", "/api/ledger", "/feedback", "/api/feedback",
)  # fmt: skip
def _plain_get(c: County, role: str, variant: str, csrf: str | None) -> Req:
    return Req(url="")  # the route's own path


@builds("POST", "/login")
def _login(c: County, role: str, variant: str, csrf: str | None) -> Req:
    client = c.new_client(role)
    token = _csrf(client.get("/login").text)
    username = USERS.get(role, USERS["village"])[0]
    data = {"username": username, "password": PASSWORD, "next": "/"}
    if csrf is not False:  # the double-submit token, unless the case is "without CSRF"
        data["csrf_token"] = token

    def verify(allowed: bool) -> None:
        assert ("onesheet_session" in client.cookies) == allowed

    return Req(url="/login", data=data, client=client, verify=verify)


@builds("POST", "/logout")
def _logout(c: County, role: str, variant: str, csrf: str | None) -> Req:
    client, own_csrf = c.sign_in(role)
    use = own_csrf if csrf is not False else None

    def verify(allowed: bool) -> None:
        if role in SESSION_ROLES:
            assert (client.get("/api/me").status_code == 401) == allowed

    return Req(url="/logout", data=_form(use), client=client, verify=verify)


def _person(c: County, role: str, variant: str) -> Person | None:
    return None if variant == "missing" else c.markers[c.village_of(role, variant)]


@builds("GET", "/sheet", "/api/people")
def _search(c: County, role: str, variant: str, csrf: str | None) -> Req:
    p = _person(c, role, variant)
    assert p is not None
    return Req(
        url="",
        params={"q": p.name},
        must_show=(p.name,) if variant == "own" else (),
        echo=f'value="{p.name}"',
    )


@builds("GET", "/people/{entity_id}", "/api/people/{entity_id}")
def _person_read(c: County, role: str, variant: str, csrf: str | None) -> Req:
    p = _person(c, role, variant)
    return Req(
        url=f"{{prefix}}{p.entity_id if p else NO_ID}",
        must_show=(p.name,) if p and variant == "own" else (),
    )


def _observations(c: County, entity_id: int, key: str, value: str) -> int:
    o = table("observation")
    q = select(func.count()).where(
        o.c.entity_id == entity_id, o.c.field_key == key, o.c.value == value
    )
    return int(_scalar(c, q))


@builds("POST", "/people/{entity_id}/values")
def _person_write(c: County, role: str, variant: str, csrf: str | None) -> Req:
    p = _person(c, role, variant)
    eid = p.entity_id if p else NO_ID
    t = sheet_table("person")
    version = _scalar(c, select(t.c.version).where(t.c.entity_id == eid)) or 1
    phone = _phone(c)
    data = _form(csrf, version=version, field="person.phone", value=phone, reason="访问策略测试")

    def verify(allowed: bool) -> None:  # reads ``data`` late: a probe may change the field
        assert _observations(c, eid, data["field"], data["value"]) == (1 if allowed else 0)

    return Req(url=f"/people/{eid}/values", data=data, verify=verify)


def _queue_entry(c: County, role: str, variant: str) -> int:
    """A fresh open queue entry of the role's own / another area, its candidate the marker
    person of that village (its own row names nobody out of scope)."""
    if variant == "missing":
        return NO_ID
    village = c.village_of(role, variant)
    marker = c.markers[village]
    n = c.next()
    entry = {
        "county_code": village[:6], "entity_type": "person", "kind": "import",
        "source": DEPARTMENT, "batch_id": None, "file": "policy.csv", "row_no": n,
        "record": json.dumps({"person.name": f"待匹配{n}", "_reason": "weak"}, ensure_ascii=False),
        "candidates": json.dumps([[marker.entity_id, 0.7, {"name": "differs"}]]),
        "best_probability": 0.7, "org_code": village, "status": "open", "created_at": NOW,
    }  # fmt: skip
    with c.store.transaction() as conn:
        link_store.add_queue_entries(conn, [entry])
    q = table("link_queue")
    return int(_scalar(c, select(func.max(q.c.id)).where(q.c.row_no == n)))


@builds("GET", "/link")
def _link_list(c: County, role: str, variant: str, csrf: str | None) -> Req:
    return Req(url="/link")


@builds("GET", "/link/{entry_id}")
def _link_read(c: County, role: str, variant: str, csrf: str | None) -> Req:
    eid = _queue_entry(c, role, variant)
    marker = c.markers[c.village_of(role, variant)]
    return Req(url=f"/link/{eid}", must_show=(marker.name,) if variant == "own" else ())


@builds("POST", "/link/{entry_id}")
def _link_decide(c: County, role: str, variant: str, csrf: str | None) -> Req:
    eid = _queue_entry(c, role, variant)
    q = table("link_queue")

    def verify(allowed: bool) -> None:
        if eid != NO_ID:
            status = _scalar(c, select(q.c.status).where(q.c.id == eid))
            assert status == ("rejected" if allowed else "open")

    return Req(url=f"/link/{eid}", data=_form(csrf, action="reject"), verify=verify)


@builds("GET", "/api/reports/{template_id}")
def _report(c: County, role: str, variant: str, csrf: str | None) -> Req:
    template = NO_TEMPLATE if variant == "missing" else REPORT_TID
    params = {"org": c.org_of(role, variant), "format": "csv", "date": "2026-11-15"}
    shown = (c.markers[c.village_of(role, "own")].name,) if variant == "own" else ()
    return Req(url=f"/api/reports/{template}", params=params, must_show=shown)


@builds("POST", "/api/import")
def _import(c: County, role: str, variant: str, csrf: str | None) -> Req:
    p = _person(c, role, variant)
    assert p is not None
    phone = _phone(c)
    data = _form(csrf, department=own_source(role), county=p.village[:6])
    files = {"file": (f"policy-{phone}.csv", _import_file(p, phone), "text/csv")}
    client = c.clients[role]

    def outcome(resp: httpx.Response) -> tuple[str, str]:
        if resp.status_code != 202:
            return _seen(resp, "/api/import"), ""
        view = _wait_job(client, resp.json()["job"])
        wrote = _observations(c, p.entity_id, "person.phone", phone) > 0
        return ("202" if wrote else "403"), json.dumps(view, ensure_ascii=False)

    def verify(allowed: bool) -> None:
        assert _observations(c, p.entity_id, "person.phone", phone) == (1 if allowed else 0)

    return Req(
        url="/api/import", data=data, files=files, headers=_csrf_header(csrf),
        outcome=outcome, verify=verify,
    )  # fmt: skip


@builds("GET", "/api/import/{job_id}")
def _job(c: County, role: str, variant: str, csrf: str | None) -> Req:
    if variant == "missing":
        job = "no-such-job"
    elif variant == "other" or role == "anonymous":
        job = c.other_job
    else:
        if role not in c.jobs:
            client = c.clients[role]
            c.jobs[role] = _start_job(
                c, client, c.csrf[role], c.markers[c.village_of(role, "own")], own_source(role)
            )
        job = c.jobs[role] or "no-such-job"
    return Req(url=f"/api/import/{job}")


@builds("GET", "/api/import")
def _jobs(c: County, role: str, variant: str, csrf: str | None) -> Req:
    def outcome(resp: httpx.Response) -> tuple[str, str]:
        seen = _seen(resp, "/api/import")
        listed = {j["job"] for j in resp.json()["jobs"]} if seen == "200" else set()
        if seen == "200" and (c.other_job in listed) != (role == "admin"):
            return "someone else's job listed" if role != "admin" else "county job missing", ""
        return seen, ""

    return Req(url="/api/import", outcome=outcome)


def _interrupted_job(c: County, username: str, person: Person, department: str) -> str:
    """A dry-run job of ``username`` whose runner died (never started): rerunnable."""
    with c.store.engine.connect() as conn:
        u = users_store.get_user(conn, username)
    assert u is not None
    owner = Actor(u["username"], u["role"], u["org_code"], u["department"])
    job = import_jobs.start(
        c.store, owner, _import_file(person, _phone(c)), department=department,
        filename="policy.csv", county_code=person.village[:6], dry_run=True, launch=False,
    )  # fmt: skip
    with c.store.transaction() as conn:
        jobs_store.mark_interrupted(conn, job.id, 1, error={"reason": "interrupted"}, now=NOW)
    return job.id


@builds("POST", "/api/import/{job_id}/rerun")
def _rerun(c: County, role: str, variant: str, csrf: str | None) -> Req:
    if variant == "missing" or (variant == "own" and role in ("anonymous", "village", "reviewer")):
        job = "no-such-job"  # these roles start no jobs
    elif variant == "own":
        job = _interrupted_job(
            c, c.user_of(role, "own"), c.markers[c.village_of(role, "own")], own_source(role)
        )
    else:
        job = _interrupted_job(c, "wj", c.markers[c.orgs["A2a"]], OTHER_DEPARTMENT)

    def verify(allowed: bool) -> None:
        if job != "no-such-job":
            attempt = _scalar(c, select(table("import_job").c.attempt).where(
                table("import_job").c.id == job))  # fmt: skip
            assert attempt == (2 if allowed else 1)

    return Req(
        url=f"/api/import/{job}/rerun", data=_form(csrf), headers=_csrf_header(csrf),
        verify=verify,
    )  # fmt: skip


def _task(c: County, role: str, variant: str) -> int:
    return NO_ID if variant == "missing" else c.tasks[c.village_of(role, variant)]


@builds("GET", "/tasks/{task_id}", "/api/tasks/{task_id}")
def _task_read(c: County, role: str, variant: str, csrf: str | None) -> Req:
    return Req(url=f"{{prefix}}{_task(c, role, variant)}")


def _open_item(c: County, task_id: int) -> tuple[int, str, int]:
    """(entity, field, task version) of an open item of the task (phone first)."""
    i, t = table("task_item"), table("collection_task")
    with c.store.engine.connect() as conn:
        version = conn.execute(select(t.c.version).where(t.c.id == task_id)).scalar() or 1
        found = conn.execute(
            select(i.c.entity_id, i.c.field_key)
            .where(i.c.task_id == task_id, i.c.status == "open")
            .order_by(i.c.field_key.desc(), i.c.entity_id)
        ).first()
    if found is None:
        return NO_ID, "person.phone", version
    return found.entity_id, found.field_key, version


def _item_status(c: County, task_id: int, eid: int, key: str) -> str | None:
    i = table("task_item")
    q = select(i.c.status).where(i.c.task_id == task_id, i.c.entity_id == eid, i.c.field_key == key)
    return _scalar(c, q)  # type: ignore[no-any-return]


def _task_value(c: County, key: str) -> str:
    return _phone(c) if key == "person.phone" else "大学本科"


def _task_write(api: bool) -> Builder:
    def build(c: County, role: str, variant: str, csrf: str | None) -> Req:
        task = _task(c, role, variant)
        eid, key, version = _open_item(c, task)
        value = _task_value(c, key)

        def verify(allowed: bool) -> None:
            if variant != "missing":
                assert _item_status(c, task, eid, key) == ("filled" if allowed else "open")

        if api:
            body = {
                "values": [{"entity_id": eid, "field": key, "value": value}],
                "expected_version": version,
            }
            return Req(
                url=f"/api/tasks/{task}", json=body, headers=_csrf_header(csrf), verify=verify
            )
        data = _form(csrf, version=version, page=1, **{f"v:{eid}:{key}": value})
        return Req(url=f"/tasks/{task}", data=data, verify=verify)

    return build


BUILDERS[("POST", "/tasks/{task_id}")] = _task_write(api=False)
BUILDERS[("POST", "/api/tasks/{task_id}")] = _task_write(api=True)


def _clone_form(c: County, variant: str, status: str) -> str:
    """A fresh copy of the own/other department's template in ``status``."""
    base = c.own_form if variant != "other" else c.other_form
    new_id = f"tpl-p{uuid.uuid4().hex[:11]}"
    with c.store.transaction() as conn:
        row = get_template(conn, base)
        assert row is not None
        insert_template(
            conn, row.spec.model_copy(update={"id": new_id}), status=status, actor="policy",
            at=NOW, analysis=row.analysis, source_file=row.source_file,
        )  # fmt: skip
    return new_id


def _template(c: County, template_id: str) -> tuple[str, int] | None:
    t = table("form_template")
    with c.store.engine.connect() as conn:
        r = conn.execute(select(t.c.status, t.c.version).where(t.c.id == template_id)).first()
    return (r.status, r.version) if r else None


@builds("GET", "/forms/{template_id}")
def _form_read(c: County, role: str, variant: str, csrf: str | None) -> Req:
    tid = {"own": c.own_form, "other": c.other_form}.get(variant, NO_TEMPLATE)
    return Req(url=f"/forms/{tid}")


def _form_edit(action: str) -> Builder:
    def build(c: County, role: str, variant: str, csrf: str | None) -> Req:
        tid = NO_TEMPLATE if variant == "missing" else _clone_form(c, variant, "draft")
        before = _template(c, tid)
        letter = "B"
        n = c.next()
        data = {
            "map": _form(csrf, column=letter, field_key="person.phone"),
            "matter": _form(csrf, matter=""),
            "submit": _form(csrf),
            "new-field": _form(csrf, label_zh=f"策略字段{n}", value_type="text"),
        }[action]
        url = {
            "new-field": f"/forms/{tid}/columns/{letter}/new-field",
        }.get(action, f"/forms/{tid}/{action}")

        def verify(allowed: bool) -> None:
            if before is not None:
                after = _template(c, tid)
                assert after is not None and (after[1] > before[1]) == allowed

        return Req(url=url, data=data, verify=verify)

    return build


BUILDERS[("POST", "/forms/{template_id}/columns/{letter}/new-field")] = _form_edit("new-field")
BUILDERS[("POST", "/forms/{template_id}/map")] = _form_edit("map")
BUILDERS[("POST", "/forms/{template_id}/matter")] = _form_edit("matter")
BUILDERS[("POST", "/forms/{template_id}/submit")] = _form_edit("submit")


@builds("POST", "/forms/upload")
def _upload(c: County, role: str, variant: str, csrf: str | None) -> Req:
    count = select(func.count()).select_from(table("form_template"))
    before = _scalar(c, count)

    def verify(allowed: bool) -> None:
        if not allowed:
            assert _scalar(c, count) == before

    files = {"file": (OWN_FORM.name, OWN_FORM.read_bytes(), "application/octet-stream")}
    data = _form(csrf, department=DEPARTMENT)
    return Req(url="/forms/upload", data=data, files=files, verify=verify)


@builds("POST", "/gate/{template_id}/decide")
def _decide(c: County, role: str, variant: str, csrf: str | None) -> Req:
    tid = NO_TEMPLATE if variant == "missing" else _clone_form(c, variant, "submitted")

    def verify(allowed: bool) -> None:
        if variant != "missing":
            status = _template(c, tid)
            assert status is not None and status[0] == ("rejected" if allowed else "submitted")

    data = _form(csrf, decision="reject", reason="访问策略测试：退回")
    return Req(url=f"/gate/{tid}/decide", data=data, verify=verify)


@builds("POST", "/feedback")
def _feedback_submit(c: County, role: str, variant: str, csrf: str | None) -> Req:
    text_ = f"访问策略测试反馈{c.next()}"
    f = table("feedback")

    def verify(allowed: bool) -> None:
        assert _scalar(c, select(func.count()).where(f.c.text == text_)) == (1 if allowed else 0)

    return Req(url="/feedback", data=_form(csrf, kind="other", text=text_), verify=verify)


@builds("POST", "/feedback/{feedback_id}")
def _feedback_handle(c: County, role: str, variant: str, csrf: str | None) -> Req:
    f = table("feedback")
    if variant == "missing":
        fid = NO_ID
    else:
        village = c.village_of(role, variant)
        actor = Actor(f"fb{village[-3:]}", "village", village)
        fid = submit_feedback(
            c.store, actor, kind="other", text=f"待处理{c.next()}", department=DEPARTMENT
        ).id

    def verify(allowed: bool) -> None:
        if variant != "missing":
            status = _scalar(c, select(f.c.status).where(f.c.id == fid))
            assert status == ("acknowledged" if allowed else "open")

    data = _form(csrf, status="acknowledged", resolution="", version=1)
    return Req(url=f"/feedback/{fid}", data=data, verify=verify)


def _placeholder(c: County, role: str, value: str) -> str:
    """Probe values naming something of the seeded county."""
    if value == "{household of another area}":
        h = sheet_table("household")
        other = c.village_of(role, "other")
        q = select(h.c.entity_id).where(h.c.org_code.startswith(other)).order_by(h.c.entity_id)
        return str(_scalar(c, q.limit(1)))
    return value


@builds("GET", "/admin/tokens")
def _tokens_page(c: County, role: str, variant: str, csrf: str | None) -> Req:
    return Req(url="/admin/tokens")


def _tokens_of(c: County, username: str, label: str) -> int:
    t = table("api_token")
    q = select(func.count()).where(t.c.username == username, t.c.label == label)
    return int(_scalar(c, q))


@builds("POST", "/admin/tokens")
def _token_issue(c: County, role: str, variant: str, csrf: str | None) -> Req:
    username, label = c.user_of(role, variant), f"访问策略测试令牌{c.next()}"

    def verify(allowed: bool) -> None:
        assert _tokens_of(c, username, label) == (1 if allowed else 0)

    data = _form(csrf, username=username, label=label, days=30)
    return Req(url="/admin/tokens", data=data, verify=verify)


@builds("POST", "/admin/tokens/{token_id}/revoke")
def _token_revoke(c: County, role: str, variant: str, csrf: str | None) -> Req:
    t = table("api_token")
    if variant == "missing":
        token_id = NO_ID
    else:
        label = f"待吊销{c.next()}"
        issue_api_token(c.store, CLI_ADMIN, c.user_of(role, variant), label)
        token_id = _scalar(c, select(t.c.id).where(t.c.label == label))

    def verify(allowed: bool) -> None:
        if variant != "missing":
            revoked = _scalar(c, select(t.c.revoked_at).where(t.c.id == token_id))
            assert (revoked is not None) == allowed

    return Req(url=f"/admin/tokens/{token_id}/revoke", data=_form(csrf), verify=verify)


# -- org tree ------------------------------------------------------------------------------
def _division_file(c: County) -> bytes:
    """County A's division codes as loaded (re-applying them changes nothing)."""
    o = table("org_unit")
    with c.store.engine.connect() as conn:
        units = conn.execute(
            select(o.c.code, o.c.name).where(
                o.c.county_code == c.orgs["A"], o.c.level.in_(("county", "town", "village"))
            )
        ).all()
    lines = ["统计用区划代码,名称"] + [f"{u.code.ljust(12, '0')},{u.name}" for u in units]
    return ("\n".join(lines) + "\n").encode()


def _org_loads(c: County) -> int:
    a = table("audit_event")
    return int(_scalar(c, select(func.count()).where(a.c.action == "orgs.load")))


@builds("GET", "/admin/orgs")
def _orgs_page(c: County, role: str, variant: str, csrf: str | None) -> Req:
    return Req(url="/admin/orgs")


@builds("POST", "/admin/orgs/preview")
def _orgs_preview(c: County, role: str, variant: str, csrf: str | None) -> Req:
    before = _org_loads(c)

    def verify(allowed: bool) -> None:
        assert _org_loads(c) == before  # a preview never applies

    files = {"file": ("a.csv", _division_file(c), "text/csv")}
    return Req(url="/admin/orgs/preview", data=_form(csrf), files=files, verify=verify)


@builds("POST", "/admin/orgs/apply")
def _orgs_apply(c: County, role: str, variant: str, csrf: str | None) -> Req:
    before = _org_loads(c)

    def verify(allowed: bool) -> None:
        assert _org_loads(c) == before + (1 if allowed else 0)

    data = _form(csrf, data=base64.b64encode(_division_file(c)).decode(), filename="a.csv")
    return Req(url="/admin/orgs/apply", data=data, verify=verify)


# -- accounts ------------------------------------------------------------------------------
@builds(
    "GET", "/account/password", "/admin/users", "/demands", "/calendar", "/demands/ledger",
    "/api/demands/ledger", "/api/demands/ledger.xlsx", "/api/demands", "/api/eligibility/rules",
    "/api/eligibility/ledger", "/api/proofs/keys", "/api/fields", "/api/fields/merge-proposals",
    "/fields", "/eligibility",
)  # fmt: skip
def _plain_get_new(c: County, role: str, variant: str, csrf: str | None) -> Req:
    return Req(url="")


def _password_hash(c: County, username: str) -> str:
    u = table("app_user")
    return str(_scalar(c, select(u.c.password_hash).where(u.c.username == username)))


@builds("POST", "/account/password")
def _password_change(c: County, role: str, variant: str, csrf: str | None) -> Req:
    if role in SESSION_ROLES:  # a user of its own, so the shared sessions stay signed in
        username = f"pw_{USERS[role][0]}"
        client = c.new_client(role)
        page = client.get("/login")
        done = client.post(
            "/login",
            data={"username": username, "password": c.passwords.get(username, PASSWORD),
                  "csrf_token": _csrf(page.text), "next": "/"},
            follow_redirects=False,
        )  # fmt: skip
        assert done.status_code == 303, done.text
        own_csrf = _csrf(client.get("/").text) if csrf is not False else None
    else:
        username = USERS.get(role, USERS["village"])[0]
        client, own_csrf = c.clients[role], None
    before = _password_hash(c, username)
    old = c.passwords.get(username, PASSWORD)
    new = f"policy pass {c.next()}x"

    def verify(allowed: bool) -> None:
        changed = _password_hash(c, username) != before
        assert changed == allowed
        if changed:
            c.passwords[username] = new

    data = _form(own_csrf, old=old, new=new, again=new)
    return Req(url="/account/password", data=data, client=client, verify=verify)


@builds("POST", "/admin/users/{username}/{action}")
def _user_action(c: County, role: str, variant: str, csrf: str | None) -> Req:
    if variant == "missing":
        username = "no_such_user"
    else:
        where = "A2a" if variant == "own" else "B1"
        username = f"policy_user{c.next()}"
        add_user(
            c.store, CLI_ADMIN, username, role="village", org_code=c.orgs[where],
            password=PASSWORD,
        )  # fmt: skip
    u = table("app_user")

    def verify(allowed: bool) -> None:
        if variant != "missing":
            disabled = _scalar(c, select(u.c.disabled_at).where(u.c.username == username))
            assert (disabled is not None) == allowed

    return Req(url=f"/admin/users/{username}/disable", data=_form(csrf), verify=verify)


# -- demands -------------------------------------------------------------------------------
def _demand_count(c: County, title: str) -> int:
    d = table("demand")
    return int(_scalar(c, select(func.count()).where(d.c.title == title)))


def _demand_form(c: County, csrf: str | None, villages: str, title: str) -> dict[str, str]:
    return _form(
        csrf, kind="meeting", title=title, villages=villages, frequency="once", minutes=60,
        basis="访问策略测试依据", starts_on="2026-11-20",
    )  # fmt: skip


@builds("POST", "/demands")
def _demand_register(c: County, role: str, variant: str, csrf: str | None) -> Req:
    title = f"访问策略测试会议{c.next()}"
    data = _demand_form(c, csrf, c.orgs["A1a"], title)
    if role == "admin":
        data["department"] = DEPARTMENT

    def verify(allowed: bool) -> None:
        assert _demand_count(c, title) == (1 if allowed else 0)

    return Req(url="/demands", data=data, verify=verify)


def _new_demand(c: County, county_code: str) -> int:
    village = c.orgs["A1a" if county_code == COUNTY_A else "B1"]
    d = demand_service.register_demand(
        c.store, _dept_actor(county_code), kind="meeting", title=f"待审事项{c.next()}",
        villages=[village], frequency="once", minutes=30, basis="访问策略测试依据",
        starts_on=date(2026, 11, 20),
    )  # fmt: skip
    return int(d.id)


@builds("POST", "/demands/{demand_id}/decide")
def _demand_decide(c: County, role: str, variant: str, csrf: str | None) -> Req:
    d = table("demand")
    did = (
        NO_ID
        if variant == "missing"
        else _new_demand(c, COUNTY_A if variant == "own" else COUNTY_B)
    )

    def verify(allowed: bool) -> None:
        if variant != "missing":
            status = _scalar(c, select(d.c.status).where(d.c.id == did))
            assert status == ("rejected" if allowed else "submitted")

    data = _form(csrf, decision="rejected", reason="访问策略测试：退回")
    return Req(url=f"/demands/{did}/decide", data=data, verify=verify)


@builds("POST", "/calendar/flag")
def _calendar_flag(c: County, role: str, variant: str, csrf: str | None) -> Req:
    text_ = f"访问策略测试未准入事项{c.next()}"
    f = table("feedback")

    def verify(allowed: bool) -> None:
        n = _scalar(c, select(func.count()).where(f.c.text.contains(text_)))
        assert (n > 0) == allowed

    data = _form(csrf, text=text_, kind="meeting", department=DEPARTMENT)
    return Req(url="/calendar/flag", data=data, verify=verify)


# -- eligibility ---------------------------------------------------------------------------
def _rule_status(c: County, rule_id: int) -> str | None:
    r = table("eligibility_rule")
    return _scalar(c, select(r.c.status).where(r.c.id == rule_id))  # type: ignore[no-any-return]


def _rule_count(c: County, key: str) -> int:
    r = table("eligibility_rule")
    return int(_scalar(c, select(func.count()).where(r.c.rule_key == key)))


@builds("POST", "/api/eligibility/rules")
def _rule_define(c: County, role: str, variant: str, csrf: str | None) -> Req:
    key = f"policy_rule{c.next()}"

    def verify(allowed: bool) -> None:
        assert _rule_count(c, key) == (1 if allowed else 0)

    return Req(
        url="/api/eligibility/rules", json=_rule_spec(key), headers=_csrf_header(csrf),
        verify=verify,
    )  # fmt: skip


@builds("POST", "/api/eligibility/rules/{rule_id}/submit")
def _rule_submit(c: County, role: str, variant: str, csrf: str | None) -> Req:
    dept = DEPARTMENT if variant == "own" else OTHER_DEPARTMENT
    rid = (
        NO_ID
        if variant == "missing"
        else _rule(c.store, COUNTY_A, f"policy_rule{c.next()}", "draft", dept)
    )

    def verify(allowed: bool) -> None:
        if variant != "missing":
            assert _rule_status(c, rid) == ("submitted" if allowed else "draft")

    return Req(
        url=f"/api/eligibility/rules/{rid}/submit", headers=_csrf_header(csrf), verify=verify
    )


@builds("POST", "/api/eligibility/rules/{rule_id}/decide")
def _rule_decide(c: County, role: str, variant: str, csrf: str | None) -> Req:
    county_code = COUNTY_A if variant == "own" else COUNTY_B
    rid = (
        NO_ID
        if variant == "missing"
        else _rule(c.store, county_code, f"policy_rule{c.next()}", "submitted")
    )

    def verify(allowed: bool) -> None:
        if variant != "missing":
            assert _rule_status(c, rid) == ("rejected" if allowed else "submitted")

    body = {"approve": False, "reason": "访问策略测试：退回"}
    return Req(
        url=f"/api/eligibility/rules/{rid}/decide", json=body, headers=_csrf_header(csrf),
        verify=verify,
    )  # fmt: skip


@builds("GET", "/api/eligibility/run/{rule_key}")
def _rule_run(c: County, role: str, variant: str, csrf: str | None) -> Req:
    key = "no_such_rule" if variant == "missing" else RULE_KEY
    params = {"org": c.org_of(role, variant), "month": "2026-11"}
    return Req(url=f"/api/eligibility/run/{key}", params=params)


def _run_of(c: County, county_code: str) -> int:
    result = eligibility_service.run_rule(
        c.store, _dept_actor(county_code), RULE_KEY, county_code, "2026-11"
    )
    return int(result.run_id)


@builds("POST", "/api/eligibility/runs/{run_id}/confirm")
def _run_confirm(c: County, role: str, variant: str, csrf: str | None) -> Req:
    run = NO_ID if variant == "missing" else _run_of(c, COUNTY_A if variant == "own" else COUNTY_B)
    events = select(func.count()).where(table("audit_event").c.action == "eligibility.confirm")
    before = _scalar(c, events)

    def verify(allowed: bool) -> None:
        assert (_scalar(c, events) > before) == allowed

    return Req(
        url=f"/api/eligibility/runs/{run}/confirm", headers=_csrf_header(csrf), verify=verify
    )


@builds("POST", "/eligibility/rules")
def _rule_define_page(c: County, role: str, variant: str, csrf: str | None) -> Req:
    key = f"policy_rule{c.next()}"

    def verify(allowed: bool) -> None:
        assert _rule_count(c, key) == (1 if allowed else 0)

    data = _form(
        csrf, key=key, benefit="访问策略测试补贴", department=DEPARTMENT,
        effective_from="2026-01-01", cond_field_0="person.birth_date", cond_op_0="age_ge",
        cond_value_0="80", tier_label_0="80岁以上", tier_amount_0="100",
    )  # fmt: skip
    return Req(url="/eligibility/rules", data=data, verify=verify)


@builds("POST", "/eligibility/rules/{rule_id}/submit")
def _rule_submit_page(c: County, role: str, variant: str, csrf: str | None) -> Req:
    req = _rule_submit(c, role, variant, csrf)
    return Req(url=req.url.removeprefix("/api"), data=_form(csrf), verify=req.verify)


@builds("POST", "/eligibility/rules/{rule_id}/decide")
def _rule_decide_page(c: County, role: str, variant: str, csrf: str | None) -> Req:
    req = _rule_decide(c, role, variant, csrf)
    data = _form(csrf, decision="reject", reason="访问策略测试：退回")
    return Req(url=req.url.removeprefix("/api"), data=data, verify=req.verify)


@builds("GET", "/eligibility/run")
def _rule_run_page(c: County, role: str, variant: str, csrf: str | None) -> Req:
    key = "no_such_rule" if variant == "missing" else RULE_KEY
    params = {"rule": key, "org": c.org_of(role, variant), "month": "2026-11"}
    return Req(url="/eligibility/run", params=params)


@builds("POST", "/eligibility/flag")
def _rule_flag(c: County, role: str, variant: str, csrf: str | None) -> Req:
    p = _person(c, role, variant)
    eid = p.entity_id if p else NO_ID
    data = _form(csrf, entity_id=eid, field="person.phone", value=_phone(c), reason="访问策略测试")

    def verify(allowed: bool) -> None:
        assert _observations(c, eid, data["field"], data["value"]) == (1 if allowed else 0)

    return Req(url="/eligibility/flag", data=data, verify=verify)


# -- proofs --------------------------------------------------------------------------------
@builds("POST", "/api/proofs")
def _proof_ask(c: County, role: str, variant: str, csrf: str | None) -> Req:
    p = c.markers[c.village_of(role, variant)] if variant != "missing" else None
    id_number = p.id_number if p else "330523190001010000"
    count = select(func.count()).select_from(table("proof_answer"))
    before = _scalar(c, count)

    def verify(allowed: bool) -> None:
        assert _scalar(c, count) == before + (1 if allowed else 0)

    body = {
        "kind": "alive", "matter": "访问策略测试", "id_number": id_number,
        "params": {"as_of": "2026-11-15"},
    }  # fmt: skip
    return Req(url="/api/proofs", json=body, headers=_csrf_header(csrf), verify=verify)


@builds("POST", "/api/proofs/verify")
def _proof_verify(c: County, role: str, variant: str, csrf: str | None) -> Req:
    _serial, canonical, signature = c.proofs[c.orgs["A1a"]]
    body = {"canonical": canonical, "signature": signature}
    return Req(url="/api/proofs/verify", json=body, headers=_csrf_header(csrf))


@builds("GET", "/proofs/verify/{serial}")
def _proof_page(c: County, role: str, variant: str, csrf: str | None) -> Req:
    if variant == "missing":
        return Req(url="/proofs/verify/NO-SUCH-SERIAL")
    serial = c.proofs[c.village_of(role, variant)][0]
    return Req(url=f"/proofs/verify/{serial}")


# -- county fields -------------------------------------------------------------------------
@builds("GET", "/api/fields/proposals/{template_id}")
def _field_proposals(c: County, role: str, variant: str, csrf: str | None) -> Req:
    tid = {"own": c.own_form, "other": c.other_form}.get(variant, NO_TEMPLATE)
    return Req(url=f"/api/fields/proposals/{tid}")


@builds("GET", "/fields/review/{template_id}")
def _field_review_page(c: County, role: str, variant: str, csrf: str | None) -> Req:
    tid = {"own": c.own_form, "other": c.other_form}.get(variant, NO_TEMPLATE)
    return Req(url=f"/fields/review/{tid}")


def _draft_field(c: County, confirmed: bool = False) -> tuple[str, str]:
    """(key, template) of a fresh draft field of county A (confirmed: a county field)."""
    tid = _clone_form(c, "own", "draft")
    clerk = _dept_actor(COUNTY_A)
    made = form_service.create_field(
        c.store, clerk, tid, column="B", label_zh=f"策略县级字段{c.next()}", value_type="text"
    )
    key = made.field.key
    if confirmed:
        steward = Actor("policy_steward", "steward", COUNTY_A)
        county_field_service.confirm(c.store, steward, key, template_id=tid)
    return key, tid


def _county_field(c: County, key: str) -> Any:
    with c.store.engine.connect() as conn:
        return county_field_store.get(conn, COUNTY_A, key)


@builds("POST", "/api/fields/{key}/confirm")
def _field_confirm(c: County, role: str, variant: str, csrf: str | None) -> Req:
    key, tid = _draft_field(c)

    def verify(allowed: bool) -> None:
        assert (_county_field(c, key) is not None) == allowed

    body = {"template_id": tid, "reason": "访问策略测试"}
    return Req(
        url=f"/api/fields/{key}/confirm", json=body, headers=_csrf_header(csrf), verify=verify
    )


@builds("POST", "/fields/review/{template_id}/{key}")
def _field_review_confirm(c: County, role: str, variant: str, csrf: str | None) -> Req:
    key, tid = _draft_field(c)

    def verify(allowed: bool) -> None:
        assert (_county_field(c, key) is not None) == allowed

    data = _form(csrf, value_type="text", reason="访问策略测试")
    return Req(url=f"/fields/review/{tid}/{key}", data=data, verify=verify)


@builds("POST", "/api/fields/{key}/deprecate")
def _field_deprecate(c: County, role: str, variant: str, csrf: str | None) -> Req:
    key, _ = _draft_field(c, confirmed=True)

    def verify(allowed: bool) -> None:
        assert (_county_field(c, key).status == "deprecated") == allowed

    body = {"reason": "访问策略测试"}
    return Req(
        url=f"/api/fields/{key}/deprecate", json=body, headers=_csrf_header(csrf), verify=verify
    )


@builds("POST", "/api/fields/{key}/merge")
def _field_merge(c: County, role: str, variant: str, csrf: str | None) -> Req:
    key, _ = _draft_field(c, confirmed=True)
    into, _ = _draft_field(c, confirmed=True)

    def verify(allowed: bool) -> None:
        assert (_county_field(c, key).status == "deprecated") == allowed

    body = {"into": into, "reason": "访问策略测试"}
    return Req(url=f"/api/fields/{key}/merge", json=body, headers=_csrf_header(csrf), verify=verify)


# ------------------------------------------------------------------------------ judging
def _seen(resp: httpx.Response, path: str) -> str:
    """The table's word for a response."""
    location = resp.headers.get("location", "")
    if resp.status_code == 401 and path.startswith("/api/"):
        return LOGIN
    if resp.status_code in (302, 303, 307) and location.startswith("/login?"):
        return LOGIN
    return str(resp.status_code)


def _body(resp: httpx.Response) -> str:
    body = resp.content.decode("utf-8", "replace")
    if "json" in resp.headers.get("content-type", ""):
        with contextlib.suppress(ValueError):
            body += json.dumps(resp.json(), ensure_ascii=False)
    return body


def ask(
    c: County,
    row: Row,
    role: str,
    variant: str,
    *,
    with_csrf: bool = True,
    probe: Probe | None = None,
) -> None:
    """Send the case's request and compare with the policy (``with_csrf=False``: the same
    request from a cookie session without its CSRF token, which must be refused)."""
    build = BUILDERS.get((row.method, row.path))
    assert build is not None, f"no request builder for {row.method} {row.path}: add one"
    csrf: Any = c.csrf[role] if with_csrf else False  # False: the case "without CSRF"
    req = build(c, role, variant, csrf)
    url = req.url or row.path
    if "{prefix}" in url:
        url = url.replace("{prefix}", row.path.split("{", 1)[0])
    if req.data is not None and csrf is False:
        req.data.pop("csrf_token", None)
    if csrf is False:
        req.headers.pop("X-CSRF-Token", None)
    if probe is not None:
        req.params = {**(req.params or {}), **dict(probe.query)}
        if req.data is None:
            req.data = {}
        req.data.update({k: _placeholder(c, role, v) for k, v in probe.form})
    client = req.client or c.clients[role]
    resp = client.request(
        row.method, url, params=req.params, data=req.data, json=req.json, files=req.files,
        headers=req.headers, follow_redirects=False,
    )  # fmt: skip
    expected = row.expected(role, variant) if with_csrf else "403"
    if probe is not None:
        expected = probe.expected
    if req.outcome is not None:
        seen, extra = req.outcome(resp)
    else:
        seen, extra = _seen(resp, row.path), ""
    body = _body(resp) + extra
    if req.echo:
        body = body.replace(req.echo, "")
    assert seen in expected.split("|"), (
        f"{row.method} {url} as {role} ({variant}): expected {expected}, got {seen} "
        f"(HTTP {resp.status_code}): {body[:300]!r}"
    )
    leaked = [s for s in c.out_of_scope(role) if s and s in body]
    assert not leaked, f"{row.method} {url} as {role} ({variant}) shows {leaked}"
    if seen == "200":
        missing = [s for s in req.must_show if s not in body]
        assert not missing, f"{row.method} {url} as {role}: own data not shown: {missing}"
    if req.verify is not None:
        req.verify(seen in ALLOWED)


# --------------------------------------------------------------------------------- tests
def test_every_route_of_the_app_has_a_row_and_every_row_a_route() -> None:
    listed = {(r.method, r.path) for r in POLICY}
    served = set(ROUTES)
    assert served - listed == set(), "routes without a row in tests/contract/access_policy.py"
    assert listed - served == set(), "rows for routes the app no longer serves"
    assert set(BUILDERS) >= served, "routes without a request builder in this test"


def test_the_document_is_the_policy() -> None:
    text_ = DOC.read_text(encoding="utf-8")
    assert document_section(text_) == generated_section(), (
        "docs/access-policy.md is out of date: run "
        ".venv/bin/python -m tests.contract.access_policy --write"
    )


@pytest.mark.parametrize(("method", "path", "variant", "role"), list(_cases()))
def test_route_answers_as_the_policy_says(
    county: County, method: str, path: str, variant: str, role: str
) -> None:
    row = row_for(method, path)
    assert row is not None, f"{method} {path} has no row in tests/contract/access_policy.py"
    ask(county, row, role, variant)


@pytest.mark.parametrize(("method", "path", "role"), list(_no_csrf_cases()))
def test_a_cookie_write_without_its_csrf_token_is_refused(
    county: County, method: str, path: str, role: str
) -> None:
    row = row_for(method, path)
    assert row is not None
    ask(county, row, role, "own", with_csrf=False)


@pytest.mark.parametrize(
    "probe", PROBES, ids=[f"{p.method} {p.path} {p.role} {p.query or p.form}" for p in PROBES]
)
def test_probes(county: County, probe: Probe) -> None:
    row = row_for(probe.method, probe.path)
    assert row is not None
    ask(county, row, probe.role, "own", probe=probe)


@pytest.mark.postgres
@pytest.mark.parametrize(("method", "path", "variant", "role"), list(_smoke_cases()))
def test_postgresql_smoke(
    county_pg: County, method: str, path: str, variant: str, role: str
) -> None:
    row = row_for(method, path)
    assert row is not None
    ask(county_pg, row, role, variant)
