"""The ``onesheet`` command: a thin shell over the services."""

from __future__ import annotations

from typing import Annotated

import typer

from onesheet.cli import (
    audit_cmd,
    fields_cmd,
    forms_cmd,
    jobs_cmd,
    orgs_cmd,
    province_cmd,
    reports_cmd,
    sheet_cmd,
    tokens_cmd,
    users_cmd,
)
from onesheet.cli.backup_cmd import backup_command, restore_command
from onesheet.cli.bootstrap_cmd import bootstrap_command
from onesheet.cli.common import (
    actor,
    console,
    friendly_errors,
    open_store,
    progress_bar,
    set_database_url,
)
from onesheet.cli.demands_cmd import app as demands_app
from onesheet.cli.demo_cmd import demo, serve
from onesheet.cli.doctor_cmd import doctor_command
from onesheet.cli.eligibility_cmd import app as eligibility_app
from onesheet.cli.import_cmd import import_command
from onesheet.cli.link_cmd import link_app
from onesheet.services import seed as seed_service
from onesheet.services import setup

app = typer.Typer(
    name="onesheet",
    help="OneSheet 一表通：一张表，一次采集，多表复用 (one sheet, collected once, reused).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(fields_cmd.app, name="fields")
app.add_typer(orgs_cmd.app, name="orgs")
app.add_typer(sheet_cmd.app, name="sheet")
app.add_typer(users_cmd.app, name="users")
app.add_typer(forms_cmd.app, name="forms")
app.add_typer(reports_cmd.app, name="reports")
app.add_typer(link_app, name="link")
app.add_typer(tokens_cmd.app, name="tokens")
app.add_typer(audit_cmd.app, name="audit")
app.add_typer(eligibility_app, name="eligibility")
app.add_typer(demands_app, name="demands")
app.add_typer(jobs_cmd.app, name="jobs")
app.add_typer(province_cmd.app, name="province")
app.command("import")(import_command)
app.command("demo")(demo)
app.command("serve")(serve)
app.command("backup")(backup_command)
app.command("restore")(restore_command)
app.command("bootstrap")(bootstrap_command)
app.command("doctor")(doctor_command)


@app.callback()
def main(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="ONESHEET_DATABASE_URL",
            help="数据库 URL（默认 sqlite:///onesheet.db）",
        ),
    ] = None,
) -> None:
    """OneSheet 一表通."""
    set_database_url(database_url)


@app.command()
def init() -> None:
    """创建或升级数据库 (create or upgrade the database schema and reference data)."""
    with friendly_errors():
        revision = setup.init_database(open_store(), actor())
    console.print(f"数据库已就绪 (database ready)，版本 revision {revision}")


@app.command()
def seed(
    county: Annotated[str, typer.Option(help="县级行政区划代码 (GB/T 2260)")] = "330523",
    people: Annotated[int, typer.Option(help="人口数 (number of people)")] = 20000,
    seed: Annotated[int, typer.Option(help="随机种子 (same seed, same county)")] = 1,
) -> None:
    """生成合成县数据 (seed a synthetic county)."""
    with friendly_errors():
        store = open_store()
        with progress_bar("生成人口 seeding", people) as advance:
            result = seed_service.seed_county(
                store, actor(), county, people=people, seed=seed, progress=advance
            )
    counts = "，".join(f"{k} {v}" for k, v in result.entities.items())
    console.print(f"已写入 {result.org_units} 个机构，{counts}，观测值 {result.observations} 条")


if __name__ == "__main__":
    app()
