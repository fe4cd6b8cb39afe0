"""Department, reviewer and village pages for forms and the Gate, over HTTP on both backends.

A department uploads a legacy form, sees and corrects its mapping, names a matter and
submits; a reviewer sees the review figures, is refused a reason-less rejection and approves
with a reason; village users are kept out; a POST without the CSRF token is refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from onesheet.domain.access import CLI_ADMIN
from onesheet.ingest.workbook import DEFAULT_MAX_BYTES
from onesheet.services.users import add_user
from onesheet.store.schema import table
from onesheet.web.app import create_app
from tests.integration.helpers import COUNTY, csrf_of, seed_small, sign_in

PASSWORD = "correct horse 9"
FILES = Path(__file__).parents[1] / "forms" / "files"
DIBAO = FILES / "minzheng_dibao.xlsx"


def login(client: TestClient, username: str) -> str:
    """Sign in; returns the session's CSRF token read from a page."""
    sign_in(client, username, PASSWORD, "/")
    return csrf_of(client.get("/").text)


def health_clerk(store) -> tuple[TestClient, str]:
    """A signed-in client of another department (卫健 clerk ``wj1``) and its CSRF token: the
    one a civil-affairs template's ownership checks must refuse."""
    add_user(store, CLI_ADMIN, "wj1", role="department", org_code=COUNTY, password=PASSWORD,
             department="health")  # fmt: skip
    other = TestClient(create_app(store))
    return other, login(other, "wj1")


def add_people(store) -> str:
    """Department ``mz1``, reviewer ``rev1``, village ``cadre``; returns the village code."""
    seed_small(store, people=200)
    o = table("org_unit")
    with store.engine.connect() as conn:
        village = conn.execute(o.select().where(o.c.level == "village").order_by(o.c.code)).first()
    add_user(store, CLI_ADMIN, "cadre", role="village", org_code=village.code, password=PASSWORD)
    add_user(
        store,
        CLI_ADMIN,
        "mz1",
        role="department",
        org_code=COUNTY,
        password=PASSWORD,
        department="civil_affairs",
    )
    add_user(store, CLI_ADMIN, "rev1", role="reviewer", org_code=COUNTY, password=PASSWORD)
    return village.code


@pytest.fixture
def app_store(store):
    add_people(store)
    return store


def upload(client: TestClient, csrf: str, path: Path = DIBAO, data: bytes | None = None):
    content = data if data is not None else path.read_bytes()
    return client.post(
        "/forms/upload",
        data={"csrf_token": csrf},
        files={"file": (path.name, content, "application/octet-stream")},
        follow_redirects=False,
    )


def test_department_uploads_maps_and_submits_then_reviewer_decides(app_store):
    dept = TestClient(create_app(app_store))
    csrf = login(dept, "mz1")
    response = upload(dept, csrf)
    assert response.status_code == 303
    url = response.headers["location"]
    template_id = url.rsplit("/", 1)[1]
    page = dept.get(url)
    assert page.status_code == 200
    assert "户主信息/姓名" in page.text and "已匹配" in page.text and "草稿" in page.text
    assert page.text.count('name="field_key"') >= 12  # a select and candidates per column
    assert 'data-letter="M" data-field="person.current_address"' in page.text
    # how the importer read the form, with its evidence, for a person to check
    assert 'id="form-reading"' in page.text and 'data-part="entity"' in page.text
    assert "身份证" in page.text.split('id="form-reading"', 1)[1].split("</details>", 1)[0]

    remap = dept.post(
        f"/forms/{template_id}/map",
        data={"csrf_token": csrf, "column": "M", "field_key": "household.address"},
        follow_redirects=False,
    )
    assert remap.status_code == 303
    assert 'data-letter="M" data-field="household.address"' in dept.get(url).text
    assert (
        dept.post(
            f"/forms/{template_id}/matter", data={"csrf_token": csrf, "matter": "XZ001"}
        ).status_code
        == 200
    )
    submitted = dept.post(f"/forms/{template_id}/submit", data={"csrf_token": csrf})
    assert submitted.status_code == 200 and "待审核" in submitted.text
    listing = dept.get("/forms").text
    assert template_id in listing and "待审核" in listing

    reviewer = TestClient(create_app(app_store))
    rcsrf = login(reviewer, "rev1")
    queue = reviewer.get("/gate")
    assert queue.status_code == 200 and f'id="gate-{template_id}"' in queue.text
    for figure in ("一表通已能回答", "每村每期填报", "全县每期填报", "全手工", "协助"):
        assert figure in queue.text, figure
    refused = reviewer.post(
        f"/gate/{template_id}/decide", data={"csrf_token": rcsrf, "decision": "reject"}
    )
    assert refused.status_code == 400 and "审核决定须写明理由" in refused.text
    approved = reviewer.post(
        f"/gate/{template_id}/decide",
        data={"csrf_token": rcsrf, "decision": "approve", "reason": "协助事项，数据可复用"},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    assert f'id="gate-{template_id}"' not in reviewer.get("/gate").text

    done = dept.get(url).text
    assert "已准入" in done and "协助事项，数据可复用" in done
    assert f"/api/reports/{template_id}?org={COUNTY}&amp;format=xlsx" in done
    report = dept.get(f"/api/reports/{template_id}", params={"org": COUNTY, "format": "csv"})
    assert report.status_code == 200 and "姓名" in report.content.decode("utf-8-sig")


def test_bad_uploads_show_the_importers_message_and_store_nothing(app_store):
    client = TestClient(create_app(app_store))
    csrf = login(client, "mz1")
    not_a_sheet = upload(client, csrf, Path("notes.xlsx"), b"just some text, not a workbook")
    assert not_a_sheet.status_code == 400 and 'class="error"' in not_a_sheet.text
    assert "文件不是 Excel/WPS 表格" in not_a_sheet.text
    huge = upload(client, csrf, Path("big.xlsx"), b"PK\x03\x04" + b"\0" * DEFAULT_MAX_BYTES)
    assert huge.status_code == 400 and "超过上限" in huge.text
    with app_store.engine.connect() as conn:
        assert conn.execute(table("form_template").select()).first() is None


def test_village_users_are_kept_out_and_posts_need_the_csrf_token(app_store):
    client = TestClient(create_app(app_store))
    login(client, "cadre")
    for path in ("/gate", "/forms", "/progress"):
        response = client.get(path)
        assert response.status_code == 403 and "无权访问" in response.text, path
    assert client.get("/api/ledger").status_code == 403

    dept = TestClient(create_app(app_store))
    login(dept, "mz1")
    assert upload(dept, "").status_code == 403
    assert upload(dept, "wrong-token").status_code == 403
    with app_store.engine.connect() as conn:
        assert conn.execute(table("form_template").select()).first() is None


def test_progress_is_empty_until_tasks_exist(app_store):
    client = TestClient(create_app(app_store))
    login(client, "mz1")
    page = client.get("/progress")
    assert page.status_code == 200 and 'id="progress-empty"' in page.text


def test_another_department_can_neither_open_nor_change_a_template(app_store):
    owner = TestClient(create_app(app_store))
    url = upload(owner, login(owner, "mz1")).headers["location"]
    other, csrf = health_clerk(app_store)
    assert other.get(url).status_code == 403
    remap = {"csrf_token": csrf, "column": "M", "field_key": "household.address"}
    assert other.post(f"{url}/map", data=remap).status_code == 403
    assert other.post(f"{url}/submit", data={"csrf_token": csrf}).status_code == 403
    assert url.rsplit("/", 1)[1] not in other.get("/forms").text
