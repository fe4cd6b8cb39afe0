"""``onesheet jobs``: import jobs started over the API (list, show, run, rerun).

``jobs run JOB`` is also what the server starts for each upload, as
``python -m onesheet.cli.jobs_cmd run JOB`` (this module alone imports in about half the
time of the whole CLI); the database URL comes from ``ONESHEET_DATABASE_URL``.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.table import Column, Table

from onesheet.background import lower_own_priority
from onesheet.cli.common import actor, console, fail, friendly_errors, open_store, print_json
from onesheet.services import import_jobs
from onesheet.services.import_jobs import JobView

app = typer.Typer(help="导入任务 (import jobs started over the API)", no_args_is_help=True)

STAGE_ZH = {
    "queued": "排队",
    "read": "读取",
    "check": "校验",
    "link": "关联",
    "write": "写入",
}


def _when(value: object) -> str:
    return str(value)[:19] if value else "—"


def _status(job: JobView) -> str:
    if job.interrupted:
        return "中断 interrupted"
    return f"{import_jobs.STATUS_ZH.get(job.status, job.status)} {job.status}"


def _progress(job: JobView) -> str:
    stage = STAGE_ZH.get(job.stage, job.stage)
    return f"{stage} {job.done}/{job.total}" if job.total else stage


def _plain(job: JobView) -> dict[str, Any]:
    return {**asdict(job), "interrupted": job.interrupted}


@app.command("list")
def list_command(
    limit: Annotated[int, typer.Option("--limit", min=1, max=200, help="最多显示几条")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """列出导入任务，最新的在前 (list import jobs, newest first)."""
    with friendly_errors():
        found = import_jobs.list_jobs(open_store(), actor(), limit=limit)
    if as_json:
        print_json([_plain(j) for j in found])
        return
    table = Table(Column("任务", no_wrap=True, min_width=24), "用户", "文件", "来源", "状态",
                  "进度", "次", "创建")  # fmt: skip
    for j in found:
        table.add_row(
            j.id,
            j.owner,
            j.file,
            j.department,
            _status(j),
            _progress(j),
            str(j.attempt),
            _when(j.created_at)[5:16],
        )
    console.print(table)
    console.print(f"共 {len(found)} 个任务 ({len(found)} jobs)")


@app.command("show")
def show_command(
    job_id: Annotated[str, typer.Argument(help="任务编号（见 jobs list）")],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """显示一个导入任务：状态、进度、摘要或失败原因 (show one job)."""
    with friendly_errors():
        job = _or_fail(lambda: import_jobs.show(open_store(), actor(), job_id))
    if as_json:
        print_json(_plain(job))
        return
    _print(job)


@app.command("run")
def run_command(
    job_id: Annotated[str, typer.Argument(help="任务编号")],
    nice: Annotated[
        int, typer.Option("--nice", min=0, max=19, help="降低本进程的 CPU 优先级（让网页先答）")
    ] = 10,
) -> None:
    """运行一个排队中的任务（服务器为每次上传自动启动）(run a queued job)."""
    lower_own_priority(nice)
    with friendly_errors():
        job = _or_fail(lambda: import_jobs.run_job(open_store(), job_id, backend_nice=nice))
    _print(job)
    if job.status != "done":
        raise typer.Exit(1)


@app.command("rerun")
def rerun_command(
    job_id: Annotated[str, typer.Argument(help="中断的任务编号")],
    background: Annotated[
        bool, typer.Option("--background", help="在后台进程中运行，不等待结果")
    ] = False,
) -> None:
    """重新运行中断的任务（用已保存的上传文件）(run an interrupted job again)."""
    with friendly_errors():
        store = open_store()
        job = _or_fail(lambda: import_jobs.rerun(store, actor(), job_id, launch=background))
        if not background:
            job = _or_fail(lambda: import_jobs.run_job(store, job_id))
    _print(job)
    if not background and job.status != "done":
        raise typer.Exit(1)


def _or_fail(call: Any) -> JobView:
    """The job, or the job errors as one clear message (never a traceback)."""
    try:
        return call()  # type: ignore[no-any-return]
    except (
        import_jobs.UnknownJob,
        import_jobs.JobNotRerunnable,
        import_jobs.JobNotQueued,
    ) as exc:
        fail(str(exc))


def _print(job: JobView) -> None:
    console.print(f"任务 {job.id}  文件 {job.file}  来源 {job.department}  用户 {job.owner}")
    console.print(f"状态 {_status(job)}  进度 {_progress(job)}  第 {job.attempt} 次")
    console.print(f"创建 {_when(job.created_at)}  开始 {_when(job.started_at)}  "
                  f"结束 {_when(job.finished_at)}")  # fmt: skip
    if job.error:
        console.print(f"[bold red]原因：[/]{job.error.get('detail', '')}", markup=True)
        if job.error.get("detail_en"):
            console.print(job.error["detail_en"], markup=False)
        if job.rerunnable:
            console.print(f"可重新运行：onesheet jobs rerun {job.id}")
    if job.summary:
        s = job.summary
        console.print(
            f"读取 {s['rows_read']} 行：关联 {s['linked']}，新建 {s['created']}，"
            f"待核 {s['queued']}，拒绝 {s['rejected']}；写入 {s['observations']} 条"
            + ("（已导入过）" if s.get("already_imported") else "")
            + ("（试运行，未写入）" if s.get("dry_run") else "")
        )
    findings = (job.summary or job.error or {}).get("findings") or []
    if findings:
        table = Table("行", "列", "问题")
        for f in findings[:50]:
            table.add_row(str(f.get("row") or ""), f.get("column") or "", f.get("message") or "")
        console.print(table)


if __name__ == "__main__":
    app(prog_name="onesheet jobs")
