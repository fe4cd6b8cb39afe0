"""Importing department exports (SQLite and PostgreSQL): Chinese CSV, all or nothing, idempotent."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import select

from onesheet.domain.access import CLI_ADMIN
from onesheet.domain.findings import InvalidInput
from onesheet.domain.values.idnumber import make_id_number
from onesheet.linkage import model as lm
from onesheet.linkage.noise import make_export
from onesheet.services import data_import
from onesheet.services.data_import import import_file
from onesheet.store import link_store
from onesheet.store.schema import sheet_table, table
from tests.integration.helpers import COUNTY, log_rows, seed_small


def _people(store) -> list[dict]:  # type: ignore[no-untyped-def]
    with store.engine.connect() as conn:
        return link_store.sheet_people(conn, COUNTY)


def _csv(headings, rows, encoding: str = "utf-8") -> bytes:  # type: ignore[no-untyped-def]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headings)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def test_gbk_csv_imports_with_correct_chinese_and_links_by_key(store):
    seed_small(store, people=120)
    people = _people(store)
    p = people[0]
    data = _csv(
        ["姓名", "公民身份号码", "联系电话", "现住址"],
        [[p["name"], p["id_number"], "13912345678", "递铺街道新址8号"]],
        "gbk",
    )
    summary = import_file(store, CLI_ADMIN, data, filename="民政.csv", department="民政局")
    assert summary.encoding == "gb18030"
    assert (summary.rows_read, summary.linked, summary.created) == (1, 1, 0)
    t = sheet_table("person")
    with store.engine.connect() as conn:
        row = conn.execute(select(t).where(t.c.entity_id == p["entity_id"])).one()
    assert row.phone == "13912345678"
    # the address belongs to 公安 (authoritative): kept, and the disagreement is a conflict
    assert row.current_address == p["current_address"]
    c = table("conflict")
    with store.engine.connect() as conn:
        detail = conn.execute(
            select(c.c.detail).where(c.c.entity_id == p["entity_id"])
        ).scalar_one()
    assert "递铺街道新址8号" in detail and "civil_affairs" in detail


def test_reimport_adds_nothing_and_rejected_rows_are_listed(store):
    seed_small(store, people=120)
    p = _people(store)[1]
    data = _csv(
        ["姓名", "公民身份号码", "出生日期"],
        [[p["name"], p["id_number"], str(p["birth_date"])], ["某人", "", "2031-13-45"]],
    )
    first = import_file(store, CLI_ADMIN, data, filename="a.csv", department="civil_affairs")
    assert first.rejected == 1 and first.findings[0].row == 3 and first.findings[0].column == "C"
    before = log_rows(store)
    again = import_file(store, CLI_ADMIN, data, filename="a.csv", department="civil_affairs")
    assert again.already_imported and again.batch_id == first.batch_id
    assert log_rows(store) == before


def test_failure_midway_leaves_the_log_untouched(store, monkeypatch):
    seed_small(store, people=120)
    p = _people(store)[2]
    data = _csv(["姓名", "公民身份号码", "联系电话"], [[p["name"], p["id_number"], "13900001234"]])
    before = log_rows(store)

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("killed half-way")

    monkeypatch.setattr(data_import.link_store, "add_queue_entries", boom)
    with pytest.raises(RuntimeError):
        import_file(store, CLI_ADMIN, data, filename="k.csv", department="civil_affairs")
    assert log_rows(store) == before
    monkeypatch.undo()
    done = import_file(store, CLI_ADMIN, data, filename="k.csv", department="civil_affairs")
    assert done.linked == 1 and not done.already_imported


def test_uncertain_column_stops_with_a_mapping_to_confirm(store):
    seed_small(store, people=50)
    data = _csv(["姓名", "xyz奇怪列"], [["张三", "a"]])
    with pytest.raises(InvalidInput) as caught:
        import_file(store, CLI_ADMIN, data, filename="m.csv", department="civil_affairs")
    assert "--map B=" in caught.value.message("zh")
    ok = import_file(
        store, CLI_ADMIN, data, filename="m.csv", department="civil_affairs", mapping={"B": "skip"}
    )
    assert ok.rows_read == 1


def test_noisy_export_links_and_grey_rows_wait_for_a_decision(store):
    from onesheet.linkage.link import LinkConfig
    from onesheet.services import linkage_queue

    seed_small(store, people=300)
    people = _people(store)
    export = make_export(people, share=0.6, county=COUNTY, seed=5)
    data = _csv(list(export.headings), export.rows)
    # a high bar to link without review, so some rows are certainly queued
    config = LinkConfig(match_at=0.999999, margin=0.0, model=lm.ModelConfig(u_max_pairs=2e4))
    summary = import_file(
        store, CLI_ADMIN, data, filename="e.csv", department="health", config=config
    )
    assert summary.rows_read == len(export.rows)
    assert summary.linked + summary.created + summary.queued + summary.rejected == len(export.rows)
    entries = linkage_queue.list_entries(store, CLI_ADMIN)
    assert len(entries) == summary.queued > 0
    entry = entries[0]
    target = entry["candidates"][0][0]
    decision = linkage_queue.decide(store, CLI_ADMIN, entry["id"], entity_id=target)
    assert decision.status == "linked" and decision.observations > 0
    assert len(linkage_queue.list_entries(store, CLI_ADMIN)) == len(entries) - 1
    with pytest.raises(InvalidInput):
        linkage_queue.decide(store, CLI_ADMIN, entry["id"], create=True)


def test_household_number_column_ties_people_to_households(store):
    seed_small(store, people=60)
    people = _people(store)
    known = next(p for p in people if p["household_no"])
    other = next(p for p in people if p["household_no"] != known["household_no"])
    rows = [
        [other["name"], other["id_number"], known["household_no"]],  # moved into that household
        ["新人甲", make_id_number(COUNTY, date(1990, 1, 2), 901), "HH-NEW-1"],
        ["新人乙", make_id_number(COUNTY, date(1992, 3, 4), 902), "HH-NEW-1"],
    ]
    data = _csv(["姓名", "公民身份号码", "户号"], rows)
    summary = import_file(store, CLI_ADMIN, data, filename="h.csv", department="civil_affairs")
    assert (summary.linked, summary.created) == (1, 2)
    p, h = sheet_table("person"), sheet_table("household")
    with store.engine.connect() as conn:
        homes = dict(conn.execute(select(h.c.household_no, h.c.entity_id)).all())
        obs = table("observation")
        refs = conn.execute(
            select(obs.c.entity_id, obs.c.value).where(
                (obs.c.batch_id == summary.batch_id) & (obs.c.field_key == "person.household")
            )
        ).all()
        news = conn.execute(select(p.c.household).where(p.c.name.in_(["新人甲", "新人乙"]))).all()
    assert (other["entity_id"], str(homes[known["household_no"]])) in refs
    assert {n.household for n in news} == {homes["HH-NEW-1"]}


def test_department_wordings_in_an_import(store):
    """A department named as people write it resolves; a joint or unknown one is refused
    with the options or the closest departments named, and nothing is written."""
    from onesheet.domain.access import CLI_ADMIN
    from onesheet.domain.departments import DepartmentAmbiguous, DepartmentUnknown
    from onesheet.services.data_import import import_file

    data = "姓名,公民身份号码\n".encode()
    with pytest.raises(DepartmentAmbiguous) as joint:
        import_file(store, CLI_ADMIN, data, department="住建/应急", filename="a.csv")
    assert set(joint.value.options) == {"housing", "emergency"}
    with pytest.raises(DepartmentUnknown) as unknown:
        import_file(store, CLI_ADMIN, data, department="卫生监督所X", filename="a.csv")
    assert unknown.value.suggestions
