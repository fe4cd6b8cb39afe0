"""Lock-out under concurrency, and refusals that do not tell which usernames exist.

An attacker's probe sent 20 wrong passwords at once and the account never locked (each
request read the old failure count); and a locked account said "locked" while an unknown
name said "wrong password". Both are checked here on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from onesheet.domain.access import CLI_ADMIN
from onesheet.domain.orgunits import OrgUnit
from onesheet.services.auth import MAX_FAILURES, LoginRefused, login
from onesheet.services.users import add_user
from onesheet.store import orgs
from onesheet.store.schema import table

PASSWORD = "correct horse 9"
COUNTY, TOWN, VILLAGE = "330523", "330523001", "330523001001"
PARALLEL = 20


def add_small_tree(store) -> None:
    """A county, one town and one village: enough org units to add users to."""
    units = [
        OrgUnit(COUNTY, "安吉县", "county", None, COUNTY),
        OrgUnit(TOWN, "递铺街道", "town", COUNTY, COUNTY),
        OrgUnit(VILLAGE, "古城村", "village", TOWN, COUNTY),
    ]
    with store.transaction() as conn:
        orgs.insert_orgs(conn, units)


@pytest.fixture
def cadre(store):
    add_small_tree(store)
    add_user(store, CLI_ADMIN, "cadre", role="village", org_code=VILLAGE, password=PASSWORD)
    return store


def _user_row(store, username: str) -> dict:  # type: ignore[type-arg]
    t = table("app_user")
    with store.engine.connect() as conn:
        return dict(conn.execute(select(t).where(t.c.username == username)).one()._mapping)


def _refusal(store, username: str, password: str) -> LoginRefused:
    with pytest.raises(LoginRefused) as refused:
        login(store, username, password)
    return refused.value


def test_parallel_wrong_passwords_lock_the_account(cadre):
    store = cadre
    start = threading.Barrier(PARALLEL)

    def attempt(_: int) -> str:
        start.wait()
        try:
            login(store, "cadre", "wrong password")
        except LoginRefused:
            return "refused"
        return "signed in"

    with ThreadPoolExecutor(PARALLEL) as pool:
        outcomes = list(pool.map(attempt, range(PARALLEL)))
    assert outcomes == ["refused"] * PARALLEL
    row = _user_row(store, "cadre")
    assert row["failed_logins"] == PARALLEL  # every failure counted, none lost
    assert row["locked_until"] is not None  # and the count crossed the limit: locked
    _refusal(store, "cadre", PASSWORD)  # even the right password is refused now


def test_the_right_password_resets_the_count_below_the_limit(cadre):
    store = cadre
    for _ in range(MAX_FAILURES - 1):
        _refusal(store, "cadre", "wrong password")
    assert login(store, "cadre", PASSWORD).actor.username == "cadre"
    row = _user_row(store, "cadre")
    assert row["failed_logins"] == 0 and row["locked_until"] is None


def test_locked_and_unknown_usernames_get_the_same_answer(cadre):
    store = cadre
    for _ in range(MAX_FAILURES):
        _refusal(store, "cadre", "wrong password")
    answers = {
        (e.message_zh, e.message_en)
        for e in (
            _refusal(store, "cadre", PASSWORD),  # locked, right password
            _refusal(store, "cadre", "wrong password"),  # locked, wrong password
            _refusal(store, "nobody_here", "wrong password"),  # no such user
            _refusal(store, "nobody_here", PASSWORD),
        )
    }
    assert len(answers) == 1, answers


def test_every_refusal_costs_one_argon2_verify(cadre, monkeypatch):
    """Unknown names and locked accounts take the same argon2 work as a wrong password."""
    store = cadre
    calls: list[str] = []
    real_verify = PasswordHasher.verify

    def counting_verify(self, hash, password):  # type: ignore[no-untyped-def]
        calls.append(password)
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    _refusal(store, "nobody_here", "wrong password")
    assert len(calls) == 1, "an unknown username must still verify a (dummy) hash"
    for _ in range(MAX_FAILURES):
        _refusal(store, "cadre", "wrong password")
    calls.clear()
    _refusal(store, "cadre", PASSWORD)
    assert len(calls) == 1, "a locked account must still verify the password"


def test_a_lock_that_ran_out_starts_the_count_again(cadre):
    """After the lock-out ends, one wrong password must not lock the account again at once
    (else anyone who knows a username keeps it locked with one guess per quarter hour)."""
    from datetime import timedelta

    from onesheet.services.auth import LOCK_MINUTES
    from onesheet.services.base import utcnow

    store = cadre
    for _ in range(MAX_FAILURES):
        _refusal(store, "cadre", "wrong password")
    later = utcnow() + timedelta(minutes=LOCK_MINUTES + 1)
    with pytest.raises(LoginRefused):
        login(store, "cadre", "wrong password", now=later)
    row = _user_row(store, "cadre")
    assert row["failed_logins"] == 1 and row["locked_until"] is None
    assert login(store, "cadre", PASSWORD, now=later).actor.username == "cadre"
