"""``onesheet demo`` and ``onesheet serve``."""

from __future__ import annotations

import secrets
from typing import Annotated

import typer

from onesheet.cli.common import (
    actor,
    console,
    database_url,
    friendly_errors,
    open_store,
    progress_bar,
)
from onesheet.domain.findings import InvalidInput
from onesheet.services import seed as seed_service
from onesheet.services import setup, users
from onesheet.settings import get_settings

DEMO_COUNTY = "330523"
DEMO_PEOPLE = 20000


def serve(
    host: Annotated[str | None, typer.Option(help="监听地址")] = None,
    port: Annotated[int | None, typer.Option(help="端口")] = None,
    workers: Annotated[int, typer.Option(help="工作进程数 (worker processes)", min=1)] = 1,
) -> None:
    """启动网页服务 (serve the web app)."""
    import os

    import uvicorn

    from onesheet.web.app import create_app

    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    console.print(f"OneSheet 一表通 → http://{host}:{port}/  (数据库 {database_url()})")
    if workers == 1:
        uvicorn.run(create_app(open_store()), host=host, port=port, log_level="warning")
        return
    # Several processes need an import path; each builds its own app (and engine) from the
    # environment, so the URL chosen here travels there.
    os.environ["ONESHEET_DATABASE_URL"] = database_url()
    uvicorn.run(
        "onesheet.web.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )


def demo(
    people: Annotated[int, typer.Option(help="人口数")] = DEMO_PEOPLE,
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
) -> None:
    """初始化 + 生成合成县 + 演示用户 + 启动服务 (init, seed, demo users, serve)."""
    store = open_store()
    with friendly_errors():
        setup.init_database(store, actor())
        try:
            with progress_bar("生成人口 seeding", people) as advance:
                seed_service.seed_county(
                    store, actor(), DEMO_COUNTY, people=people, seed=1, progress=advance
                )
        except InvalidInput as exc:
            if exc.findings[0].code != "seed.exists":
                raise
            console.print("演示县已存在，直接使用 (demo county already seeded)")
        _demo_users(store)
        _demo_form(store)
    serve(host, port)


def _demo_form(store) -> None:  # type: ignore[no-untyped-def]
    """A sample department form, submitted and approved through the Gate, so the village
    demo user has a collection task and the department a report to download."""
    from importlib.resources import files

    import yaml

    from onesheet.domain.template_spec import TemplateSpec
    from onesheet.services import demo, gate

    text = (files("onesheet.data") / "demo_elderly_health.yaml").read_text(encoding="utf-8")
    spec = TemplateSpec.model_validate(yaml.safe_load(text))
    if not demo.submit_demo_template(store, actor(), spec):
        return
    gate.approve(store, actor(), spec.id, reason="演示：老年人健康管理为村级协助事项")
    console.print(f"演示报表已准入 (demo form approved)：{spec.title}，编号 {spec.id}")


def _demo_users(store) -> None:  # type: ignore[no-untyped-def]
    """One login per role; passwords are random per database and printed once."""
    from onesheet.services import reference

    units = reference.list_orgs(store, actor(), under=DEMO_COUNTY)
    town = next(u for u in units if u.level == "town")
    village = next(u for u in units if u.level == "village" and u.code.startswith(town.code))
    plan = [
        ("village_demo", "village", village.code, None),
        ("town_demo", "town", town.code, None),
        ("minzheng_demo", "department", DEMO_COUNTY, "civil_affairs"),
        ("weijian_demo", "department", DEMO_COUNTY, "health"),
        ("reviewer_demo", "reviewer", DEMO_COUNTY, None),
        ("admin_demo", "admin", DEMO_COUNTY, None),
    ]
    console.print("演示账号 (demo logins)：")
    for name, role, org, dept in plan:
        password = secrets.token_urlsafe(9)
        try:
            users.add_user(
                store, actor(), name, role=role, org_code=org, password=password, department=dept
            )
        except InvalidInput:
            console.print(f"  {name:<15} 已存在（密码见首次运行输出）")
            continue
        console.print(f"  {name:<15} 密码 {password}   角色 {role} 范围 {org}")
