"""The access policy as data: who may call which route, and what they get back.

This module is the single source of ``docs/access-policy.md`` (the table between the
``BEGIN``/``END`` markers there is rendered from ``POLICY``; ``test_access_policy.py`` fails
when the two differ) and of the contract test that sends every request as every role.

It states the policy as it SHOULD be, not as the app happens to behave. Where the app
disagrees, the test marks that case ``xfail(strict=True)`` for the time being — the table is
never bent to fit the app.

Regenerate the document after changing a row::

    .venv/bin/python -m tests.contract.access_policy --write
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

# Who calls. ``token`` is a department system calling with ``Authorization: Bearer os_…``,
# issued to a user of the same department (civil_affairs) as ``department``.
ROLES: tuple[str, ...] = (
    "anonymous",
    "village",
    "town",
    "department",
    "reviewer",
    "admin",
    "token",
)

ROLE_TITLES: dict[str, str] = {
    "anonymous": "anonymous",
    "village": "village cadre",
    "town": "town staff",
    "department": "department staff",
    "reviewer": "reviewer",
    "admin": "admin",
    "token": "Bearer token (department)",
}

# What each role's "own area" and "another area" are in the seeded installation (two
# counties, A and B; county A has town A1 with villages A1a and A1b, and town A2).
AREAS: dict[str, tuple[str, str, str]] = {
    #            user        own area                   another area
    "anonymous": ("—", "—", "—"),
    "village": ("cadre @ A1a", "village A1a", "village A1b (same town)"),
    "town": ("town1 @ A1", "town A1", "town A2 (same county)"),
    "department": ("mz @ A, civil_affairs", "county A", "county B"),
    "reviewer": ("rev @ A", "county A", "county B"),
    "admin": ("admin @ A", "county A", "county B"),
    "token": ("mz_sys @ A, civil_affairs", "county A", "county B"),
}

# Cell values: an HTTP status the route must answer, or
#   login — not signed in: 401 on /api/…, a 303 redirect to /login?next=… on pages;
#   n/a   — no such request exists for this role (e.g. a job the role can never start).
LOGIN = "login"
NA = "n/a"
ALLOWED = frozenset({"200", "202", "303"})
DENIED = frozenset({"401", "403", "404", LOGIN})

# The three ways the same route may be asked, for routes whose answer depends on an area.
VARIANTS = ("own", "other", "missing")


@dataclass(frozen=True)
class Row:
    """One route: the answer per role, for the caller's own area and for another area.

    ``own`` and ``other`` hold one cell per role, in ``ROLES`` order, separated by spaces.
    ``other`` is None for routes that name no area (then ``own`` is the only column).
    ``target`` says what the own/other request names: ``person``, ``task``, ``template``,
    ``feedback``, ``job``, ``queue`` (a link-queue entry), ``org`` (a query parameter),
    ``search`` (the query names a person of that area) or ``file`` (the uploaded file names a
    person of that area).
    """

    method: str
    path: str
    own: str
    other: str | None = None
    target: str = ""
    note: str = ""

    def cells(self, variant: str) -> dict[str, str]:
        raw = self.own if variant == "own" else self.other
        assert raw is not None, f"{self.method} {self.path} has no {variant!r} column"
        tokens = raw.split()
        assert len(tokens) == len(ROLES), f"{self.method} {self.path}: {raw!r}"
        return dict(zip(ROLES, tokens, strict=True))

    def expected(self, role: str, variant: str) -> str:
        """The answer for ``role`` (alternatives separated by ``|``). ``missing`` (an id that
        does not exist) is derived: 404 where the own answer is allowed; where it is 403,
        403 or 404 (a refusal either way); else (login, n/a) the own answer."""
        if variant == "missing":
            own = self.cells("own")[role]
            if own in ALLOWED:
                return "404"
            return "403|404" if own == "403" else own
        return self.cells(variant)[role]

    @property
    def writes(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH", "DELETE")

    @property
    def has_ids(self) -> bool:
        return "{" in self.path


#     roles:  anonymous village town department reviewer admin token
_SIGNED_IN = "login 200 200 200 200 200 200"
_PUBLIC = "200 200 200 200 200 200 200"
_SHEET_READ = "login 200 200 200 403 200 200"
_ALL_403 = "login 403 403 403 403 403 403"
_FORM_EDIT_OWN = "login 403 403 303 403 303 303"
_FORM_EDIT_OTHER = "login 403 403 403 403 303 403"

POLICY: tuple[Row, ...] = (
    # -- public -------------------------------------------------------------------------
    Row("GET", "/healthz", _PUBLIC, note="liveness probe"),
    Row("GET", "/login", _PUBLIC, note="sign-in page"),
    Row(
        "POST",
        "/login",
        "303 303 303 303 303 303 303",
        note="with the page's double-submit token and the caller's own credentials",
    ),
    Row("GET", "/", _PUBLIC, note="public overview: counts only"),
    Row("GET", "/api/summary", _PUBLIC, note="public overview: counts only"),
    # -- signed in ------------------------------------------------------------------------
    Row(
        "POST",
        "/logout",
        "login 303 303 303 303 303 303",
        note="ends the caller's own session (a token has none to end)",
    ),
    Row("GET", "/api/me", _SIGNED_IN),
    # -- the sheet (一张表): personal data, own subtree only; reviewer none ---------------
    Row(
        "GET",
        "/sheet",
        _SHEET_READ,
        _SHEET_READ,
        target="search",
        note="other: searching another area's person by name finds nothing",
    ),
    Row(
        "GET",
        "/api/people",
        _SHEET_READ,
        _SHEET_READ,
        target="search",
        note="other: searching another area's person by name finds nothing",
    ),
    Row("GET", "/people/{entity_id}", _SHEET_READ, _ALL_403, target="person"),
    Row("GET", "/api/people/{entity_id}", _SHEET_READ, _ALL_403, target="person"),
    Row(
        "POST",
        "/people/{entity_id}/values",
        "login 303 303 403 403 303 403",
        _ALL_403,
        target="person",
        note="a correction; departments change their own systems, not the sheet",
    ),
    # -- the link queue: rows an import could not place, decided by town and village staff
    Row(
        "GET",
        "/link",
        "login 200 200 403 403 200 403",
        note="lists open entries of the caller's subtree only; link.review excludes departments",
    ),
    Row("GET", "/link/{entry_id}", "login 200 200 403 403 200 403", _ALL_403, target="queue"),
    Row(
        "POST",
        "/link/{entry_id}",
        "login 303 303 403 403 303 403",
        _ALL_403,
        target="queue",
        note="link / create / reject through services/linkage_queue.decide (scope, audit)",
    ),
    # -- reports and imports --------------------------------------------------------------
    Row(
        "GET",
        "/api/reports/{template_id}",
        _SHEET_READ,
        _ALL_403,
        target="org",
        note="an approved template for ?org= of the caller's area / another area",
    ),
    Row(
        "POST",
        "/api/import",
        "login 403 202 202 403 202 202",
        _ALL_403,
        target="file",
        note=(
            "202 = the job ran and wrote the file's values; 403 = refused at once, or the job "
            "refused the file, or wrote nothing for the other area's person"
        ),
    ),
    Row(
        "GET",
        "/api/import/{job_id}",
        "login n/a 200 200 n/a 200 200",
        "login 404 404 404 404 200 404",
        target="job",
        note="own: a job the caller started; other: a job another user started",
    ),
    Row(
        "GET",
        "/api/import",
        "login 403 200 200 403 200 200",
        note="the caller's own jobs (an administrator: every job of its county)",
    ),
    Row(
        "POST",
        "/api/import/{job_id}/rerun",
        "login n/a 202 202 n/a 202 202",
        "login 404 404 404 404 202 404",
        target="job",
        note="own: an interrupted job the caller started; other: another user's",
    ),
    # -- collection tasks (采集任务) ------------------------------------------------------
    Row("GET", "/tasks", _SHEET_READ, note="lists tasks of the caller's subtree only"),
    Row("GET", "/api/tasks", _SHEET_READ, note="lists tasks of the caller's subtree only"),
    Row("GET", "/tasks/{task_id}", _SHEET_READ, _ALL_403, target="task"),
    Row("GET", "/api/tasks/{task_id}", _SHEET_READ, _ALL_403, target="task"),
    Row(
        "POST",
        "/tasks/{task_id}",
        "login 303 303 403 403 303 403",
        _ALL_403,
        target="task",
        note="villages and towns fill; departments only read",
    ),
    Row(
        "POST",
        "/api/tasks/{task_id}",
        "login 200 200 403 403 200 403",
        _ALL_403,
        target="task",
        note="villages and towns fill; departments only read",
    ),
    # -- forms and the Gate: departments manage only their own department's templates -----
    Row("GET", "/forms", "login 403 403 200 200 200 200", note="a department lists its own"),
    Row("POST", "/forms/upload", "login 403 403 303 403 303 303"),
    Row(
        "GET",
        "/forms/{template_id}",
        "login 403 403 200 200 200 200",
        "login 403 403 403 200 200 403",
        target="template",
        note="own: the caller's department's template; other: another department's",
    ),
    Row(
        "POST",
        "/forms/{template_id}/columns/{letter}/new-field",
        _FORM_EDIT_OWN,
        _FORM_EDIT_OTHER,
        target="template",
    ),
    Row("POST", "/forms/{template_id}/map", _FORM_EDIT_OWN, _FORM_EDIT_OTHER, target="template"),
    Row("POST", "/forms/{template_id}/matter", _FORM_EDIT_OWN, _FORM_EDIT_OTHER, target="template"),
    Row("POST", "/forms/{template_id}/submit", _FORM_EDIT_OWN, _FORM_EDIT_OTHER, target="template"),
    Row("GET", "/gate", "login 403 403 403 200 200 403", note="the reviewer's queue"),
    Row(
        "POST",
        "/gate/{template_id}/decide",
        "login 403 403 403 303 303 403",
        "login 403 403 403 303 303 403",
        target="template",
        note="only the reviewer (and admin) decide, for any department",
    ),
    Row("GET", "/progress", "login 403 200 200 403 200 200", note="counts in the caller's subtree"),
    Row("GET", "/ledger", "login 403 200 200 200 200 200", note="counts only"),
    Row("GET", "/api/ledger", "login 403 200 200 200 200 200", note="counts only"),
    # -- feedback (反馈) --------------------------------------------------------------------
    Row(
        "GET", "/feedback", _SIGNED_IN, note="items of the caller's subtree (department: naming it)"
    ),
    Row("GET", "/api/feedback", _SIGNED_IN, note="as /feedback"),
    Row("POST", "/feedback", "login 303 303 403 403 403 403", note="villages and towns flag"),
    Row(
        "POST",
        "/feedback/{feedback_id}",
        "login 403 303 403 303 303 403",
        _ALL_403,
        target="feedback",
        note="towns, reviewers and admins handle items of their subtree",
    ),
    # -- administration: API tokens, for users of the administrator's own area only --------
    Row(
        "GET",
        "/admin/tokens",
        "login 403 403 403 403 200 403",
        note="lists the tokens of the caller's area's users",
    ),
    Row(
        "POST",
        "/admin/tokens",
        "login 403 403 403 403 200 403",
        _ALL_403,
        target="user",
        note="issue a token (shown once, in the 200 answer) for a user of that area",
    ),
    Row(
        "POST",
        "/admin/tokens/{token_id}/revoke",
        "login 403 403 403 403 303 403",
        _ALL_403,
        target="token",
        note="revoke a token of a user of that area",
    ),
    # -- administration: the org tree (division codes) of the administrator's county -------
    Row("GET", "/admin/orgs", "login 403 403 403 403 200 403", note="org-tree upload page"),
    Row(
        "POST",
        "/admin/orgs/preview",
        "login 403 403 403 403 200 403",
        note="check and diff an uploaded division-code file; writes nothing",
    ),
    Row(
        "POST",
        "/admin/orgs/apply",
        "login 403 403 403 403 303 403",
        note="apply the previewed file (checked again) in one transaction",
    ),
    # -- accounts: one's own password; the administrator's account list, own area only ------
    Row(
        "GET",
        "/account/password",
        "login 200 200 200 200 200 403",
        note="a person's own password (a token is a system: it has none to change)",
    ),
    Row(
        "POST",
        "/account/password",
        "login 303 303 303 303 303 403",
        note="with the caller's current password",
    ),
    Row("GET", "/admin/users", "login 403 403 403 403 200 403", note="accounts of the area"),
    Row(
        "POST",
        "/admin/users/{username}/{action}",
        "login 403 403 403 403 303 403",
        _ALL_403,
        target="user",
        note="disable / enable / reset a user of that area",
    ),
    # -- demands on villages (涉村事项): departments register, the Gate decides -------------
    Row("GET", "/demands", "login 403 403 200 200 200 200", note="a department lists its own"),
    Row(
        "POST",
        "/demands",
        "login 403 403 303 403 303 303",
        note="register a demand (a department only as itself)",
    ),
    Row(
        "POST",
        "/demands/{demand_id}/decide",
        "login 403 403 403 303 303 403",
        "login 403 403 403 404 404 403",
        target="demand",
        note="own: a demand on county A's villages; other: county B's (not found)",
    ),
    Row("GET", "/calendar", "login 200 200 403 403 403 403", note="the caller's villages"),
    Row(
        "POST",
        "/calendar/flag",
        "login 200 200 403 403 403 403",
        note="flag a demand that came outside the Gate (filed as feedback)",
    ),
    Row("GET", "/demands/ledger", _SIGNED_IN, note="counts of the caller's area"),
    Row("GET", "/api/demands/ledger", _SIGNED_IN, note="counts of the caller's area"),
    Row("GET", "/api/demands/ledger.xlsx", _SIGNED_IN, note="counts of the caller's area"),
    Row("GET", "/api/demands", _SIGNED_IN, note="demands the caller may see"),
    # -- eligibility rules (补贴规则) through the Gate, runs, proofs ------------------------
    Row("GET", "/api/eligibility/rules", _SIGNED_IN, note="rules of the caller's county"),
    Row(
        "POST",
        "/api/eligibility/rules",
        "login 403 403 200 403 200 200",
        note="define a rule (a department only for itself)",
    ),
    Row(
        "POST",
        "/api/eligibility/rules/{rule_id}/submit",
        "login 403 403 200 403 200 200",
        "login 403 403 403 403 200 403",
        target="rule",
        note="own: the caller's department's draft rule; other: another department's",
    ),
    Row(
        "POST",
        "/api/eligibility/rules/{rule_id}/decide",
        "login 403 403 403 200 200 403",
        _ALL_403,
        target="rule",
        note="own: a submitted rule of county A; other: of county B",
    ),
    Row(
        "GET",
        "/api/eligibility/run/{rule_key}",
        _SHEET_READ,
        _ALL_403,
        target="org",
        note="an approved rule run for ?org= of the caller's area / another area",
    ),
    Row(
        "POST",
        "/api/eligibility/runs/{run_id}/confirm",
        "login 403 403 200 403 200 200",
        _ALL_403,
        target="run",
        note="own: a run of the caller's department in county A; other: in county B",
    ),
    Row("GET", "/api/eligibility/ledger", "login 403 200 200 200 200 200", note="counts only"),
    Row(
        "POST",
        "/api/proofs",
        _SHEET_READ,
        _ALL_403,
        target="person",
        note="a signed answer about a person of that area",
    ),
    Row(
        "POST",
        "/api/proofs/verify",
        _PUBLIC,
        note="public by design: shows only what the signed answer says",
    ),
    Row("GET", "/api/proofs/keys", _PUBLIC, note="public signing keys"),
    Row(
        "GET",
        "/proofs/verify/{serial}",
        _PUBLIC,
        _PUBLIC,
        target="proof",
        note="public by design: the printed serial's page",
    ),
    Row("GET", "/eligibility", _SIGNED_IN, note="rules of the caller's county, no personal data"),
    Row(
        "POST",
        "/eligibility/rules",
        "login 403 403 303 403 303 303",
        note="the define form (a department only for itself)",
    ),
    Row(
        "POST",
        "/eligibility/rules/{rule_id}/submit",
        "login 403 403 303 403 303 303",
        "login 403 403 403 403 303 403",
        target="rule",
        note="own: the caller's department's draft rule; other: another department's",
    ),
    Row(
        "POST",
        "/eligibility/rules/{rule_id}/decide",
        "login 403 403 403 303 303 403",
        _ALL_403,
        target="rule",
        note="own: a submitted rule of county A; other: of county B",
    ),
    Row(
        "GET",
        "/eligibility/run",
        _SHEET_READ,
        _ALL_403,
        target="org",
        note="the run page: an approved rule run for ?org= of the caller's area / another area",
    ),
    Row(
        "POST",
        "/eligibility/flag",
        "login 303 303 403 403 303 403",
        _ALL_403,
        target="person",
        note="a village flags a listed person's wrong input: an ordinary correction",
    ),
    # -- the field catalogue (数据元目录); county fields are the steward's (and admin's) ------
    Row("GET", "/api/fields", _SIGNED_IN, note="definitions and counts, no personal data"),
    Row("GET", "/api/fields/merge-proposals", _SIGNED_IN, note="definitions only"),
    Row(
        "GET",
        "/fields",
        _SIGNED_IN,
        note="the catalogue page: definitions and fill counts of the caller's area, no values",
    ),
    Row(
        "GET",
        "/fields/review/{template_id}",
        "login 403 403 200 200 200 200",
        "login 403 403 403 200 200 403",
        target="template",
        note="a form's new columns with sample cells, as /api/fields/proposals/{template_id}",
    ),
    Row(
        "POST",
        "/fields/review/{template_id}/{key}",
        "login 403 403 403 303 303 403",
        note="the steward's confirmation of a draft field of the caller's county (as the API)",
    ),
    Row(
        "GET",
        "/api/fields/proposals/{template_id}",
        "login 403 403 200 200 200 200",
        "login 403 403 403 200 200 403",
        target="template",
        note="a template's new columns with sample cells: as /forms/{template_id}",
    ),
    Row(
        "POST",
        "/api/fields/{key}/confirm",
        "login 403 403 403 200 200 403",
        note="a draft field of the caller's county (steward, reviewer at the Gate, admin)",
    ),
    Row(
        "POST",
        "/api/fields/{key}/deprecate",
        "login 403 403 403 200 200 403",
        note="a county field of the caller's county (steward, reviewer, admin)",
    ),
    Row(
        "POST",
        "/api/fields/{key}/merge",
        "login 403 403 403 200 200 403",
        note="a county field into another of the caller's county (steward, reviewer, admin)",
    ),
)


@dataclass(frozen=True)
class Probe:
    """A route's own-area request as one role, with some parameters changed on purpose."""

    method: str
    path: str
    role: str
    expected: str
    query: tuple[tuple[str, str], ...] = ()
    form: tuple[tuple[str, str], ...] = ()
    note: str = ""


PROBES: tuple[Probe, ...] = (
    Probe(
        "GET", "/api/people", "department", "422", query=(("limit", "-1"),),
        note="a result limit below 1 is refused, not read as 'no limit'",
    ),
    Probe(
        "GET", "/api/people", "department", "422", query=(("limit", "100000"),),
        note="a result limit above 200 is refused",
    ),
    Probe(
        "POST", "/api/import", "department", "403", form=(("department", "health"),),
        note="a department imports only as its own department",
    ),
    Probe(
        "POST", "/api/import", "token", "403", form=(("department", "health"),),
        note="a department's system imports only as that department",
    ),
    Probe(
        "POST", "/api/import", "town", "403", form=(("department", "civil_affairs"),),
        note="town staff import only as the village collection, never as a department",
    ),
    Probe(
        "POST", "/people/{entity_id}/values", "village", "403",
        form=(("field", "person.household"), ("value", "{household of another area}")),
        note="a correction may not point an own person at another village's household",
    ),
    Probe(
        "POST", "/demands", "department", "403", form=(("department", "health"),),
        note="a department registers demands only as itself",
    ),
)  # fmt: skip

# Paths the policy deliberately leaves out (static files and the OpenAPI documentation).
EXCLUDED_PREFIXES = ("/static", "/docs", "/redoc", "/openapi.json")


def row_for(method: str, path: str) -> Row | None:
    return next((r for r in POLICY if r.method == method and r.path == path), None)


# -------------------------------------------------------------------------- the document
BEGIN = "<!-- BEGIN POLICY TABLE (generated by tests/contract/access_policy.py) -->"
END = "<!-- END POLICY TABLE -->"
DOC = Path(__file__).parents[2] / "docs" / "access-policy.md"


def render_table() -> str:
    """The policy table in Markdown (what sits between BEGIN and END in the document)."""
    head = ["route", "area"] + [ROLE_TITLES[r] for r in ROLES] + ["note"]
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" for _ in head) + "|",
    ]
    for row in POLICY:
        variants = ("own", "other") if row.other is not None else ("own",)
        for variant in variants:
            cells = row.cells(variant)
            area = {"own": "own" if row.other is not None else "—", "other": "another"}[variant]
            route = f"`{row.method} {row.path}`" if variant == "own" else "〃"
            note = row.note if variant == "own" else ""
            if variant == "own" and row.target:
                note = f"({row.target}) {note}".strip()
            lines.append(
                "| " + " | ".join([route, area] + [cells[r] for r in ROLES] + [note]) + " |"
            )
    return "\n".join(lines)


def render_areas() -> str:
    lines = ["| role | user in the test | own area | another area |", "|---|---|---|---|"]
    for role in ROLES:
        user, own, other = AREAS[role]
        lines.append(f"| {ROLE_TITLES[role]} | {user} | {own} | {other} |")
    return "\n".join(lines)


def render_probes() -> str:
    lines = ["| request | as | changed | answer | why |", "|---|---|---|---|---|"]
    for p in PROBES:
        changed = ", ".join(f"{k}={v}" for k, v in (*p.query, *p.form))
        lines.append(
            f"| `{p.method} {p.path}` | {ROLE_TITLES[p.role]} | `{changed}` | {p.expected} "
            f"| {p.note} |"
        )
    return "\n".join(lines)


def generated_section() -> str:
    return "\n\n".join(
        [
            BEGIN,
            f"{len(POLICY)} routes × {len(ROLES)} roles.",
            "### Areas",
            render_areas(),
            "### Routes",
            render_table(),
            "### Probes (the own-area request with one parameter changed on purpose)",
            render_probes(),
            END,
        ]
    )


def document_section(text: str) -> str:
    """The generated section as it stands in the document (BEGIN … END inclusive)."""
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[start:end]


def write_document(path: Path = DOC) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(document_section(text), generated_section()), encoding="utf-8")


if __name__ == "__main__":
    if "--write" in sys.argv:
        write_document()
    else:
        print(generated_section())
