"""``onesheet eligibility``: benefit rules through the Gate, one-click runs, rosters, proofs."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from onesheet.cli.common import actor, console, fail, friendly_errors, open_store, print_json
from onesheet.services import eligibility, proofs

app = typer.Typer(
    help="惠民补贴一键认定与数据代证明 (subsidies and proofs from the sheet)", no_args_is_help=True
)


@app.command("define")
def define(
    spec: Annotated[Path, typer.Argument(help="规则 JSON 文件 (rule spec)")],
    county: Annotated[str | None, typer.Option("--county", help="县（区）代码")] = None,
) -> None:
    """新建规则的草稿版本 (store a new draft version of a rule)."""
    data = json.loads(spec.read_text(encoding="utf-8"))
    with friendly_errors():
        row = eligibility.define_rule(open_store(), actor(), data, county_code=county)
    console.print(f"规则 {row.rule_key} 第 {row.version} 版已保存为草稿（id {row.id}）")


@app.command("submit")
def submit(rule_id: Annotated[int, typer.Argument()]) -> None:
    """提交审核 (send a draft to the Gate)."""
    with friendly_errors():
        print_json(eligibility.submit_rule(open_store(), actor(), rule_id))


@app.command("decide")
def decide(
    rule_id: Annotated[int, typer.Argument()],
    reason: Annotated[str, typer.Option("--reason", help="理由（必填）")],
    reject: Annotated[bool, typer.Option("--reject", help="退回（默认准入）")] = False,
) -> None:
    """审核规则 (approve or reject a submitted rule, with a reason)."""
    with friendly_errors():
        status = eligibility.decide_rule(
            open_store(), actor(), rule_id, approve=not reject, reason=reason
        )
    console.print(status)


@app.command("list")
def list_rules() -> None:
    """列出规则各版本 (every rule version and its status)."""
    with friendly_errors():
        rows = eligibility.list_rules(open_store(), actor())
    for r in rows:
        console.print(
            f"{r.id}\t{r.rule_key}\tv{r.version}\t{r.benefit}\t{r.department}\t{r.status}"
        )


@app.command("run")
def run(
    rule_key: Annotated[str, typer.Argument(help="规则代码")],
    org: Annotated[str, typer.Option("--org", help="机构代码")],
    month: Annotated[str, typer.Option("--month", help="发放月份 YYYY-MM")],
    out: Annotated[Path | None, typer.Option("--out", help="名册 .xlsx / .csv")] = None,
) -> None:
    """一键认定 (run a rule: new / kept / dropped / cannot tell, each explained)."""
    fmt = None
    if out is not None:
        fmt = {".xlsx": "xlsx", ".csv": "csv"}.get(out.suffix.lower())
        if fmt is None:
            fail(f"输出文件须以 .xlsx 或 .csv 结尾：{out}")
    with friendly_errors():
        result = eligibility.run_rule(
            open_store(),
            actor(),
            rule_key,
            org,
            month,
            fmt=fmt,
            out=out,  # type: ignore[arg-type]
        )
    # the counts, and the first 20 of each list: only the people printed are read (and
    # audited as read)
    for k, n in result.counts().items():
        console.print(f"[bold]{eligibility.LIST_LABELS[k]}[/bold]：{n}")
        for e in result.page(k, 0, 20) if n else []:
            amount = "" if e.amount is None else f" {e.amount} 元"
            console.print(f"  {e.name} {e.id_number} {e.village}{amount}：{e.reason}")
    console.print(f"运行编号 {result.run_id}；月发放合计 {result.amount} 元")


@app.command("confirm")
def confirm(run_id: Annotated[int, typer.Argument()]) -> None:
    """确认运行结果，更新发放名册 (enrol the new, end the dropped)."""
    with friendly_errors():
        print_json(eligibility.confirm_run(open_store(), actor(), run_id))


@app.command("enrol")
def enrol(
    rule_key: Annotated[str, typer.Argument()],
    roster: Annotated[Path, typer.Argument(help="CSV：id_number[,tier,amount]")],
    since: Annotated[str, typer.Option("--since", help="起始日期 YYYY-MM-DD")],
    county: Annotated[str | None, typer.Option("--county")] = None,
) -> None:
    """导入现有发放名册 (import who is paid now)."""
    with roster.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with friendly_errors():
        n = eligibility.import_enrolment(
            open_store(),
            actor(),
            rule_key,
            rows,
            since=date.fromisoformat(since),
            county_code=county,
        )
    console.print(f"已登记 {n} 人")


@app.command("proof")
def proof(
    kind: Annotated[str, typer.Argument(help="residence / kinship / alive / hukou")],
    matter: Annotated[str, typer.Option("--matter", help="办理事项")],
    id_number: Annotated[str, typer.Option("--id", help="身份证号")],
    other: Annotated[str | None, typer.Option("--other", help="另一人身份证号（亲属关系）")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", help="key=value")] = None,
    county: Annotated[str | None, typer.Option("--county")] = None,
) -> None:
    """数据代证明 (answer a proof question from the sheet, signed)."""
    params = dict(p.split("=", 1) for p in (param or []) if "=" in p)
    with friendly_errors():
        p = proofs.ask_proof(
            open_store(),
            actor(),
            kind,
            matter,
            id_number,
            params=params,
            other_id_number=other,
            county_code=county,
        )
    print_json(
        {"serial": p.serial, "answer": p.answer, "canonical": p.canonical, "signature": p.signature}
    )
