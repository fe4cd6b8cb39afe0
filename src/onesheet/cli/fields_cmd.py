"""``onesheet fields``: the data dictionary."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from onesheet.cli.common import actor, console, friendly_errors, open_store, print_json
from onesheet.domain.dictionary import load_builtin
from onesheet.services import county_fields
from onesheet.services.base import Store
from onesheet.services.county_fields_catalogue import catalogue_page
from onesheet.services.errors import DATABASE_NOT_READY
from onesheet.services.reference import list_fields

app = typer.Typer(help="数据字典 (the data dictionary)", no_args_is_help=True)


@app.command("list")
def list_command(
    entity: Annotated[
        str | None, typer.Option(help="person / household / enterprise / house")
    ] = None,
    query: Annotated[
        str, typer.Option("--q", "-q", help="关键词：名称、key、同义词、代码表、部门 (search)")
    ] = "",
    by_town: Annotated[
        bool, typer.Option("--by-town", help="逐个乡镇列出填充率 (fill rate per town)")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """数据元目录：全部字段（内置与县级）及各乡镇填充率 (the field catalogue)."""
    with friendly_errors():
        try:
            found = catalogue_page(open_store(), actor(), query=query, entity=entity)
        except DATABASE_NOT_READY:  # no database yet: the built-in dictionary still reads
            _dictionary_only(entity, query, as_json)
            return
    if as_json:
        print_json([asdict(e) for e in found.entries])
        return
    columns = ["key", "名称", "类型", "单位", "代码表", "敏感度", "归属部门", "状态", "模板"]
    table = Table(*columns, "填充率")
    towns = found.units if by_town else []
    for _, name in towns:
        table.add_column(name)
    for e in found.entries:
        rates = {u.code: u.rate for u in e.fill}
        table.add_row(
            e.key, e.label_zh, e.type, e.unit or "", e.code_table_label or e.code_table or "",
            e.sensitivity, e.owner, e.status, ", ".join(e.templates),
            "计算" if e.derived else _percent(e.fill_rate),
            *(_percent(rates.get(code)) for code, _ in towns),
        )  # fmt: skip
    # a pipe or a file has no width to fit: let the rows run long rather than cut them
    (console if console.is_terminal else Console(width=240)).print(table)
    n, total = len(found.entries), found.total
    console.print(f"共 {n}/{total} 个字段 ({n} of {total} fields)")


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.0%}"


def _dictionary_only(entity: str | None, query: str, as_json: bool) -> None:
    """The built-in fields when the database is not initialised (no county fields, no fill)."""
    fields = list_fields(_DictionaryOnly(), actor(), entity=entity)
    words = query.strip().lower()
    fields = [f for f in fields if not words or words in f.key or words in f.label_zh]
    if as_json:
        print_json([asdict(f) for f in fields])
        return
    table = Table("key", "名称", "类型", "代码表", "敏感度", "权威部门")
    for f in fields:
        table.add_row(f.key, f.label_zh, f.type, f.code_table or "", f.sensitivity, f.authority)
    console.print(table)
    console.print(f"数据库未初始化：仅内置字段 {len(fields)} 个 (database not initialised)")


class _DictionaryOnly(Store):
    """A Store without a database, for services that only read the dictionary."""

    def __init__(self) -> None:
        self.dictionary = load_builtin()
        self.grants = {}


# ---------------------------------------------------------------------------- county fields
def _split(text: str | None) -> list[str]:
    return [w.strip() for w in (text or "").replace("，", ",").split(",") if w.strip()]


@app.command("county")
def county_command(
    county: Annotated[str | None, typer.Option(help="县级区划代码 (county code)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """列出县级数据元 (the county's own fields: confirmed, active, deprecated)."""
    with friendly_errors():
        found = county_fields.list_county_fields(open_store(), actor(), county_code=county)
    if as_json:
        print_json(
            [c.definition.as_json() | {"templates": c.templates, "values": c.values} for c in found]
        )
        return
    table = Table(
        "key", "名称", "类型", "单位", "代码表", "敏感度", "归属部门", "状态", "版本", "值数"
    )
    for c in found:
        d = c.definition
        table.add_row(
            d.key, d.label_zh, d.type, d.unit or "", d.code_table or "", d.sensitivity,
            d.owner, d.status, str(d.version), str(c.values),
        )  # fmt: skip
    console.print(table)
    console.print(f"共 {len(found)} 个县级字段 ({len(found)} county fields)")


@app.command("confirm")
def confirm_command(
    key: Annotated[str, typer.Argument(help="草稿字段 key (e.g. person.x_gyfs)")],
    template: Annotated[
        str | None, typer.Option(help="模板编号 (the form that brought it)")
    ] = None,
    label: Annotated[str | None, typer.Option(help="名称 (label)")] = None,
    value_type: Annotated[
        str | None, typer.Option("--type", help="text/integer/decimal/date/boolean/code …")
    ] = None,
    unit: Annotated[str | None, typer.Option(help="单位，如 元、次")] = None,
    codes: Annotated[
        str | None, typer.Option(help="代码选项，逗号分隔 (options: 集中,分散)")
    ] = None,
    code_table: Annotated[
        str | None, typer.Option(help="已有代码表 (an existing code table)")
    ] = None,
    sensitivity: Annotated[str | None, typer.Option(help="general/personal/sensitive")] = None,
    mask: Annotated[str | None, typer.Option(help="id_number/phone/account")] = None,
    owner: Annotated[str | None, typer.Option(help="归属部门 (owner department key)")] = None,
    readers: Annotated[str | None, typer.Option(help="授权读取的部门，逗号分隔")] = None,
    reason: Annotated[str, typer.Option(help="理由 (reason)")] = "",
    county: Annotated[str | None, typer.Option(help="县级区划代码")] = None,
) -> None:
    """确认草稿字段 (confirm a draft field; it joins the dictionary when its form is approved)."""
    with friendly_errors():
        d = county_fields.confirm(
            open_store(), actor(), key, template_id=template, label_zh=label,
            value_type=value_type, unit=unit, code_table=code_table,
            codes=_split(codes) or None, sensitivity=sensitivity, mask=mask, owner=owner,
            readers=_split(readers), reason=reason, county_code=county,
        )  # fmt: skip
    console.print(f"{d.key} {d.label_zh}：{d.type} {d.unit or ''} {d.status} v{d.version}")


@app.command("deprecate")
def deprecate_command(
    key: Annotated[str, typer.Argument(help="县级字段 key")],
    reason: Annotated[str, typer.Option(help="理由 (required)")],
    county: Annotated[str | None, typer.Option(help="县级区划代码")] = None,
) -> None:
    """停用县级字段 (retire a county field; its history and templates stay)."""
    with friendly_errors():
        d = county_fields.deprecate(open_store(), actor(), key, reason=reason, county_code=county)
    console.print(f"{d.key} {d.label_zh}：{d.status} v{d.version}")


@app.command("merge-proposals")
def merge_proposals_command(
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """可能同义的字段 (fields that probably mean the same thing)."""
    with friendly_errors():
        found = county_fields.merge_proposals(open_store(), actor())
    if as_json:
        print_json([asdict(p) for p in found])
        return
    for p in found:
        console.print(f"{p.key} {p.label}  ≈  {p.other} {p.other_label}  ({p.score})")


@app.command("merge")
def merge_command(
    source: Annotated[str, typer.Argument(help="被合并的县级字段 (retired)")],
    into: Annotated[str, typer.Argument(help="保留的县级字段 (kept)")],
    reason: Annotated[str, typer.Option(help="理由 (required)")],
) -> None:
    """合并县级字段 (merge one county field into another; both histories stay)."""
    with friendly_errors():
        r = county_fields.merge(open_store(), actor(), source, into, reason=reason)
    console.print(
        f"{source} → {into}：复制 {r.values_copied} 个值，改用模板 {', '.join(r.templates_rebound)}"
    )
