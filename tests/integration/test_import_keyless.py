"""No key, no new person; every refused value reported (SQLite and PostgreSQL); issue 13.

A new person comes only from a row with a valid ID number the sheet does not hold, or from
a person's decision. Keyless rows the linkage cannot place wait in the queue with their
candidates and the evidence for each; invalid ID numbers, control characters and unbalanced
quotes are findings naming the row; an import that writes nothing leaves no batch behind.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from onesheet.domain.access import CLI_ADMIN
from onesheet.domain.findings import InvalidInput
from onesheet.domain.values.idnumber import make_id_number
from onesheet.linkage.link import LinkConfig
from onesheet.services import linkage_queue
from onesheet.services.data_import import import_file
from onesheet.store import link_store
from onesheet.store.schema import sheet_table, table
from tests.integration.helpers import COUNTY, log_rows, seed_small


def _csv(headings: list[str], rows: list[list[object]], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headings)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def _people(store) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    with store.engine.connect() as conn:
        return link_store.sheet_people(conn, COUNTY)


def _count(store, name: str) -> int:  # type: ignore[no-untyped-def]
    t = table(name) if name != "person" else sheet_table("person")
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t)).scalar_one())


def _batches(store) -> int:  # type: ignore[no-untyped-def]
    b = table("batch")
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(b.c.kind == "import")).scalar_one())


def test_keyless_rows_nobody_fits_wait_in_the_queue_with_evidence(store):
    seed_small(store, people=120)
    p = _people(store)[0]
    rows = [
        ["陌生人", "", "13700000001", "1999-09-09"],  # nobody like this: still no new person
        [p["name"], "", "", str(p["birth_date"])],  # name + birth: the model may link it
    ]
    data = _csv(["姓名", "公民身份号码", "联系电话", "出生日期"], rows)
    people_before = _count(store, "person")
    summary = import_file(store, CLI_ADMIN, data, filename="k.csv", department="health")
    assert summary.created == 0 and _count(store, "person") == people_before
    assert summary.methods["new"] == 0 and set(summary.methods) == {
        "key",
        "repaired",
        "model",
        "queued",
        "new",
    }
    assert summary.queued >= 1 and summary.linked + summary.queued == 2
    entries = linkage_queue.list_entries(store, CLI_ADMIN)
    stranger = next(e for e in entries if e["record"]["person.name"] == "陌生人")
    assert stranger["record"]["_reason"] in ("no_key", "weak")
    for cand in stranger["candidates"]:  # [entity id, probability, evidence]
        assert set(cand[2]) >= {"name", "birth", "phone", "addr"}
    if summary.methods["model"] == 0:  # queued: its candidate list names her, with evidence
        mine = next(e for e in entries if e["record"]["person.name"] == p["name"])
        first = mine["candidates"][0]
        assert first[0] == p["entity_id"]
        assert first[2]["name"] == "same" and first[2]["birth"] == "same"
    # a person decides: creating the stranger is theirs to do, and says who did it
    done = linkage_queue.decide(store, CLI_ADMIN, stranger["id"], create=True)
    assert done.status == "created" and _count(store, "person") == people_before + 1


def test_exact_id_only_still_never_mints_a_keyless_person(store):
    seed_small(store, people=60)
    data = _csv(["姓名", "联系电话"], [["无号人", "13700000002"]])
    summary = import_file(
        store,
        CLI_ADMIN,
        data,
        filename="n.csv",
        department="health",
        config=LinkConfig(use_model=False),
    )
    assert (summary.created, summary.queued) == (0, 1)


def test_invalid_id_is_a_finding_and_kept_as_typed_in_the_queue(store):
    seed_small(store, people=60)
    rows = [
        ["外来甲", "33052319900101123", "13700000003"],  # 17 digits: not a number
        ["外来乙", "ABC-123", "13700000004"],
    ]
    data = _csv(["姓名", "公民身份号码", "联系电话"], rows)
    people_before = _count(store, "person")
    summary = import_file(store, CLI_ADMIN, data, filename="bad.csv", department="health")
    assert summary.created == 0 and _count(store, "person") == people_before
    found = {f.row: f for f in summary.findings if f.code == "id.invalid"}
    assert set(found) == {2, 3}
    assert found[2].column == "B" and "33052319900101123" in found[2].message_zh
    assert summary.rejected == 0  # the rows are still used: queued, not dropped
    entries = {e["row_no"]: e for e in linkage_queue.list_entries(store, CLI_ADMIN)}
    assert entries[2]["record"]["_raw"] == {"person.id_number": "33052319900101123"}
    assert entries[3]["record"]["_raw"] == {"person.id_number": "ABC-123"}
    assert "person.id_number" not in entries[2]["record"]
    # deciding writes the row's values, never the reserved keys
    done = linkage_queue.decide(store, CLI_ADMIN, entries[2]["id"], create=True)
    o = table("observation")
    with store.engine.connect() as conn:
        keys = set(
            conn.execute(select(o.c.field_key).where(o.c.batch_id == done.batch_id)).scalars()
        )
    assert keys == {"person.name", "person.phone"}


def test_valid_id_held_under_another_name_is_queued_not_a_second_holder(store):
    seed_small(store, people=60)
    p = _people(store)[3]
    data = _csv(["姓名", "公民身份号码"], [["完全不同", p["id_number"]]])
    people_before = _count(store, "person")
    summary = import_file(store, CLI_ADMIN, data, filename="o.csv", department="health")
    assert (summary.created, summary.queued) == (0, 1) and _count(store, "person") == people_before
    (entry,) = linkage_queue.list_entries(store, CLI_ADMIN)
    assert entry["candidates"][0][0] == p["entity_id"]
    assert entry["record"]["_reason"] == "key_name"
    with pytest.raises(InvalidInput) as refused:  # a decision never mints a second holder
        linkage_queue.decide(store, CLI_ADMIN, entry["id"], create=True)
    assert refused.value.findings[0].code == "queue.key_held"
    done = linkage_queue.decide(store, CLI_ADMIN, entry["id"], entity_id=p["entity_id"])
    assert done.status == "linked"


def test_nul_in_a_name_beside_an_existing_id_is_refused_with_a_finding(store):
    seed_small(store, people=60)
    p = _people(store)[4]
    rows = [[p["name"][0] + "\x00" + p["name"][1:], p["id_number"], "13700000005"]]
    data = _csv(["姓名", "公民身份号码", "联系电话"], rows)
    people_before, log_before = _count(store, "person"), log_rows(store)
    summary = import_file(store, CLI_ADMIN, data, filename="nul.csv", department="health")
    assert summary.rejected == 1 and summary.created == 0
    (finding,) = summary.findings
    assert (finding.row, finding.column, finding.code) == (2, "A", "text.control_char")
    assert _count(store, "person") == people_before and log_rows(store) == log_before
    assert summary.batch_id is None  # nothing written: no batch left behind


def test_unbalanced_quote_is_a_finding_not_a_person_named_with_commas(store):
    seed_small(store, people=60)
    p, q = _people(store)[5], _people(store)[6]
    text = (
        "姓名,公民身份号码,联系电话\n"
        f'"{p["name"]},{p["id_number"]},13700000006\n'
        f"{q['name']},{q['id_number']},13700000007\n"
    )
    summary = import_file(
        store, CLI_ADMIN, text.encode("gbk"), filename="q.csv", department="civil_affairs"
    )
    quote = [f for f in summary.findings if f.code == "file.csv_quote"]
    assert [f.row for f in quote] == [2]
    assert summary.rows_read == 2 and summary.rejected == 1 and summary.linked == 1
    t = sheet_table("person")
    with store.engine.connect() as conn:
        odd = conn.execute(select(func.count()).where(t.c.name.contains(","))).scalar_one()
        o = table("observation")
        phones = conn.execute(
            select(o.c.entity_id, o.c.value).where(
                (o.c.batch_id == summary.batch_id) & (o.c.field_key == "person.phone")
            )
        ).all()
    assert odd == 0 and [tuple(r) for r in phones] == [(q["entity_id"], "13700000007")]


def test_a_fully_rejected_import_does_not_block_the_corrected_one(store):
    seed_small(store, people=60)
    p = _people(store)[7]
    bad = _csv(["姓名", "公民身份号码", "出生日期"], [[p["name"], p["id_number"], "1990-13-45"]])
    batches = _batches(store)
    first = import_file(store, CLI_ADMIN, bad, filename="r.csv", department="health")
    assert first.rejected == 1 and first.batch_id is None and _batches(store) == batches
    again = import_file(store, CLI_ADMIN, bad, filename="r.csv", department="health")
    assert not again.already_imported  # nothing was written, so nothing to be idempotent about
    # the same bytes with the date column skipped is another import, and it lands
    skipped = import_file(
        store, CLI_ADMIN, bad, filename="r.csv", department="health", mapping={"C": "skip"}
    )
    assert not skipped.already_imported and skipped.linked == 1 and skipped.batch_id
    fixed = _csv(
        ["姓名", "公民身份号码", "出生日期"], [[p["name"], p["id_number"], str(p["birth_date"])]]
    )
    done = import_file(store, CLI_ADMIN, fixed, filename="r.csv", department="health")
    assert not done.already_imported and done.linked == 1


def test_household_number_of_a_queued_row_applies_when_it_is_decided(store):
    seed_small(store, people=60)
    known = next(p for p in _people(store) if p["household_no"])
    rows = [["新人丙", "", known["household_no"]], ["新人丁", "", "HH-Q-1"]]
    data = _csv(["姓名", "公民身份号码", "户号"], rows)
    summary = import_file(store, CLI_ADMIN, data, filename="hq.csv", department="civil_affairs")
    assert (summary.created, summary.queued) == (0, 2)
    entries = {e["record"]["person.name"]: e for e in linkage_queue.list_entries(store, CLI_ADMIN)}
    assert entries["新人丙"]["record"]["_extra"] == {
        "household.household_no": known["household_no"]
    }
    for name in ("新人丙", "新人丁"):
        linkage_queue.decide(store, CLI_ADMIN, entries[name]["id"], create=True)
    p, h = sheet_table("person"), sheet_table("household")
    with store.engine.connect() as conn:
        homes = dict(conn.execute(select(h.c.household_no, h.c.entity_id)).all())
        named = p.c.name.in_(["新人丙", "新人丁"])
        got = {n: h for n, h in conn.execute(select(p.c.name, p.c.household).where(named))}
    assert got["新人丙"] == homes[known["household_no"]]
    assert got["新人丁"] == homes["HH-Q-1"]


def test_a_valid_new_number_is_a_new_person(store):
    seed_small(store, people=60)
    number = make_id_number(COUNTY, date(1991, 5, 6), 777)
    data = _csv(["姓名", "公民身份号码"], [["新来者", number]])
    summary = import_file(store, CLI_ADMIN, data, filename="v.csv", department="health")
    assert (summary.created, summary.methods["new"]) == (1, 1)
