"""一张表 in the browser: a cadre changes a value in passing, settles a conflict, filters.

TestClient drives the real app over the real store on both databases.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from onesheet.domain.access import CLI_ADMIN, Actor
from onesheet.domain.masking import mask_value
from onesheet.services.sheet_read import filter_people, list_conflicts, read_entity
from onesheet.services.sheet_write import Change, record_changes
from onesheet.services.users import add_user
from onesheet.store.schema import sheet_table, table
from onesheet.web.app import create_app
from tests.integration.helpers import log_rows, seed_small

PASSWORD = "correct horse 9"
NEW_PHONE = "13712345678"


@pytest.fixture
def village(store):
    seed_small(store, people=300)
    t = sheet_table("person")
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.c.entity_id, t.c.org_code).order_by(t.c.entity_id)).all()
    by_village: dict[str, list[int]] = {}
    for r in rows:
        by_village.setdefault(r.org_code[:12], []).append(r.entity_id)
    mine, other = list(by_village)[:2]
    add_user(store, CLI_ADMIN, "cadre", role="village", org_code=mine, password=PASSWORD)
    client = TestClient(create_app(store))
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    client.post("/login", data={"username": "cadre", "password": PASSWORD, "csrf_token": csrf})
    return store, client, mine, by_village[mine], by_village[other]


def _form(client: TestClient, entity_id: int) -> tuple[str, str, str]:
    page = client.get(f"/people/{entity_id}")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
    return page.text, csrf, version


def _post(client, entity_id, **data):
    return client.post(f"/people/{entity_id}/values", data=data, follow_redirects=False)


def _phone(store, entity_id):
    t = sheet_table("person")
    with store.engine.connect() as conn:
        return conn.execute(select(t.c.phone).where(t.c.entity_id == entity_id)).scalar_one()


def test_a_phone_changed_in_passing_is_a_new_observation_by_the_cadre(village):
    store, client, _, mine, _ = village
    person = mine[0]
    page, csrf, version = _form(client, person)
    assert 'data-field="person.phone"' in page and 'name="field" value="person.phone"' in page
    before = log_rows(store)
    saved = _post(
        client, person, csrf_token=csrf, version=version, field="person.phone",
        value=NEW_PHONE, reason="换号",
    )  # fmt: skip
    assert saved.status_code == 303
    after = log_rows(store)
    assert after[: len(before)] == before and len(after) == len(before) + 1
    obs = table("observation")
    with store.engine.connect() as conn:
        row = conn.execute(select(obs).order_by(obs.c.id.desc()).limit(1)).one()
        batch = conn.execute(
            select(table("batch")).where(table("batch").c.id == row.batch_id)
        ).one()
    assert (row.entity_id, row.field_key, row.value, row.reason) == (
        person, "person.phone", NEW_PHONE, "换号",
    )  # fmt: skip
    assert batch.actor == "cadre" and batch.kind == "correction"
    # every reader of the sheet sees it: the sheet row, an unmasked reader, the cadre's card
    assert _phone(store, person) == NEW_PHONE
    assert read_entity(store, CLI_ADMIN, person).value("person.phone") == NEW_PHONE
    card = client.get(saved.headers["location"]).text
    assert mask_value("phone", NEW_PHONE) in card and "已保存" in card and "换号" in card


def test_a_stale_version_is_refused_and_nothing_is_written(village):
    store, client, _, mine, _ = village
    person = mine[1]
    _, csrf, version = _form(client, person)
    record_changes(store, CLI_ADMIN, person, [Change("person.phone", "13800000000")])
    before = log_rows(store)
    refused = _post(
        client, person, csrf_token=csrf, version=version, field="person.phone", value=NEW_PHONE
    )
    assert refused.status_code == 409 and "已被他人修改，请刷新后再改" in refused.text
    assert log_rows(store) == before and _phone(store, person) == "13800000000"


def test_a_bad_value_is_refused_next_to_the_field(village):
    store, client, _, mine, _ = village
    person = mine[2]
    _, csrf, version = _form(client, person)
    before = log_rows(store)
    refused = _post(
        client, person, csrf_token=csrf, version=version, field="person.phone", value="12345"
    )
    assert refused.status_code == 400
    assert re.search(r'class="field-error" role="alert">[^<]*[\u4e00-\u9fff]', refused.text)
    assert 'value="12345"' in refused.text  # what the cadre typed is kept
    assert log_rows(store) == before


def test_a_masked_id_number_is_never_editable(village):
    store, client, _, mine, _ = village
    person = mine[0]
    page, csrf, version = _form(client, person)
    assert 'name="field" value="person.id_number"' not in page
    before = log_rows(store)
    refused = _post(
        client, person, csrf_token=csrf, version=version, field="person.id_number",
        value="110101199003070011",
    )  # fmt: skip
    assert refused.status_code == 403 and log_rows(store) == before


def test_a_conflict_is_settled_in_one_tap(village):
    store, client, _, mine, _ = village
    person = mine[3]
    record_changes(
        store, CLI_ADMIN, person, [Change("person.phone", "13911112222")], source="health"
    )
    sheet = client.get("/sheet").text
    assert f'data-entity-id="{person}" data-field="person.phone"' in sheet
    name = read_entity(store, CLI_ADMIN, person).value("person.name")
    assert f"{name} · 联系电话" in sheet
    page, csrf, version = _form(client, person)
    assert "以此为准" in page and 'name="source" value="health"' in page
    settled = _post(
        client, person, csrf_token=csrf, version=version, field="person.phone",
        kind="settle", source="health",
    )  # fmt: skip
    assert settled.status_code == 303
    assert list_conflicts(store, CLI_ADMIN, entity_id=person) == []
    assert _phone(store, person) == "13911112222"
    obs = table("observation")
    with store.engine.connect() as conn:
        last = conn.execute(select(obs).order_by(obs.c.id.desc()).limit(1)).one()
    assert (last.kind, last.value) == ("settle", "13911112222")
    assert f'data-entity-id="{person}" data-field="person.phone"' not in client.get("/sheet").text


def test_another_villages_person_and_a_missing_csrf_token_get_403(village):
    store, client, _, mine, theirs = village
    _, csrf, version = _form(client, mine[0])
    before = log_rows(store)
    other = _post(
        client, theirs[0], csrf_token=csrf, version="1", field="person.phone", value=NEW_PHONE
    )
    assert other.status_code == 403
    no_token = _post(client, mine[0], version=version, field="person.phone", value=NEW_PHONE)
    assert no_token.status_code == 403
    assert log_rows(store) == before


def test_filters_return_exactly_the_in_scope_people_with_the_flag(village):
    store, client, mine_code, _, _ = village
    t = sheet_table("person")
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(t.c.entity_id, t.c.org_code, t.c.birth_date)
            .where(t.c.is_dibao.is_(True), t.c.merged_into.is_(None))
        ).all()  # fmt: skip
    expected = {r.entity_id for r in rows if r.org_code.startswith(mine_code)}
    assert expected and len(expected) < len(rows)  # the county has dibao people elsewhere too
    page = client.get("/sheet", params={"f": "dibao"}).text
    shown = {int(i) for i in re.findall(r'<tr data-entity-id="(\d+)"', page)}
    assert shown == expected
    actor = Actor("cadre", "village", mine_code)
    both = filter_people(store, actor, ["dibao", "over60"], today=date(2026, 11, 1))
    old = {r.entity_id for r in rows if r.birth_date and r.birth_date <= date(1966, 11, 1)}
    assert {h.entity_id for h in both} == expected & old
    assert all("*" in (h.id_number or "*") for h in both)  # masked like search
