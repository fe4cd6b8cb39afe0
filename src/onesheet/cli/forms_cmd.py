"""``onesheet forms``: legacy forms become templates and pass the Gate (报表准入)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from onesheet.cli.common import (
    actor,
    console,
    err_console,
    fail,
    friendly_errors,
    open_store,
    print_json,
)
from onesheet.domain.gate import Review
from onesheet.domain.responsibility import LIST_LABELS_ZH
from onesheet.services import county_fields, forms, gate
from onesheet.services.errors import StaleTemplate
from onesheet.services.forms import STATUS_LABELS_ZH, TemplateRow

app = typer.Typer(help="报表模板与准入审核 (forms and the Gate)", no_args_is_help=True)
lists_app = typer.Typer(help="村级事项清单 (village responsibility lists)", no_args_is_help=True)
app.add_typer(lists_app, name="lists")

_STATUS_STYLE = {"matched": "green", "uncertain": "yellow", "new": "cyan", "layout": "dim"}
_STATUS_ZH = {"matched": "已匹配", "uncertain": "待确认", "new": "新字段", "layout": "版式"}
_SUGGEST_ZH = {"approve": "建议准入", "reject": "建议退回", "needs_reason": "须审核人说明理由"}
JsonOpt = Annotated[bool, typer.Option("--json", help="输出 JSON (print JSON)")]
IdArg = Annotated[str, typer.Argument(help="模板编号 (template id)")]


@contextmanager
def _errors() -> Iterator[None]:
    with friendly_errors():
        try:
            yield
        except StaleTemplate as exc:
            fail(f"模板 {exc} 已被他人修改，请重试 (template changed meanwhile; try again)")


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="XLSX / XLS / ODS 文件")],
    department: Annotated[str, typer.Option(help="部门名称或编码，如 民政局")],
    sheet: Annotated[str | None, typer.Option(help="工作表名称（多表时必填）")] = None,
    matter: Annotated[str | None, typer.Option(help="所服务的村级事项编码")] = None,
    as_json: JsonOpt = False,
) -> None:
    """导入部门的旧表格，生成模板草稿 (import a legacy form as a draft template)."""
    with _errors(), err_console.status(f"正在分析 {file.name} …"):
        result = forms.import_form(
            open_store(), actor(), file, department=department, sheet=sheet, matter=matter
        )
    if as_json:
        print_json(result.contract)
        return
    if result.existing:
        console.print(
            f"[yellow]该文件已导入过，沿用模板 {result.template.id}[/] (already imported)"
        )
    stored = result.template.analysis or {}
    console.print(f"工作表 (sheet)：{stored.get('sheet', '')}")
    for note in stored.get("notes") or []:  # type: ignore[union-attr]
        console.print(f"[yellow]注意[/]：{note['zh']}")
    _print_columns(result.template, result.contract)
    if result.new_drafts:
        console.print(f"提议新字段 (draft fields)：{'、'.join(result.new_drafts)}")


@app.command("list")
def list_command(
    status: Annotated[str | None, typer.Option(help="draft/submitted/approved/rejected")] = None,
    as_json: JsonOpt = False,
) -> None:
    """列出模板 (list templates)."""
    with _errors():
        rows = forms.list_forms(open_store(), actor(), status=status)
    if as_json:
        print_json([_summary(r) for r in rows])
        return
    table = Table("编号 id", "标题 title", "部门", "类型", "状态", "事项", "列数", "导入时间")
    for r in rows:
        table.add_row(
            r.id,
            r.spec.title,
            r.department,
            "汇总表" if r.spec.kind == "aggregate" else r.spec.entity,
            STATUS_LABELS_ZH.get(r.status, r.status),
            r.matter or "",
            str(len(r.spec.columns)),
            f"{r.created_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)
    console.print(f"共 {len(rows)} 个模板 ({len(rows)} templates)")


@app.command("show")
def show_command(template_id: IdArg, as_json: JsonOpt = False) -> None:
    """查看模板及其审核记录 (show a template and its Gate history)."""
    with _errors():
        store = open_store()
        view = forms.show_form(store, actor(), template_id)
        proposals = county_fields.proposals(store, actor(), template_id)
    decisions = [
        {"decision": d.decision, "actor": d.actor, "at": d.at.isoformat(), "reason": d.reason}
        for d in view.decisions
    ]
    new_fields = [
        {
            "letter": p.letter,
            "heading": p.heading,
            "field": p.key,
            "proposal": p.proposal.as_json(),
            "confirmed": p.definition.as_json() if p.definition else None,
        }
        for p in proposals
    ]
    if as_json:
        summary = _summary(view.template)
        print_json(view.contract | summary | {"decisions": decisions, "new_fields": new_fields})
        return
    _print_columns(view.template, view.contract)
    _print_proposals(proposals)
    for d in decisions:
        console.print(f"{d['at'][:16]}  {d['decision']}  {d['actor']}  {d['reason']}")


@app.command("map")
def map_command(
    template_id: IdArg,
    column: Annotated[str, typer.Option(help="列字母，如 B")],
    field: Annotated[str, typer.Option(help="字段编码，如 person.name")],
) -> None:
    """人工指定某列对应的字段，并记住该表头写法 (map a column to a field; remembered)."""
    with _errors():
        row = forms.map_column(open_store(), actor(), template_id, column=column, field_key=field)
    console.print(
        f"[green]已将 {column.upper()} 列对应到 {field}[/]（模板 {row.id}，已记住该写法）"
    )


@app.command("set-matter")
def set_matter_command(
    template_id: IdArg, matter: Annotated[str, typer.Option(help="村级事项编码，如 ZZ012")]
) -> None:
    """指定模板所服务的村级事项 (name the village matter the template serves)."""
    with _errors():
        forms.set_matter(open_store(), actor(), template_id, matter=matter)
    console.print(f"[green]模板 {template_id} 的事项已设为 {matter}[/]")


@app.command("submit")
def submit_command(template_id: IdArg) -> None:
    """提交准入审核 (submit to the Gate)."""
    with _errors():
        forms.submit(open_store(), actor(), template_id)
    console.print(f"[green]模板 {template_id} 已提交审核[/] (submitted)")


@app.command("review")
def review_command(template_id: IdArg, as_json: JsonOpt = False) -> None:
    """准入审核：可复用列、村级负担、重复表格、事项清单 (review figures)."""
    with _errors(), err_console.status("正在统计 …"):
        result = gate.review(open_store(), actor(), template_id)
    if as_json:
        print_json(result.to_json())
        return
    _print_review(result)


@app.command("approve")
def approve_command(
    template_id: IdArg, reason: Annotated[str, typer.Option(help="准入理由")]
) -> None:
    """准入 (approve a submitted template)."""
    with _errors():
        gate.approve(open_store(), actor(), template_id, reason=reason)
    console.print(f"[green]模板 {template_id} 已准入[/] (approved)")


@app.command("reject")
def reject_command(
    template_id: IdArg, reason: Annotated[str, typer.Option(help="退回理由")]
) -> None:
    """退回 (reject a submitted template)."""
    with _errors():
        gate.reject(open_store(), actor(), template_id, reason=reason)
    console.print(f"[yellow]模板 {template_id} 已退回[/] (rejected)")


@lists_app.command("load")
def lists_load_command(
    file: Annotated[Path | None, typer.Argument(help="CSV：code,list,category,item,source")] = None,
    county: Annotated[str | None, typer.Option(help="县级区划代码")] = None,
) -> None:
    """载入村级事项清单（不给文件则载入内置样例）(load the lists; default: packaged sample)."""
    with _errors():
        loaded = gate.load_lists(open_store(), actor(), file, county_code=county)
    parts = "、".join(f"{LIST_LABELS_ZH.get(k, k)} {n} 项" for k, n in loaded.by_kind.items())
    console.print(f"[green]已载入 {loaded.county_code} 的事项清单 {loaded.items} 项[/]：{parts}")


@lists_app.command("show")
def lists_show_command(
    kind: Annotated[str | None, typer.Option(help="main/assist/negative/certificate")] = None,
    county: Annotated[str | None, typer.Option(help="县级区划代码")] = None,
    as_json: JsonOpt = False,
) -> None:
    """查看村级事项清单 (show the lists)."""
    with _errors():
        found = gate.list_items(open_store(), actor(), county_code=county)
    items = [i for i in found if kind in (None, i.list_kind)]
    if as_json:
        print_json([i.__dict__ for i in items])
        return
    table = Table("编码 code", "清单", "类别", "事项")
    for i in items:
        table.add_row(i.code, i.label_zh, i.category, i.item)
    console.print(table)


def _summary(r: TemplateRow) -> dict[str, object]:
    return {
        "template_id": r.id,
        "title": r.spec.title,
        "department": r.department,
        "kind": r.spec.kind,
        "status": r.status,
        "matter": r.matter,
        "source_file": r.source_file,
        "created_at": r.created_at.isoformat(),
    }


def _print_columns(row: TemplateRow, contract: dict[str, object]) -> None:
    status = STATUS_LABELS_ZH.get(row.status, row.status)
    console.print(f"[bold]{row.spec.title}[/]  {row.id}  {row.department}  {status}")
    console.print(
        f"表头行 (heading rows)：{contract.get('header_rows')}  筛选：{contract.get('filter')}"
    )
    table = Table("列", "表头 heading", "字段 field", "状态", "置信度", "候选 candidates")
    for c in contract.get("columns") or []:  # type: ignore[union-attr]
        st = c["status"]
        cands = "，".join(f"{x['field']} {x['score']:.2f}" for x in c["candidates"][:3])
        table.add_row(
            c["letter"],
            c["heading"],
            c["field"] or "",
            f"[{_STATUS_STYLE.get(st, '')}]{_STATUS_ZH.get(st, st)}[/]",
            f"{c['confidence']:.2f}",
            cands,
        )
    console.print(table)


def _print_proposals(proposals: list[county_fields.ColumnProposal]) -> None:
    """New columns: the type their evidence suggests, and the steward's confirmation."""
    if not proposals:
        return
    table = Table(
        "列", "表头 heading", "草稿字段 draft", "建议类型 proposed", "依据 why", "已确认 confirmed"
    )
    for p in proposals:
        guess = p.proposal.type + (f"（{p.proposal.unit}）" if p.proposal.unit else "")
        if p.proposal.codes:
            guess += "：" + "/".join(p.proposal.codes)
        d = p.definition
        done = f"{d.type} {d.status} v{d.version}" if d else "—"
        table.add_row(p.letter, p.heading, p.key, guess, p.proposal.why, done)
    console.print("新字段 (new fields; confirm with: onesheet fields confirm KEY --template ID)")
    console.print(table)


def _print_review(r: Review) -> None:
    data = r.to_json()
    b = data["burden"]
    console.print(
        f"[bold]准入审核 (Gate review)：{r.title}[/]  {r.template_id}  （频次 {r.frequency}）"
    )
    console.print(
        f"一表通可回答 {data['columns_answered']}/{data['columns_total']} 列"
        f"（{r.answered_share:.0%}），需采集 {len(r.to_collect)} 列"
    )
    table = Table("", "需填值数 values", "分钟 minutes", "每村分钟 per village")
    table.add_row(
        "使用一表通", str(b["values_to_type"]), str(b["minutes"]), str(b["per_village_minutes"])
    )
    table.add_row(
        "全手工填报",
        str(b["manual_values"]),
        str(b["manual_minutes"]),
        str(b["manual_per_village_minutes"]),
    )
    console.print(table)
    console.print(
        f"涉及 {b['villages']} 个村（社区），{b['rows']} 行；每值按 {b['minutes_per_value']} 分钟计"
    )
    if r.to_collect:
        console.print("需采集的列：" + "、".join(f"{c.letter} {c.heading}" for c in r.to_collect))
    for o in r.overlaps[:5]:
        console.print(
            f"与已准入模板 {o.template_id}（{o.title}）重合 {o.share:.0%}：{'、'.join(o.shared)}"
        )
    console.print(f"事项清单：{r.matter.message_zh}")
    console.print(f"[bold]{_SUGGEST_ZH.get(r.suggestion, r.suggestion)}[/]")
    for reason in r.reasons_zh:
        console.print(f"  · {reason}")
