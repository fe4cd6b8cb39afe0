"""``onesheet demands``: demands on villages — register, review, decide, and the ledger."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from onesheet.cli.common import actor, console, fail, friendly_errors, open_store, print_json
from onesheet.services import demands

app = typer.Typer(help="涉村事项准入与台账 (demands on villages)", no_args_is_help=True)


def _split(text: str) -> list[str]:
    for sep in "，,、；;":
        text = text.replace(sep, " ")
    return [p for p in text.split() if p]


@app.command("register")
def register_command(
    kind: Annotated[
        str, typer.Option(help="form/meeting/inspection/app/work_group/sign/letter/checkin")
    ],
    title: Annotated[str, typer.Option(help="事项名称")],
    department: Annotated[str, typer.Option(help="责任部门 key")],
    villages: Annotated[str, typer.Option(help="涉及的村/乡镇/县代码，逗号分隔")] = "",
    frequency: Annotated[str, typer.Option(help="once/weekly/monthly/quarterly/yearly")] = "",
    minutes: Annotated[int, typer.Option(help="每次每村分钟数（估计）")] = 0,
    basis: Annotated[str, typer.Option(help="依据")] = "",
    matter: Annotated[str, typer.Option(help="村级事项清单编码")] = "",
    starts_on: Annotated[str, typer.Option(help="开始日期 YYYY-MM-DD")] = "",
    topics: Annotated[str, typer.Option(help="涉及内容，逗号分隔")] = "",
    data_fields: Annotated[str, typer.Option(help="APP 采集的字段键，逗号分隔")] = "",
) -> None:
    """登记一个涉村事项，提交准入审核 (register a demand)."""
    with friendly_errors():
        try:
            start = date.fromisoformat(starts_on) if starts_on else date.today()
        except ValueError:
            fail(f"日期须为 YYYY-MM-DD：{starts_on}")
        d = demands.register_demand(
            open_store(),
            actor(),
            kind=kind,
            title=title,
            villages=_split(villages),
            frequency=frequency,
            minutes=minutes,
            basis=basis,
            matter=matter or None,
            starts_on=start,
            topics=_split(topics),
            data_fields=_split(data_fields),
            department=department,
        )
    console.print(f"已登记事项 #{d.id}（待审核）(registered #{d.id})")


@app.command("list")
def list_command(
    status: Annotated[str | None, typer.Option(help="submitted/approved/rejected/merged")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """列出事项 (list demands)."""
    with friendly_errors():
        rows = demands.list_demands(open_store(), actor(), status=status)
    if as_json:
        print_json([asdict(d) for d in rows])
        return
    for d in rows:
        console.print(f"#{d.id} {d.status} {d.kind} {d.department} {d.title}")


@app.command("review")
def review_command(demand_id: int) -> None:
    """审核数据与建议 (review figures), JSON."""
    with friendly_errors():
        print_json(demands.review_demand(open_store(), actor(), demand_id).to_json())


@app.command("decide")
def decide_command(
    demand_id: int,
    decision: Annotated[str, typer.Option(help="approved/rejected/merged")],
    reason: Annotated[str, typer.Option(help="理由（必填）")] = "",
    into: Annotated[int | None, typer.Option(help="合并到的事项（默认为审核建议）")] = None,
) -> None:
    """准入、不予准入或合并 (decide a demand)."""
    store, who = open_store(), actor()
    with friendly_errors():
        if decision == "approved":
            detail = demands.approve_demand(store, who, demand_id, reason=reason)
        elif decision == "rejected":
            detail = demands.reject_demand(store, who, demand_id, reason=reason)
        elif decision == "merged":
            detail = demands.merge_demand(store, who, demand_id, reason=reason, into=into)
        else:
            fail("decision 须为 approved / rejected / merged")
    console.print(f"#{demand_id}: {detail.demand.status}")


@app.command("ledger")
def ledger_command(
    first: Annotated[str | None, typer.Option(help="起始月份 YYYY-MM")] = None,
    last: Annotated[str | None, typer.Option(help="截止月份 YYYY-MM")] = None,
    xlsx: Annotated[Path | None, typer.Option(help="导出 XLSX 到此文件")] = None,
) -> None:
    """涉村事项台账 (the demand ledger): JSON, or XLSX with --xlsx."""
    with friendly_errors():
        if xlsx is not None:
            data = demands.demand_ledger_xlsx(open_store(), actor(), first=first, last=last)
            xlsx.write_bytes(data)
            console.print(f"已导出 {xlsx}")
            return
        print_json(demands.demand_ledger(open_store(), actor(), first=first, last=last))
