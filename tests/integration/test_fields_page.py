"""The data-element catalogue (数据元目录) as a page and in ``onesheet fields list``, fill rates
per town counted in the store, the steward's review page, county fields in ``sheet export``,
task inputs with units and refusals naming the person, and a second worker seeing fields
another one activated — on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from onesheet.cli.main import app as cli_app
from onesheet.domain.access import CLI_ADMIN, Actor
from onesheet.domain.findings import InvalidInput
from onesheet.services import county_fields, forms, sheet_admin, tasks
from onesheet.services import county_fields_catalogue as catalogue_module
from onesheet.services.base import Store
from onesheet.services.county_fields_catalogue import catalogue_page
from onesheet.services.users import add_user
from onesheet.store import county_fields as store_fields
from onesheet.store.engine import make_engine
from onesheet.store.schema import sheet_table, table
from onesheet.web.app import create_app
from tests.forms.forms_county_fields import FORMS, xlsx
from tests.integration.helpers import COUNTY, seed_small
from tests.integration.test_county_fields import WEIWEN, _approved
from tests.integration.test_forms_pages import PASSWORD, csrf_of, login

TEKUN = next(f for f in FORMS if f.name == "tekun_gongyang")
ADMIN = Actor("xian", "admin", COUNTY)


def _count(store: Store, name: str) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table(name))).scalar_one()


def _people_per_town(store: Store) -> Counter[str]:
    t = sheet_table("person")
    with store.engine.connect() as conn:
        codes = conn.execute(select(t.c.org_code).where(t.c.merged_into.is_(None))).scalars()
        return Counter(c[:9] for c in codes)


def _fill_one_village(store: Store) -> tuple[Actor, dict[int, str]]:
    """The first task's cadre fills 慰问方式 for every person of the first page: the
    values typed (entity → code)."""
    summary = tasks.list_tasks(store, ADMIN)[0]
    cadre = Actor("cadre", "village", summary.org_code)
    page = tasks.task_page(store, cadre, summary.id, per_page=500)
    typed = {e.entity_id: "02" for e in page.entities}
    values = {(eid, "person.x_wwfs"): code for eid, code in typed.items()}
    tasks.fill_task(store, cadre, summary.id, values, page.task.version)
    return cadre, typed


@pytest.fixture
def learnt(store):
    """A seeded county whose 春节走访慰问 form is approved, one village's 慰问方式 filled."""
    seed_small(store, people=80)
    tid = _approved(store, WEIWEN)
    cadre, typed = _fill_one_village(store)
    return store, tid, cadre, typed


def test_fill_rates_per_town_come_from_the_store(learnt):
    store, tid, cadre, typed = learnt
    towns = _people_per_town(store)
    town = cadre.org_code[:9]  # type: ignore[index]
    found = catalogue_page(store, ADMIN)
    entries = {e.key: e for e in found.entries}
    how = entries["person.x_wwfs"]
    assert (how.status, how.type, how.owner, how.templates) == ("active", "code", "veterans", [tid])
    assert how.code_table_label and how.values == len(typed)
    rates = {u.code: (u.filled, u.entities) for u in how.fill}
    assert rates == {t: ((len(typed) if t == town else 0), n) for t, n in towns.items()}
    assert how.fill_rate == round(len(typed) / sum(towns.values()), 4)
    assert entries["person.x_wwje"].unit == "元" and entries["person.x_wwje"].values == 0
    name = entries["person.name"]
    assert name.fill_rate == 1.0 and [(u.code, u.filled) for u in name.fill] == sorted(
        towns.items()
    )
    phone = entries["person.phone"]  # a built-in field the seed fills in part
    t = sheet_table("person")
    with store.engine.connect() as conn:
        held = conn.execute(select(func.count(t.c.phone))).scalar_one()
    assert phone.values == held and sum(u.filled for u in phone.fill) == held
    assert entries["person.age"].derived and entries["person.age"].fill == []
    assert len(found.units) == len(towns)
    # a village's own view: its village only
    mine = {e.key: e for e in catalogue_page(store, cadre, query="慰问").entries}
    assert [(u.code, u.filled) for u in mine["person.x_wwfs"].fill] == [
        (cadre.org_code, len(typed))
    ]
    # the search narrows by label, wording, owner department
    assert {e.key for e in catalogue_page(store, ADMIN, query="慰问").entries} >= {
        "person.x_wwfs",
        "person.x_wwje",
    }
    assert "person.name" not in {e.key for e in catalogue_page(store, ADMIN, query="慰问").entries}
    assert "person.x_wwfs" in {e.key for e in catalogue_page(store, ADMIN, query="退役").entries}
    with pytest.raises(InvalidInput):
        catalogue_page(store, ADMIN, entity="car")


def test_fill_counts_are_kept_until_a_write_or_within_their_cost(store, monkeypatch):
    seed_small(store, people=40)
    _approved(store, WEIWEN)

    def held() -> int | None:
        found = catalogue_page(store, ADMIN, query="慰问方式")
        return next(e.values for e in found.entries if e.key == "person.x_wwfs")

    monkeypatch.setattr(catalogue_module, "STALE_FACTOR", 1e9)  # as if counting were slow
    assert held() == 0
    _, typed = _fill_one_village(store)
    assert held() == 0  # a slow count is reused for a while, even after a write
    monkeypatch.setattr(catalogue_module, "STALE_FACTOR", 0.0)
    assert held() == len(typed)  # the write moved the newest batch: counted again


def test_catalogue_page_in_chinese_and_english_and_the_cli(learnt, database_url):
    store, tid, cadre, typed = learnt
    add_user(store, CLI_ADMIN, "mz1", role="department", org_code=COUNTY, password=PASSWORD,
             department="civil_affairs")  # fmt: skip
    client = TestClient(create_app(store))
    login(client, "mz1")
    page = client.get("/fields", params={"q": "慰问"})
    assert page.status_code == 200
    html = page.text
    assert "数据元目录" in html and 'href="/fields"' in html  # the menu links it
    assert "填充率统计于" in html
    card = re.search(r'<article[^>]*id="field-person.x_wwfs".*?</article>', html, re.S).group(0)
    for text in ("慰问方式", "代码（选项）", "退役军人事务局", "春节走访慰问登记表", "县级字段"):
        assert text in card, text
    assert "person.name" not in html.split("field-list", 1)[1]
    towns = re.findall(r'data-unit="(\d+)" data-rate="([\d.]+)"', card)
    assert (
        cadre.org_code[:9],
        str(round(len(typed) / _people_per_town(store)[cadre.org_code[:9]], 4)),
    ) in towns  # type: ignore[index]
    money = re.search(r'id="field-person.x_wwje".*?</article>', html, re.S).group(0)
    assert "单位：元" in money
    english = client.get("/fields", params={"q": "慰问", "lang": "en"}).text
    assert "Field catalogue" in english and "Filled" in english and "County field" in english
    assert client.get("/fields").text.count("<article") == len(catalogue_page(store, ADMIN).entries)
    # the CLI shows the same entries with their fill rates
    runner = CliRunner()
    out = runner.invoke(cli_app, ["--database-url", database_url, "fields", "list", "--q", "慰问",
                                  "--json"])  # fmt: skip
    assert out.exit_code == 0, out.output
    rows = {r["key"]: r for r in json.loads(out.stdout)}
    assert rows["person.x_wwfs"]["templates"] == [tid]
    assert rows["person.x_wwfs"]["values"] == len(typed)
    assert {u["code"] for u in rows["person.x_wwfs"]["fill"]} == set(_people_per_town(store))
    table_out = runner.invoke(
        cli_app, ["--database-url", database_url, "fields", "list", "--q", "慰问方式", "--by-town"]
    )
    assert table_out.exit_code == 0 and "person.x_wwfs" in table_out.stdout
    assert f"{len(typed) / sum(_people_per_town(store).values()):.0%}" in table_out.stdout


def test_steward_confirms_types_on_the_review_page(store):
    seed_small(store, people=40)
    clerk = Actor("clerk", "department", COUNTY, "civil_affairs")
    tid = forms.import_form(store, clerk, xlsx(TEKUN), department="civil_affairs").template.id
    add_user(store, CLI_ADMIN, "steward1", role="steward", org_code=COUNTY, password=PASSWORD)
    o = table("org_unit")
    with store.engine.connect() as conn:
        village = conn.execute(select(o.c.code).where(o.c.level == "village")).scalars().first()
    add_user(store, CLI_ADMIN, "cadre", role="village", org_code=village, password=PASSWORD)
    client = TestClient(create_app(store))
    csrf = login(client, "steward1")
    listing = client.get("/fields").text
    assert f'href="/fields/review/{tid}"' in listing and "待确认的新字段" in listing
    review = client.get(f"/fields/review/{tid}").text
    how = re.search(r'id="field-person.x_gyfs".*?</section>', review, re.S).group(0)
    assert 'data-proposed="code"' in how and "集中、分散" in how
    money = re.search(r'id="field-person.x_gyje".*?</section>', review, re.S).group(0)
    assert 'data-proposed="decimal"' in money and 'name="unit" maxlength="20" value="元"' in money
    url = f"/fields/review/{tid}/person.x_gyje"
    body = {"value_type": "date", "unit": "", "owner": "civil_affairs", "csrf_token": csrf}
    before = _count(store, "county_field_version")
    refused = client.post(url, data=body)
    assert refused.status_code == 400
    assert "1250" in refused.text and "980" in refused.text  # the form's own values
    assert _count(store, "county_field_version") == before
    no_token = client.post(url, data={**body, "value_type": "decimal", "csrf_token": ""})
    assert no_token.status_code == 403 and _count(store, "county_field_version") == before
    done = client.post(
        url, data={**body, "value_type": "decimal", "unit": "元/月"}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"].startswith(f"/fields/review/{tid}")
    with store.engine.connect() as conn:
        d = store_fields.get(conn, COUNTY, "person.x_gyje")
    assert (d.type, d.unit, d.status, d.owner) == ("decimal", "元/月", "confirmed", "civil_affairs")
    shown = client.get(done.headers["location"]).text
    assert 'data-confirmed="decimal"' in shown and "已确认" in shown
    village = TestClient(create_app(store))
    login(village, "cadre")
    assert village.get(f"/fields/review/{tid}").status_code == 403
    assert village.get("/fields/review/NO-SUCH").status_code == 403


def test_task_inputs_show_units_and_refusals_name_the_person(store):
    seed_small(store, people=80)
    _approved(store, WEIWEN)
    summary = tasks.list_tasks(store, ADMIN)[0]
    cadre = Actor("cadre", "village", summary.org_code)
    page = tasks.task_page(store, cadre, summary.id)
    person = page.entities[0]
    inputs = {i.field_key: i for i in person.inputs}
    assert (inputs["person.x_wwje"].kind, inputs["person.x_wwje"].unit) == ("number", "元")
    assert [label for _, label in inputs["person.x_wwfs"].choices] == ["上门", "集中"]
    add_user(store, CLI_ADMIN, "cadre", role="village", org_code=summary.org_code,
             password=PASSWORD)  # fmt: skip
    client = TestClient(create_app(store))
    login(client, "cadre")
    html = client.get(f"/tasks/{summary.id}").text
    money = f'name="v:{person.entity_id}:person.x_wwje"'
    assert re.search(
        re.escape(money) + r'[^>]*>\s*<span class="unit" data-unit="元">元</span>', html
    )
    api = client.get(f"/api/tasks/{summary.id}").json()
    mine = next(e for e in api["entities"] if e["entity_id"] == person.entity_id)
    assert {v["field"]: v["unit"] for v in mine["values"]}["person.x_wwje"] == "元"
    before = (_count(store, "observation"), _count(store, "sheet_value"), _count(store, "batch"))
    values = {
        (person.entity_id, "person.x_wwje"): "300",  # fits
        (person.entity_id, "person.x_wwfs"): "电话慰问",  # not an option
    }
    with pytest.raises(InvalidInput) as refused:
        tasks.fill_task(store, cadre, summary.id, values, page.task.version)
    (finding,) = refused.value.findings
    assert finding.field == "person.x_wwfs"
    assert person.title in finding.message_zh and "慰问方式" in finding.message_zh
    assert person.title in finding.message_en
    after = (_count(store, "observation"), _count(store, "sheet_value"), _count(store, "batch"))
    assert after == before  # nothing of that save, not even the value that fitted
    assert tasks.task_page(store, cadre, summary.id).task.version == page.task.version
    form = {"csrf_token": csrf_of(html), "version": str(page.task.version), "page": "1",
            f"v:{person.entity_id}:person.x_wwfs": "电话慰问",
            f"v:{person.entity_id}:person.x_wwje": "300"}  # fmt: skip
    shown = client.post(f"/tasks/{summary.id}", data=form)
    assert shown.status_code == 400 and person.title in shown.text and "慰问方式" in shown.text
    assert _count(store, "observation") == before[0]


def test_sheet_export_includes_county_fields(learnt, tmp_path):
    store, _, cadre, typed = learnt
    out = tmp_path / "people.csv"
    n = sheet_admin.export_csv(store, ADMIN, "person", out)
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert n == len(rows) == sum(_people_per_town(store).values())
    assert "person.x_wwfs" in rows[0] and "person.x_wwje" in rows[0]
    got = {int(r["entity_id"]): r["person.x_wwfs"] for r in rows if r["person.x_wwfs"]}
    assert got == typed
    assert rows[0]["person.id_number"] and "*" not in rows[0]["person.id_number"]  # admin: full
    village = tmp_path / "village.csv"
    sheet_admin.export_csv(store, ADMIN, "person", village, org_code=cadre.org_code)
    with village.open(encoding="utf-8-sig", newline="") as fh:
        mine = list(csv.DictReader(fh))
    assert mine and all(r["org_code"].startswith(cadre.org_code) for r in mine)  # type: ignore[arg-type]
    assert {int(r["entity_id"]) for r in mine if r["person.x_wwfs"]} == set(typed)
    with store.engine.connect() as conn:  # the export is audited with the county fields
        t = table("audit_event")
        fields = conn.execute(
            select(t.c.fields).where(t.c.action == "sheet.export").order_by(t.c.id.desc())
        ).scalar()
    assert "person.x_wwfs" in str(fields)


def test_a_second_worker_sees_fields_another_activated(store, database_url, monkeypatch):
    seed_small(store, people=40)
    other = Store(make_engine(database_url))  # another worker's store over the same database
    # A long interval first, so "not looked again" does not hang on how fast this machine is.
    monkeypatch.setattr(store_fields, "REFRESH_EVERY", 3600.0)
    try:
        with other.transaction():
            pass
        assert "person.x_wwfs" not in other.dictionary.fields
        _approved(store, WEIWEN)
        with other.transaction():  # within the refresh interval: not looked again
            pass
        assert "person.x_wwfs" not in other.dictionary.fields
        monkeypatch.setattr(store_fields, "REFRESH_EVERY", 0.0)
        with other.transaction():
            pass
        got = other.dictionary.fields["person.x_wwfs"]
        assert (got.county_code, got.type) == (COUNTY, "code")
        assert "person.x_wwfs" in other.grants["veterans"].read
    finally:
        other.engine.dispose()
    assert county_fields  # the module the activation went through


def test_fields_list_reads_the_built_in_dictionary_before_init(tmp_path):
    url = f"sqlite:///{tmp_path / 'not-yet.db'}"
    out = CliRunner().invoke(cli_app, ["--database-url", url, "fields", "list", "--q", "phone"])
    assert out.exit_code == 0, out.output
    assert "person.phone" in out.stdout and "数据库未初始化" in out.stdout
    refused = CliRunner().invoke(
        cli_app, ["--database-url", url, "fields", "list", "--entity", "car"]
    )
    assert refused.exit_code == 2 and "car" in refused.output and "Traceback" not in refused.output
