"""Attacker's probes of the code added on 2026-11-29/30 (issue 10's rules), both backends.

Each test is one probe: what an attacker holding an ordinary account tries, and what must
hold — reads through the actor's scope (org subtree + granted fields), every read of
personal data audited, and a masked viewer's views taken together not rebuilding a hidden
value. Probes that found a hole say so; the fix is in the service named.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from onesheet.domain.access import AccessDenied, Actor
from onesheet.domain.findings import InvalidInput
from onesheet.domain.values.idnumber import make_id_number
from onesheet.services import org_tree
from onesheet.services.base import Store
from onesheet.services.eligibility import (
    decide_rule,
    define_rule,
    import_enrolment,
    run_rule,
    submit_rule,
)
from onesheet.services.proofs import ask_proof
from onesheet.services.sheet_read import ID_LOOKUP_MISSES, read_entity, search_people
from onesheet.store.schema import table
from tests.integration.helpers import COUNTY, seed_small
from tests.reports.support import children, sheet_rows

CIVIL = Actor("mz", "department", COUNTY, "civil_affairs")  # sees ID numbers in full
HEALTH = Actor("wj", "department", COUNTY, "health")  # sees ID numbers masked
REVIEWER = Actor("rv", "reviewer", COUNTY)
ADMIN = Actor("adm", "admin", None)
MONTH = "2026-11"
RULE = {
    "key": "gaoling_probe",
    "benefit": "高龄津贴",
    "department": "civil_affairs",
    "conditions": {
        "and": [
            {"field": "person.birth_date", "op": "age_ge", "value": 70},
            {"field": "person.death_date", "op": "is_null"},
        ]
    },
    "tiers": [{"label": "70岁以上", "amount": "100"}],
    "effective_from": "2026-01-01",
}


def _masked(number: str) -> str:
    return number[:14] + "****"


def _village_people(store: Store) -> tuple[str, list[dict]]:  # type: ignore[type-arg]
    town = children(store, COUNTY)[0]
    village = children(store, town)[0]
    people = [p for p in sheet_rows(store, "person") if p["org_code"].startswith(village)]
    return village, [p for p in people if p["id_number"] and p["name"]]


def recorded_reason(store: Store, reason: Callable[[str], str]) -> tuple[str, int, str]:
    """A small county where a town clerk corrects a village person's phone giving
    ``reason(their ID number)``: (the village, the person's entity id, the ID number)."""
    from onesheet.services.sheet_write import Change, record_changes

    seed_small(store, people=60)
    village, people = _village_people(store)
    person = people[0]
    number = person["id_number"]
    change = Change("person.phone", "13800000000", reason=reason(number))
    record_changes(store, Actor("clerk", "town", village[:9]), person["entity_id"], [change])
    return village, person["entity_id"], number


def history_reasons(store: Store, actor: Actor, entity_id: int) -> str:
    """Every reason on the person's card history, as ``actor`` reads them."""
    card = read_entity(store, actor, entity_id, with_history=True)
    return " ".join(str(h.get("reason") or "") for h in card.history)


def _unused_numbers(store: Store, n: int) -> list[str]:
    taken = {p["id_number"] for p in sheet_rows(store, "person")}
    free = (make_id_number(COUNTY, date(1950, 1, 1), i) for i in range(1000))
    return [x for x in free if x not in taken][:n]


def _events(store: Store, action: str) -> list[dict]:  # type: ignore[type-arg]
    a = table("audit_event")
    with store.engine.connect() as conn:
        rows = conn.execute(select(a).where(a.c.action == action).order_by(a.c.id))
        return [dict(r._mapping) for r in rows]


# ------------------------------------------------------------------ person card as_of (held)
def test_card_as_of_reads_through_todays_scope_masked_and_audited(store: Store) -> None:
    """Probe: a person whose village was merged away — can the old village's or another
    village's cadre read them as of a day they lived there; does the survivor's cadre see
    the past unmasked or unaudited? Held: scope is where the person is now, the card as of
    a past day shows the old village, masks the ID number and is audited with the day."""
    seed_small(store, people=120)
    town, elsewhere = children(store, COUNTY)[:2]
    v1, v2 = children(store, town)[:2]
    v3 = children(store, elsewhere)[0]
    person = next(
        p for p in sheet_rows(store, "person") if p["org_code"].startswith(v1) and p["id_number"]
    )
    # merged tomorrow: today's values are all known by the end of today, the day read as of
    today = date.today()
    org_tree.merge_org(store, ADMIN, v1, v2, effective=today + timedelta(days=1))
    before = datetime.combine(today, datetime.max.time())
    survivor = Actor("c2", "village", v2)
    card = read_entity(store, survivor, person["entity_id"], as_of=before, with_history=True)
    assert card.org_code == person["org_code"]  # the village's grid of that day …
    assert card.value("person.id_number") == _masked(person["id_number"])  # … still masked
    shown = {str(h["value"]) for h in card.history if h["field_key"] == "person.id_number"}
    assert shown == {_masked(person["id_number"])}
    read = _events(store, "sheet.read")[-1]
    assert read["actor"] == "c2" and f"as_of={today.isoformat()}" in read["detail"]
    for outsider in (Actor("c1", "village", v1), Actor("c3", "village", v3)):  # old, other
        for when in (before, None):
            with pytest.raises(AccessDenied):
                read_entity(store, outsider, person["entity_id"], as_of=when)
    assert {e["actor"] for e in _events(store, "denied")} >= {"c1", "c3"}


# ------------------------------------------------------- proofs: a full-number oracle (hole)
def test_proofs_do_not_let_a_masked_viewer_guess_id_numbers(store: Store) -> None:
    """Probe: a village cadre sees 33052319460101**** and the sex; asking a proof (健在证明)
    for each of the ~500 numbers that fit answers "no such person" for all but the right
    one — the full number rebuilt, unrationed and with the misses unaudited. Hole: fixed in
    services/proofs.py — a masked viewer's misses are audited and share the search's daily
    ration; a refusal outside the scope names no village."""
    seed_small(store, people=120)
    village, people = _village_people(store)
    cadre = Actor("cadre", "village", village)
    person = people[0]
    guesses = _unused_numbers(store, ID_LOOKUP_MISSES)
    half = ID_LOOKUP_MISSES // 2
    for guess in guesses[:half]:
        assert search_people(store, cadre, guess) == []
    for guess in guesses[half:]:
        with pytest.raises(InvalidInput):
            ask_proof(store, cadre, "alive", "健在证明", guess, params={"as_of": "2026-11-01"})
    misses = [e for e in _events(store, "proofs.ask") if e["entity_count"] == 0]
    assert len(misses) == ID_LOOKUP_MISSES - half  # every miss audited
    with pytest.raises(AccessDenied):  # the ration is spent: even the right number
        ask_proof(
            store, cadre, "alive", "健在证明", person["id_number"], params={"as_of": "2026-11-01"}
        )
    with pytest.raises(AccessDenied):  # and the search shares it
        search_people(store, cadre, person["id_number"])
    # a full viewer is not rationed (the number is shown to them anyway)
    assert ask_proof(
        store, CIVIL, "alive", "健在证明", person["id_number"], params={"as_of": "2026-11-01"}
    ).answer in ("yes", "no", "unknown")
    # another village's person: refused without naming where they live
    elsewhere = next(
        p for p in sheet_rows(store, "person") if p["id_number"] and p["org_code"][:12] != village
    )
    other = Actor("cadre2", "village", village)
    with pytest.raises(AccessDenied) as refused:
        ask_proof(
            store,
            other,
            "alive",
            "健在证明",
            elsewhere["id_number"],
            params={"as_of": "2026-11-01"},
        )
    assert elsewhere["org_code"] not in refused.value.message_zh + refused.value.message_en


# ------------------------------------------------- enrolment import: roster oracle (hole)
def _approved_rule(store: Store) -> None:
    row = define_rule(store, CIVIL, RULE)
    submit_rule(store, CIVIL, row.id)
    assert decide_rule(store, REVIEWER, row.id, approve=True, reason="只读一张表") == "approved"


def test_enrolment_import_is_no_full_number_oracle_nor_another_departments_roster(
    store: Store,
) -> None:
    """Probe: a department that sees ID numbers masked uploads a 'roster' of every number
    that fits a masked ID: the refusal names each unknown row, so the one row not named is
    the full number (one request). And it writes into another department's benefit roster.
    Hole: fixed in services/eligibility.import_enrolment — the rule must be the actor's
    department's, and loading a roster by full numbers needs the ID number in full."""
    seed_small(store, people=120)
    _approved_rule(store)
    _, people = _village_people(store)
    person = people[0]
    fits = [*_unused_numbers(store, 30), person["id_number"]]
    et = table("eligibility_enrolment")
    for actor in (HEALTH, Actor("wj2", "department", COUNTY, "veterans")):
        with pytest.raises(AccessDenied) as refused:
            import_enrolment(
                store, actor, RULE["key"], [{"id_number": x} for x in fits], since=date(2026, 1, 1)
            )
        assert "row" not in str(refused.value)
        with pytest.raises(AccessDenied):  # not even the right number alone
            import_enrolment(
                store, actor, RULE["key"], [{"id_number": person["id_number"]}],
                since=date(2026, 1, 1),
            )  # fmt: skip
    with store.engine.connect() as conn:
        assert conn.execute(select(et)).all() == []
    # the owning department still loads its roster
    assert (
        import_enrolment(
            store, CIVIL, RULE["key"], [{"id_number": person["id_number"]}], since=date(2026, 1, 1)
        )
        == 1
    )


# ----------------------------------- the masked ID number across every surface (held)
def test_masked_id_is_the_same_on_search_card_roster_and_eligibility_lists(store: Store) -> None:
    """Probe: put together what a village cadre sees of one person — search hit, card and
    its history, the eligibility run's lists and its CSV payment roster — and look for any
    hidden digit. Held: every surface shows area code + birth date + ****, none shows the
    sequence digits or the check character, and the run is audited."""
    seed_small(store, people=200)
    _approved_rule(store)
    village, _ = _village_people(store)
    cadre = Actor("cadre", "village", village)
    out = io.BytesIO()
    result = run_rule(store, cadre, RULE["key"], village, MONTH, fmt="csv", out=out)
    listed = [e for k in result.lists for e in result.lists[k]]
    assert listed, "the seeded village needs someone aged 70+"
    numbers = {p["entity_id"]: p["id_number"] for p in sheet_rows(store, "person")}
    roster = out.getvalue().decode("utf-8-sig")
    cells = {c for row in csv.reader(io.StringIO(roster)) for c in row}
    for e in listed:
        full = numbers[e.entity_id]
        if not full:
            continue
        want = _masked(full)
        assert e.id_number == want
        assert full not in roster and want in cells
        card = read_entity(store, cadre, e.entity_id, with_history=True)
        assert card.value("person.id_number") == want
        assert {str(h["value"]) for h in card.history if h["field_key"] == "person.id_number"} <= {
            want
        }
        hits = search_people(store, cadre, e.name)
        assert {h.id_number for h in hits if h.entity_id == e.entity_id} == {want}
        explained = " ".join(f"{t.condition} {t.value}" for t in e.tests) + e.reason
        assert full[14:] not in explained.replace(full[6:14], "")
    run = _events(store, "eligibility.run")[-1]
    assert run["actor"] == "cadre" and run["entity_count"] >= len(listed)


# -------------------------------------------- a village merger and its grids (hole)
def test_a_village_merger_takes_the_people_in_its_grids_and_keeps_grid_accounts_narrow(
    store: Store,
) -> None:
    """Probe: merge a village whose people are placed in its grids (as most are). Hole:
    only people placed on the village itself followed; everyone in its grids stayed under
    the ended village, out of reach of its cadre (whose account moved to the survivor).
    Fixed in services/org_tree (``_carry_grids`` for a merger): the grids come along under
    free codes of the survivor (the survivor's own grids with the same digits are other
    grids), and the village account reaches them."""
    from onesheet.services.users import add_user

    seed_small(store, people=120)
    town = children(store, COUNTY)[0]
    v1, v2 = children(store, town)[:2]
    grid = children(store, v1)[0]
    mine = {p["entity_id"] for p in sheet_rows(store, "person") if p["org_code"].startswith(v1)}
    in_grid = {p["entity_id"] for p in sheet_rows(store, "person") if p["org_code"] == grid}
    theirs = {p["entity_id"] for p in sheet_rows(store, "person") if p["org_code"].startswith(v2)}
    assert in_grid and mine > in_grid and theirs
    password = "Pr0be-Pass-2026!x"
    add_user(store, ADMIN, "probe_v1", role="village", org_code=v1, password=password)
    org_tree.merge_org(store, ADMIN, v1, v2, effective=date(2026, 11, 1))
    placed = {p["entity_id"]: p["org_code"] for p in sheet_rows(store, "person")}
    assert not [e for e in mine if placed[e].startswith(v1)]  # nobody left behind
    assert all(placed[e].startswith(v2) for e in mine)
    u = table("app_user")
    with store.engine.connect() as conn:
        scoped = dict(conn.execute(select(u.c.username, u.c.org_code)).all())
    assert scoped["probe_v1"] == v2
    now_in = {placed[e] for e in in_grid}  # the grid came along whole, as one grid of v2
    assert len(now_in) == 1 and len(next(iter(now_in))) == len(grid)
    assert {e for e, org in placed.items() if org in now_in} == in_grid
    cadre = Actor("probe_v1", "village", v2)
    someone = min(mine - in_grid)
    assert read_entity(store, cadre, someone).entity_id == someone
    assert read_entity(store, cadre, min(in_grid)).entity_id == min(in_grid)
    with pytest.raises(AccessDenied):  # and nobody else's: another town's village cadre
        read_entity(
            store, Actor("c3", "village", children(store, children(store, COUNTY)[1])[0]), someone
        )


# ------------------------------------------------ steward merge of county fields (hole)
def _county_field(store: Store, key: str, label: str, kind: str, **more: object) -> None:
    from onesheet.domain.county_fields import FieldDefinition
    from onesheet.store import county_fields as store_fields

    d = FieldDefinition(COUNTY, key, "person", label, kind, "health", status="active", **more)  # type: ignore[arg-type]
    with store.transaction() as conn:
        store_fields.save(conn, d, action="confirm", actor="probe", at=datetime(2026, 11, 1))
        store_fields.refresh(store, conn)


def test_a_steward_merge_neither_echoes_nor_unmasks_values_it_may_not_read(store: Store) -> None:
    """Probe: a data steward (no sheet.read; sees only 'general' fields) merges a sensitive
    text field into a number field: the refusal listed the values that did not fit — the
    sensitive values themselves, unaudited. And merging a masked, sensitive field into a
    general, unmasked one would copy its values to everyone who reads general fields.
    Hole: fixed in services/county_fields.merge — the refusal counts values the steward
    may not read instead of listing them, and a merge into a field that protects its values
    less (sensitivity or mask) is refused."""
    from onesheet.services import county_fields
    from onesheet.services.sheet_write import Change, record_changes

    seed_small(store, people=30)
    steward = Actor("steward", "steward", COUNTY)
    secret = "艾滋病随访-330523194601011239"
    _county_field(store, "person.x_bs", "病史", "text", sensitivity="sensitive")
    _county_field(store, "person.x_cs", "次数", "int", sensitivity="sensitive")
    _county_field(store, "person.x_zh", "账户", "text", sensitivity="sensitive", mask="account")
    _county_field(store, "person.x_zh2", "账号", "text", sensitivity="general")
    someone = sheet_rows(store, "person")[0]["entity_id"]
    record_changes(
        store, ADMIN, someone,
        [Change("person.x_bs", secret), Change("person.x_zh", "6222020200112233")],
        source="health",
    )  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        county_fields.merge(store, steward, "person.x_bs", "person.x_cs", reason="同一概念")
    said = " ".join(f.message_zh + f.message_en for f in refused.value.findings)
    assert refused.value.findings[0].code == "fields.merge_values"
    assert secret not in said and "330523" not in said and "1 个值" in said  # counted
    with pytest.raises(InvalidInput) as weaker:
        county_fields.merge(store, steward, "person.x_zh", "person.x_zh2", reason="同一概念")
    assert weaker.value.findings[0].code == "fields.merge_protection"
    with store.engine.connect() as conn:
        from onesheet.store import county_fields as store_fields

        assert store_fields.values_of_field(conn, "person.x_zh2") == {}


# --------------------------------------------------------- the SQLite audit spool (held)
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_read_under_an_import_is_spooled_privately_or_not_answered(store: Store) -> None:
    """Probe: while an import holds SQLite's write lock a card read's audit event goes to
    the spool beside the database. Is the spool readable by other local users (it names who
    read whom), even under a permissive umask; and if the spool cannot be written, does the
    read still answer, unaudited? Held: the spool and its lock are 0600 whatever the umask,
    and a read whose event can be neither written nor spooled raises - no card goes out."""
    import os
    import sqlite3
    import stat

    from onesheet.store import audit_spool

    seed_small(store, people=30)
    village, people = _village_people(store)
    cadre = Actor("cadre", "village", village)
    spool = audit_spool.spool_path(store.engine)
    assert spool is not None
    raw = sqlite3.connect(str(store.engine.url.database), isolation_level=None, timeout=30)
    old_umask = os.umask(0)
    try:
        raw.execute("BEGIN IMMEDIATE")  # an import's write transaction
        card = read_entity(store, cadre, people[0]["entity_id"])
        assert card.entity_id == people[0]["entity_id"]
        for path in (spool, spool.with_name(spool.name + ".lock")):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert str(people[0]["entity_id"]) in spool.read_text()
        spool.rename(spool.with_name(spool.name + ".aside"))
        spool.mkdir()  # the spool cannot be written now
        with pytest.raises(OSError):
            read_entity(store, cadre, people[1]["entity_id"])
        spool.rmdir()
        spool.with_name(spool.name + ".aside").rename(spool)
    finally:
        os.umask(old_umask)
        raw.execute("ROLLBACK")
        raw.close()
    read_entity(store, cadre, people[2]["entity_id"])  # the lock is free: drains the spool
    reads = [e for e in _events(store, "sheet.read") if e["actor"] == "cadre"]
    assert [e["entity_ids"] for e in reads] == [
        str(people[0]["entity_id"]),
        str(people[2]["entity_id"]),
    ]


# ------------------------------------- a correction as a full-number oracle (hole)
def test_a_refused_correction_does_not_tell_whose_id_number_was_typed(store: Store) -> None:
    """Probe: a village cadre sees a neighbour's ID number masked. Typing a guess as another
    person's ID number with a stale row version is refused and writes nothing; but the
    duplicate-number check ran first, so the refusal said "belongs to entity N" for the
    right guess and "changed by someone else" for the ~499 wrong ones: the full number, with
    nothing written and nothing audited. Hole: fixed in services/sheet_write.record_changes
    — the duplicate check runs after the write it guards, so a refused write answers the
    same whatever number was typed."""
    from onesheet.services.sheet_write import Change, record_changes
    from onesheet.store.sheet_view import ConcurrentEdit, versions

    seed_small(store, people=60)
    village, people = _village_people(store)
    cadre = Actor("cadre", "village", village)
    p, q = people[0], people[1]
    with store.engine.connect() as conn:
        stale = versions(conn, "person", [p["entity_id"]])[p["entity_id"]] - 1
    for guess in (*_unused_numbers(store, 3), q["id_number"]):
        with pytest.raises(ConcurrentEdit):
            record_changes(
                store, cadre, p["entity_id"], [Change("person.id_number", guess)],
                expected_version=stale,
            )  # fmt: skip
    # a write that would go through still refuses a number someone else holds
    with pytest.raises(InvalidInput) as held:
        record_changes(store, cadre, p["entity_id"], [Change("person.id_number", q["id_number"])])
    assert held.value.findings[0].code == "id_number.duplicate"
    assert [
        r["id_number"] for r in sheet_rows(store, "person") if r["entity_id"] == p["entity_id"]
    ] == [p["id_number"]]


# ------------------------------------------ link queue: 'create' echoes a full number (hole)
def test_creating_from_the_queue_does_not_echo_a_full_id_number_or_an_outside_holder(
    store: Store,
) -> None:
    """Probe: a village cadre sees a queued row's ID number masked and taps 新建人员; the
    number is already held by someone in another town. The refusal quoted the full number
    and the holder's entity id. Hole: fixed in services/linkage_queue — the number is shown
    as the decider may see it, and a holder outside their area is not named."""
    import json

    from onesheet.services import linkage_queue
    from onesheet.store import link_store

    seed_small(store, people=60)
    village, _ = _village_people(store)
    outside = next(
        p
        for p in sheet_rows(store, "person")
        if p["id_number"] and p["org_code"][:9] != village[:9]
    )
    with store.transaction() as conn:
        link_store.add_queue_entries(
            conn,
            [
                {
                    "county_code": COUNTY, "entity_type": "person", "kind": "review",
                    "source": "civil_affairs", "batch_id": None, "file": "probe.xlsx",
                    "row_no": 2, "org_code": village, "status": "open",
                    "record": json.dumps(
                        {"person.name": "试探", "person.id_number": outside["id_number"],
                         "_reason": "weak"}, ensure_ascii=False,
                    ),
                    "candidates": json.dumps([]), "best_probability": 0.5,
                    "created_at": datetime(2026, 11, 30),
                }
            ],
        )  # fmt: skip
        entry_id = link_store.list_queue(conn, org_prefix=village)[-1]["id"]
    cadre = Actor("cadre", "village", village)
    with pytest.raises(InvalidInput) as refused:
        linkage_queue.decide(store, cadre, entry_id, create=True)
    said = " ".join(f.message_zh + " " + f.message_en for f in refused.value.findings)
    assert refused.value.findings[0].code == "queue.key_held"
    assert outside["id_number"] not in said and _masked(outside["id_number"]) in said
    assert str(outside["entity_id"]) not in said


# ----------------------------------- a correction's reason in the card history (hole)
def test_card_history_reasons_do_not_show_a_full_id_number_to_a_masked_viewer(
    store: Store,
) -> None:
    """Probe: the edit form asks for a reason ("迁出、死亡、换号…"); civil affairs, who sees ID
    numbers in full, reads it out, and the town's clerk types it in (or types it off the
    paper ID card). A village cadre reading the card's
    history saw the reason verbatim — the full number beside its masked value. Hole: fixed
    in services/sheet_read — for a viewer who sees ID numbers masked, an ID number inside a
    history reason is masked by the same rule (area code + birth date + ****)."""
    village, entity_id, number = recorded_reason(store, lambda n: f"换号，原证号{n.lower()}")
    reasons = history_reasons(store, Actor("cadre", "village", village), entity_id)
    assert "原证号" in reasons
    assert number not in reasons.upper() and _masked(number) in reasons.upper()
    from onesheet.domain.masking import mask_numbers_in_text

    said = mask_numbers_in_text(
        "迁入 330523001030，新号13812345678，卡6222020200112233，3305231946010112"
    )
    assert said == "迁入 330523001030，新号138****5678，卡****************，****************"
    assert number in history_reasons(store, CIVIL, entity_id).upper()
