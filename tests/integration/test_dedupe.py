"""Duplicates inside the sheet: found by the model, queued, merged keeping both histories."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from onesheet.domain.access import CLI_ADMIN
from onesheet.domain.findings import InvalidInput
from onesheet.linkage import model as lm
from onesheet.linkage.link import LinkConfig
from onesheet.services import dedupe, linkage_queue
from onesheet.services.data_import import import_file
from onesheet.store import link_store
from onesheet.store.schema import sheet_table, table
from tests.integration.helpers import COUNTY, log_rows, seed_small

SMALL = lm.ModelConfig(u_max_pairs=2e4)


def _duplicates(store, n: int) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    """Import ``n`` known people without their ID and without the model, and have a person
    create each queued row anyway (no key, no new person: only a decision mints one):
    n new duplicates."""
    with store.engine.connect() as conn:
        people = link_store.sheet_people(conn, COUNTY)[:n]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["姓名", "性别", "出生日期", "联系电话", "现住址"])
    for p in people:
        sex = {"1": "男", "2": "女"}[p["gender"]]
        w.writerow([p["name"], sex, p["birth_date"], "13700000000", p["current_address"]])
    summary = import_file(
        store,
        CLI_ADMIN,
        buf.getvalue().encode(),
        filename="d.csv",
        department="health",
        config=LinkConfig(use_model=False),
    )
    assert (summary.created, summary.queued) == (0, n)
    for entry in linkage_queue.list_entries(store, CLI_ADMIN):
        linkage_queue.decide(store, CLI_ADMIN, entry["id"], create=True)
    return people


def test_duplicates_are_queued_once_and_merged_keeping_both_histories(store) -> None:  # type: ignore[no-untyped-def]
    seed_small(store, people=200)
    originals = _duplicates(store, 4)
    config = LinkConfig(model=SMALL)
    found = dedupe.find_duplicates(store, CLI_ADMIN, config=config)
    assert found.queued >= 4
    again = dedupe.find_duplicates(store, CLI_ADMIN, config=config)
    assert again.queued == 0 and again.already_queued == found.queued
    entries = [e for e in linkage_queue.list_entries(store, CLI_ADMIN) if e["kind"] == "duplicate"]
    by_survivor = {e["candidates"][0][0]: e for e in entries}
    entry = by_survivor[originals[0]["entity_id"]]  # the one with the ID number survives
    duplicate = entry["record"]["entity_id"]
    with pytest.raises(InvalidInput):  # not an import row: the merge command decides it
        linkage_queue.decide(store, CLI_ADMIN, entry["id"], create=True)

    before = log_rows(store)
    done = dedupe.merge(store, CLI_ADMIN, entry["id"], reason="same person")
    assert (done.status, done.survivor, done.duplicate) == (
        "merged",
        originals[0]["entity_id"],
        duplicate,
    )
    after = log_rows(store)
    assert after[: len(before)] == before  # nothing recorded was changed or removed
    obs = table("observation")
    with store.engine.connect() as conn:
        new = conn.execute(select(obs).where(obs.c.batch_id == done.batch_id)).all()
        person = sheet_table("person")
        rows = {
            r.entity_id: r
            for r in conn.execute(
                select(person).where(person.c.entity_id.in_([done.survivor, duplicate]))
            )
        }
    marker = [o for o in new if o.entity_id == duplicate]
    assert [(o.field_key, o.kind, o.value, o.reason) for o in marker] == [
        ("person.merged_into", "value", str(done.survivor), f"merged_into={done.survivor}")
    ]
    moved = [o for o in new if o.entity_id == done.survivor]
    assert {o.source for o in moved} == {"health"}  # the duplicate's source, kept
    assert any(o.field_key == "person.phone" and o.value == "13700000000" for o in moved)
    assert rows[duplicate].merged_into == done.survivor
    assert rows[done.survivor].merged_into is None
    assert rows[done.survivor].phone  # the authority rule still decides the current value
    with pytest.raises(InvalidInput):
        dedupe.merge(store, CLI_ADMIN, entry["id"])
    other = next(e for e in entries if e["id"] != entry["id"])
    assert dedupe.merge(store, CLI_ADMIN, other["id"], reject=True).observations == 0
