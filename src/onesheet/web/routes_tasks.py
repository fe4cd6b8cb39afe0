"""我的任务: a village cadre's collection tasks, on a phone, and the same over JSON.

Thin shells over ``services.tasks``: scope, validation, audit and the version check are the
service's. A page save is a plain form POST that works without JavaScript (a weak signal
in a village matters more than a reload); refused values come back next to their inputs,
with what the cadre typed kept, and nothing is saved until all of them pass.
Inputs are named ``v:<entity id>:<field key>`` so one form carries any number of people.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from onesheet.services import tasks as task_service
from onesheet.services.tasks import StaleTask
from onesheet.web.auth import Caller, check_csrf
from onesheet.web.deps import MAX_ID, PageNo, TaskId, is_number
from onesheet.web.i18n import register
from onesheet.web.pages import CallerDep, lang_of, render, store_of

router = APIRouter()

PREFIX = "v:"

register(
    {
        "tasks_title": ("我的任务", "My tasks"),
        "tasks_none": ("暂无采集任务", "No collection tasks"),
        "task_progress": ("进度", "Progress"),
        "task_open": ("待填报", "Open"),
        "task_done": ("已完成", "Done"),
        "task_period": ("周期", "Period"),
        "task_save": ("保存", "Save"),
        "task_saved": ("已保存 {n} 项", "Saved {n} values"),
        "task_all_done": ("本任务已全部填完", "Every value of this task is in"),
        "task_missing": ("缺", "missing"),
        "task_stale": ("待更新", "to update"),
        "task_now": ("现为", "now"),
        "task_choose": ("请选择", "Choose"),
        "task_household": ("户号", "Household"),
        "task_fix": ("有 {n} 项未通过校验，未保存任何内容", "{n} values refused; nothing saved"),
        "task_stale_version": (
            "该任务刚被他人保存，请核对后重新保存",
            "Someone saved this task meanwhile; check and save again",
        ),
        "task_prev": ("上一页", "Previous"),
        "task_next": ("下一页", "Next"),
        "task_page_of": ("第 {p}/{n} 页", "Page {p} of {n}"),
    }
)


# ---------------------------------------------------------------------------------- pages
@router.get("/tasks", response_class=HTMLResponse)
def tasks_list(request: Request, caller: CallerDep) -> HTMLResponse:
    found = task_service.list_tasks(store_of(request), caller.actor)
    return render(request, "tasks_list.html", {"tasks": found})


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
def task_page(
    request: Request, caller: CallerDep, task_id: TaskId, page: PageNo = 1
) -> HTMLResponse:
    saved = request.query_params.get("saved")
    return _render_task(request, caller, task_id, page, saved=int(saved) if saved else None)


@router.post("/tasks/{task_id}")
async def task_save(request: Request, caller: CallerDep, task_id: TaskId) -> Response:
    form = await request.form()
    check_csrf(caller, str(form.get("csrf_token") or ""))
    page = _int(form.get("page"), 1)
    typed = {k: str(v) for k, v in form.items() if k.startswith(PREFIX)}
    values = {_key(k): v for k, v in typed.items() if _key(k)}
    try:
        result = task_service.fill_task(
            store_of(request), caller.actor, task_id, values, _int(form.get("version"), 0)
        )
    except task_service.TaskFillInvalid as refused:
        lang = lang_of(request)
        errors = {
            f"{PREFIX}{e}:{k}": (f.message_en if lang == "en" else f.message_zh)
            for (e, k), f in refused.by_item.items()
        }
        ctx = {"errors": errors, "typed": typed, "refused": len(errors)}
        return _render_task(request, caller, task_id, page, status=400, **ctx)
    except StaleTask:
        return _render_task(request, caller, task_id, page, status=409, typed=typed, stale=True)
    return RedirectResponse(f"/tasks/{task_id}?page={page}&saved={result.filled}", 303)


def _render_task(
    request: Request, caller: Caller, task_id: int, page: int, status: int = 200, **ctx: Any
) -> HTMLResponse:
    view = task_service.task_page(store_of(request), caller.actor, task_id, page)
    base = {"view": view, "errors": {}, "typed": {}, "prefix": PREFIX}
    return render(request, "tasks_page.html", {**base, **ctx}, status)


def _key(name: str) -> tuple[int, str] | None:
    """``v:123:person.phone`` → (123, "person.phone"); None for anything malformed."""
    parts = name[len(PREFIX) :].split(":", 1)
    if len(parts) != 2 or not is_number(parts[0]) or int(parts[0]) > MAX_ID:
        return None
    return int(parts[0]), parts[1]


def _int(raw: object, default: int) -> int:
    """A form's non-negative number, or ``default`` when malformed or past the id range."""
    text = str(raw or "")
    return int(text) if is_number(text) and int(text) <= MAX_ID else default


# ------------------------------------------------------------------------------------ API
@router.get("/api/tasks", tags=["tasks"])
def api_tasks(request: Request, caller: CallerDep) -> list[dict[str, object]]:
    found = task_service.list_tasks(store_of(request), caller.actor)
    return [{**vars(t), "percent": t.percent} for t in found]


@router.get("/api/tasks/{task_id}", tags=["tasks"])
def api_task(
    request: Request, caller: CallerDep, task_id: TaskId, page: PageNo = 1
) -> dict[str, Any]:
    view = task_service.task_page(store_of(request), caller.actor, task_id, page)
    return {
        "task": {**vars(view.task), "percent": view.task.percent},
        "page": view.page,
        "pages": view.pages,
        "entities": [
            {
                "entity_id": e.entity_id,
                "name": e.title,
                "id_number": e.id_masked,
                "household": e.household,
                "values": [
                    {
                        "field": i.field_key,
                        "label": i.label_zh,
                        "input": i.kind,
                        "unit": i.unit,
                        "reason": i.reason,
                        "choices": [{"value": v, "label": lb} for v, lb in i.choices],
                    }
                    for i in e.inputs
                ],
            }
            for e in view.entities
        ],
    }


@router.post("/api/tasks/{task_id}", tags=["tasks"])
def api_fill(
    request: Request,
    caller: CallerDep,
    task_id: TaskId,
    body: Annotated[dict[str, Any], Body()],
) -> Response:
    """Body: ``{"values": [{"entity_id", "field", "value"}], "expected_version": n}``."""
    check_csrf(caller, request.headers.get("x-csrf-token"))
    try:
        values = {(int(v["entity_id"]), str(v["field"])): v.get("value") for v in body["values"]}
        version = int(body["expected_version"])
        if not 0 <= version <= MAX_ID or any(not 0 < e <= MAX_ID for e, _ in values):
            raise ValueError(version)
    except (KeyError, TypeError, ValueError):
        return JSONResponse({"detail": "请求格式有误 (values / expected_version)"}, 422)
    try:
        result = task_service.fill_task(store_of(request), caller.actor, task_id, values, version)
    except task_service.TaskFillInvalid as refused:
        errors = [
            {"entity_id": e, "field": k, "code": f.code, "message": f.message_zh,
             "message_en": f.message_en}
            for (e, k), f in refused.by_item.items()
        ]  # fmt: skip
        return JSONResponse({"detail": refused.message("zh"), "errors": errors}, 400)
    except StaleTask:
        return JSONResponse({"detail": "该任务已被他人更新 (task changed; reload)"}, 409)
    task = result.task
    return JSONResponse(
        {
            "filled": result.filled,
            "batch_id": result.batch_id,
            "task": {**vars(task), "percent": task.percent},
        }
    )
