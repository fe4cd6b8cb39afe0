"""``onesheet link``: the review queue of rows linkage could not decide alone."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from onesheet.cli.common import actor, console, friendly_errors, open_store, print_json
from onesheet.services import dedupe as dedupe_service
from onesheet.services import linkage_queue

link_app = typer.Typer(
    help="数据关联 (record linkage: review queue, duplicates)", no_args_is_help=True
)


REASONS = {
    "no_key": "无号且无候选",
    "weak": "无号，证据不足",
    "ambiguous": "多个相近候选",
    "key_name": "号码属他人姓名",
    "key_slip": "号码疑似录错",
}
SHOWN = {"name": "名", "idn": "号", "birth": "生", "sex": "性", "phone": "电", "addr": "址"}


def _candidate(c: list) -> str:  # type: ignore[type-arg]
    """'123:0.97 名=same pinyin 生=same 电=missing': the evidence that differs from none."""
    text = f"{c[0]}:{c[1]:.2f}"
    ev = c[2] if len(c) > 2 and isinstance(c[2], dict) else {}
    parts = [f"{SHOWN[k]}={v}" for k, v in ev.items() if k in SHOWN and v != "missing"]
    return " ".join([text, *parts])


@link_app.command("queue")
def queue(
    status: Annotated[str, typer.Option(help="open / linked / created / rejected / all")] = "open",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """列出待人工确认的关联 (list queued rows)."""
    with friendly_errors():
        entries = linkage_queue.list_entries(
            open_store(), actor(), status=None if status == "all" else status
        )
    if as_json:
        print_json(entries)
        return
    t = Table("编号", "来源", "文件/行", "姓名", "原因", "候选 (编号:概率 证据)", "状态")
    for e in entries:
        cands = "\n".join(_candidate(c) for c in e["candidates"][:3])
        where = f"{e['file']}:{e['row_no']}"
        name = e["record"].get("person.name", "")
        reason = REASONS.get(e["record"].get("_reason", ""), e["record"].get("_reason", ""))
        t.add_row(str(e["id"]), e["source"], where, name, reason, cands, e["status"])
    console.print(t)


@link_app.command("decide")
def decide(
    entry: Annotated[int, typer.Argument(help="待办编号")],
    entity: Annotated[
        int | None, typer.Option("--entity", help="关联到该对象编号（人员、企业或场所）")
    ] = None,
    create: Annotated[bool, typer.Option("--new", help="新建人员、企业或场所")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="驳回，不写入")] = False,
    reason: Annotated[str, typer.Option(help="说明")] = "",
) -> None:
    """确认一条待办：关联、新建或驳回 (decide a queued row)."""
    with friendly_errors():
        d = linkage_queue.decide(
            open_store(),
            actor(),
            entry,
            entity_id=entity,
            create=create,
            reject=reject,
            reason=reason,
        )
    console.print(
        f"待办 {d.entry_id}：{d.status}，人员 {d.entity_id or '-'}，写入 {d.observations} 条"
    )


@link_app.command("dedupe")
def dedupe(
    county: Annotated[str | None, typer.Option("--county", help="县级代码")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """查找表内疑似重复人员并列入待办 (find likely duplicates; queue them for review)."""
    with friendly_errors(), console.status("查找重复 finding duplicates…"):
        s = dedupe_service.find_duplicates(open_store(), actor(), county_code=county)
    if as_json:
        print_json(asdict(s))
        return
    console.print(
        f"{s.people} 人中发现疑似重复 {s.queued} 对（已在待办 {s.already_queued}，"
        f"身份证号不同而排除 {s.different_ids}）；用 onesheet link queue 查看，"
        "onesheet link merge 编号 合并"
    )


@link_app.command("merge")
def merge(
    entry: Annotated[int, typer.Argument(help="重复待办编号")],
    swap: Annotated[bool, typer.Option("--swap", help="保留另一人（对调保留与合并方）")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="不是同一人，不合并")] = False,
    reason: Annotated[str, typer.Option(help="说明")] = "",
) -> None:
    """合并一对重复人员，保留双方历史 (merge a duplicate pair, keeping both histories)."""
    with friendly_errors():
        r = dedupe_service.merge(
            open_store(), actor(), entry, swap=swap, reject=reject, reason=reason
        )
    if r.status == "rejected":
        console.print(f"待办 {r.entry_id}：不是同一人，未合并")
    else:
        console.print(
            f"待办 {r.entry_id}：人员 {r.duplicate} 已并入 {r.survivor}，"
            f"批次 {r.batch_id}，写入 {r.observations} 条"
        )
