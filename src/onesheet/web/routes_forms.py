"""Pages for departments (forms), reviewers (the Gate), towns and the county (progress,
the burden ledger), and ``/api/ledger``; included by ``create_app``.

Thin shells over ``services.forms``, ``services.gate`` and ``services.ledger``: parse the
form, check the CSRF token, call the service, then redirect (post/redirect/get, so a reload
never repeats a decision) or re-render with the service's Chinese message. Roles that have
no business on a page get 403 here even where the service would merely show them nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from onesheet.domain.access import ROLE_LABELS_ZH, AccessDenied, Actor
from onesheet.domain.dictionary import ENTITY_TYPES
from onesheet.domain.findings import Finding, InvalidInput
from onesheet.domain.responsibility import LIST_KINDS, LIST_LABELS_ZH, Item
from onesheet.ingest.workbook import DEFAULT_MAX_BYTES
from onesheet.services import forms, gate, ledger
from onesheet.services.base import Store
from onesheet.web.auth import Caller
from onesheet.web.deps import current_actor
from onesheet.web.i18n import register
from onesheet.web.pages import CallerDep, CsrfDep, lang_of, render, store_of

router = APIRouter()

FORM_ROLES = ("department", "reviewer", "admin")
EDIT_ROLES = ("department", "admin")
GATE_ROLES = ("reviewer", "admin")
PROGRESS_ROLES = ("town", "department", "admin")
EDITABLE = ("draft", "rejected")

register(
    {
        "forms_title": ("报表模板", "Form templates"),
        "forms_upload": ("上传旧报表", "Upload a legacy form"),
        "forms_upload_hint": (
            "XLSX / XLS / ODS，系统自动识别表头并对应到数据元",
            "XLSX / XLS / ODS; headings are matched to dictionary fields",
        ),
        "forms_upload_btn": ("上传并识别", "Upload and analyse"),
        "forms_department": ("部门", "Department"),
        "forms_status": ("状态", "Status"),
        "forms_updated": ("更新时间", "Updated"),
        "forms_none": ("还没有报表模板", "No templates yet"),
        "forms_col": ("列", "Col."),
        "forms_heading": ("表头", "Heading"),
        "forms_confidence": ("置信度", "Confidence"),
        "forms_field": ("对应数据元", "Field"),
        "forms_candidates": ("候选", "Candidates"),
        "forms_accept": ("采用", "Use"),
        "forms_pick": ("改为", "Set"),
        "forms_matter": ("服务的村级事项", "Village matter served"),
        "forms_matter_none": ("（未指定）", "(none)"),
        "forms_save": ("保存", "Save"),
        "forms_submit": ("提交准入审核", "Submit to the Gate"),
        "forms_download": ("一键生成报表", "One-click report"),
        "forms_history": ("审核记录", "Gate history"),
        "forms_reason": ("理由", "Reason"),
        "forms_actor": ("操作人", "By"),
        "forms_time": ("时间", "When"),
        "forms_mapping": ("表头对应", "Column mapping"),
        "forms_reading": ("系统如何读这张表", "How the form was read"),
        "forms_reading_sheet": ("工作表", "Sheet"),
        "forms_reading_entity": ("对象", "Entity"),
        "forms_reading_filter": ("筛选条件", "Filter"),
        "forms_reading_frequency": ("报送周期", "Frequency"),
        "forms_new_field": ("新建字段", "New field"),
        "forms_new_label": ("字段名称", "Field name"),
        "forms_new_type": ("类型", "Type"),
        "forms_new_code_table": ("代码表（可选）", "Code table (optional)"),
        "forms_new_create": ("新建并对应", "Create and map"),
        "forms_draft_field": ("草稿字段", "Draft field"),
        "forms_drafts_group": ("草稿字段", "Draft fields"),
        "forms_readonly": ("仅草稿或已退回的模板可以修改", "Only drafts or rejected forms change"),
        "status_draft": ("草稿", "Draft"),
        "status_submitted": ("待审核", "Under review"),
        "status_approved": ("已准入", "Approved"),
        "status_rejected": ("已退回", "Rejected"),
        "match_matched": ("已匹配", "Matched"),
        "match_uncertain": ("待确认", "Uncertain"),
        "match_new": ("新字段", "New field"),
        "match_layout": ("版式列", "Layout"),
        "gate_title": ("准入审核队列", "Gate queue"),
        "gate_empty": ("没有待审核的报表", "Nothing waiting for review"),
        "gate_answered": ("一表通已能回答", "Answered by the sheet"),
        "gate_to_collect": ("需采集的列", "Columns to collect"),
        "gate_burden_village": ("每村每期填报", "Per village per period"),
        "gate_burden_county": ("全县每期填报", "County per period"),
        "gate_manual": ("全手工", "by hand"),
        "gate_minutes": ("分钟", "min"),
        "gate_values": ("个值", "values"),
        "gate_overlaps": ("与已准入报表重复", "Overlaps with approved forms"),
        "gate_matter": ("责任清单", "Responsibility list"),
        "gate_suggestion": ("建议", "Suggestion"),
        "gate_approve": ("准入", "Approve"),
        "gate_reject": ("退回", "Reject"),
        "gate_reason_hint": ("审核理由（必填）", "Reason (required)"),
        "suggest_approve": ("建议准入", "Approve"),
        "suggest_reject": ("建议退回", "Reject"),
        "suggest_needs_reason": ("须说明理由", "Needs a reason"),
        "progress_title": ("采集任务进度", "Collection task progress"),
        "progress_empty": ("范围内暂无采集任务", "No collection tasks in scope"),
        "progress_village": ("村（社区）", "Village"),
        "progress_done": ("已完成", "Done"),
        "progress_open": ("进行中", "Open"),
        "progress_items": ("已填/应填", "Filled / total"),
        "progress_form": ("报表", "Form"),
        "progress_period": ("期别", "Period"),
        "ledger_title": ("减负看板", "Burden ledger"),
        "ledger_filled": ("一表通自动填充的值", "Values filled from the sheet"),
        "ledger_typed": ("村级手工填报的值", "Values typed by villages"),
        "ledger_hours": ("节省工时（小时）", "Hours saved"),
        "ledger_by_month": ("按月", "By month"),
        "ledger_by_department": ("按部门", "By department"),
        "ledger_forms": ("报表准入", "Forms at the Gate"),
        "ledger_approved": ("准入", "Approved"),
        "ledger_rejected": ("退回", "Refused"),
        "ledger_merged": ("合并复用", "Merged"),
        "ledger_feedback_open": ("反馈待办", "Feedback open"),
        "ledger_feedback_resolved": ("已解决", "Resolved"),
        "ledger_empty": ("暂无数据", "No data yet"),
    }
)


def _require_role(actor: Actor, roles: tuple[str, ...]) -> None:
    """403 for a role with no business on this page."""
    if actor.role not in roles:
        who = ROLE_LABELS_ZH.get(actor.role, actor.role)
        raise AccessDenied(f"{who}无权访问此页面", f"role {actor.role} may not open this page")


def _own_view(request: Request, actor: Actor, template_id: str) -> forms.TemplateView:
    """The template, refused to a department that does not own it (the service lets any
    ``forms.read`` holder read any template by id)."""
    view = forms.show_form(store_of(request), actor, template_id)
    if actor.role == "department" and view.template.department != actor.department:
        raise AccessDenied(
            "该报表属于其他部门", f"template {template_id} belongs to another department"
        )
    return view


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# ---- department: templates, upload, mapping, submit ----------------------------------


def _forms_page(request: Request, caller: Caller, error: str = "", status: int = 200) -> Response:
    store = store_of(request)
    rows = forms.list_forms(store, caller.actor)
    ctx = {
        "rows": rows,
        "can_import": caller.actor.role in EDIT_ROLES,
        "departments": store.dictionary.departments.values(),
        "error": error,
    }
    return render(request, "forms_list.html", ctx, status)


@router.get("/forms", response_class=HTMLResponse)
def forms_list(request: Request, caller: CallerDep) -> Response:
    _require_role(caller.actor, FORM_ROLES)
    return _forms_page(request, caller)


@router.post("/forms/upload", dependencies=[CsrfDep])
def forms_upload(
    request: Request,
    caller: CallerDep,
    file: UploadFile,
    department: Annotated[str, Form()] = "",
) -> Response:
    """Import the uploaded legacy form; the importer's findings are shown on the list page."""
    _require_role(caller.actor, EDIT_ROLES)
    data = file.file.read(DEFAULT_MAX_BYTES + 1)  # one byte over lets the importer refuse it
    dept = caller.actor.department or department
    try:
        result = forms.import_form(
            store_of(request),
            caller.actor,
            data,
            department=dept,
            filename=file.filename or "form.xlsx",
        )
    except InvalidInput as exc:
        return _forms_page(request, caller, exc.message(lang_of(request)), 400)
    return _see_other(f"/forms/{result.template.id}")


def _field_groups(store: Store, entity: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Dictionary fields for the mapping select: the form's entity first, then the others."""
    order = [entity] + [e for e in ENTITY_TYPES if e != entity]
    fields = [f for f in store.dictionary.fields.values() if f.status != "deprecated"]
    return [
        (e, [(f.key, f.label_zh) for f in fields if f.entity == e])
        for e in order
        if any(f.entity == e for f in fields)
    ]


def _matter_groups(store: Store, actor: Actor) -> list[tuple[str, list[Item]]]:
    items = gate.list_items(store, actor)
    return [(LIST_LABELS_ZH[k], [i for i in items if i.list_kind == k]) for k in LIST_KINDS]


def _form_page(
    request: Request,
    caller: Caller,
    template_id: str,
    *,
    error: str = "",
    error_column: str = "",
    retry: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    store = store_of(request)
    view = _own_view(request, caller.actor, template_id)
    row = view.template
    editable = row.status in EDITABLE and caller.actor.role in EDIT_ROLES
    drafts = {d.key: d for d in forms.draft_fields(store, caller.actor)}
    ctx = {
        "row": row,
        "columns": (row.analysis or {}).get("columns") or [],
        "notes": (row.analysis or {}).get("notes") or [],  # sheet picked, macros, stray cells
        "reading": (row.analysis or {}).get("reading") or {},  # why this entity, filter …
        "decisions": view.decisions,
        "editable": editable,
        "field_groups": _field_groups(store, row.spec.entity) if editable else [],
        "drafts": drafts,
        "entity_drafts": [d for d in drafts.values() if d.entity == row.spec.entity],
        "value_types": [(t, forms.TYPE_LABELS_ZH[t]) for t in forms.NEW_FIELD_TYPES],
        "code_tables": sorted(
            ((k, c.label_zh) for k, c in store.dictionary.code_tables.items()),
            key=lambda kc: kc[0],
        ),
        "can_create": editable and row.spec.entity in ENTITY_TYPES,
        "matters": _matter_groups(store, caller.actor) if editable else [],
        "report_org": caller.actor.org_code,
        "error": error,
        "error_column": error_column,
        "retry": retry or {},
    }
    return render(request, "forms_detail.html", ctx, status)


@router.get("/forms/{template_id}", response_class=HTMLResponse)
def form_page(request: Request, caller: CallerDep, template_id: str) -> Response:
    _require_role(caller.actor, FORM_ROLES)
    return _form_page(request, caller, template_id)


@router.post("/forms/{template_id}/columns/{letter}/new-field", dependencies=[CsrfDep])
def form_new_field(
    request: Request,
    caller: CallerDep,
    template_id: str,
    letter: str,
    label_zh: Annotated[str, Form()] = "",
    value_type: Annotated[str, Form()] = "",
    code_table: Annotated[str, Form()] = "",
    label_en: Annotated[str, Form()] = "",
) -> Response:
    """Create a draft field for the column and map the column to it; a refusal re-renders
    the mapping page with the message beside that column."""
    _require_role(caller.actor, EDIT_ROLES)
    _own_view(request, caller.actor, template_id)
    col = letter.strip().upper()
    try:
        forms.create_field(
            store_of(request),
            caller.actor,
            template_id,
            column=col,
            label_zh=label_zh,
            value_type=value_type,
            label_en=label_en,
            code_table=code_table or None,
        )
    except InvalidInput as exc:
        message = exc.message(lang_of(request))
        retry = {"label_zh": label_zh, "value_type": value_type, "code_table": code_table}
        return _form_page(
            request,
            caller,
            template_id,
            error=message,
            error_column=col,
            retry=retry,
            status=400,
        )
    return _see_other(f"/forms/{template_id}#col-{col}")


@router.post("/forms/{template_id}/map", dependencies=[CsrfDep])
def form_map(
    request: Request,
    caller: CallerDep,
    template_id: str,
    column: Annotated[str, Form()],
    field_key: Annotated[str, Form()],
) -> Response:
    _own_view(request, caller.actor, template_id)
    forms.map_column(
        store_of(request), caller.actor, template_id, column=column, field_key=field_key
    )
    return _see_other(f"/forms/{template_id}#col-{column.strip().upper()}")


@router.post("/forms/{template_id}/matter", dependencies=[CsrfDep])
def form_matter(
    request: Request,
    caller: CallerDep,
    template_id: str,
    matter: Annotated[str, Form()] = "",
) -> Response:
    _own_view(request, caller.actor, template_id)
    forms.set_matter(store_of(request), caller.actor, template_id, matter=matter)
    return _see_other(f"/forms/{template_id}")


@router.post("/forms/{template_id}/submit", dependencies=[CsrfDep])
def form_submit(request: Request, caller: CallerDep, template_id: str) -> Response:
    _own_view(request, caller.actor, template_id)
    forms.submit(store_of(request), caller.actor, template_id)
    return _see_other(f"/forms/{template_id}")


# ---- reviewer: the Gate ------------------------------------------------------------------


def _gate_page(
    request: Request, caller: Caller, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    store = store_of(request)
    queue = [
        (row, gate.review(store, caller.actor, row.id).to_json())
        for row in forms.list_forms(store, caller.actor, status="submitted")
    ]
    ctx = {"queue": queue, "errors": errors or {}, "done": request.query_params.get("done")}
    return render(request, "gate_queue.html", ctx, status)


@router.get("/gate", response_class=HTMLResponse)
def gate_queue(request: Request, caller: CallerDep) -> Response:
    _require_role(caller.actor, GATE_ROLES)
    return _gate_page(request, caller)


@router.post("/gate/{template_id}/decide", dependencies=[CsrfDep])
def gate_decide(
    request: Request,
    caller: CallerDep,
    template_id: str,
    decision: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Approve or reject; a refused decision (no reason, negative list) re-renders the queue."""
    _require_role(caller.actor, GATE_ROLES)
    if decision not in ("approve", "reject"):
        raise InvalidInput([Finding("gate.decision", "未知的审核决定", "unknown decision")])
    decide = gate.approve if decision == "approve" else gate.reject
    try:
        decide(store_of(request), caller.actor, template_id, reason=reason)
    except InvalidInput as exc:
        return _gate_page(request, caller, {template_id: exc.message(lang_of(request))}, 400)
    return _see_other(f"/gate?done={template_id}")


# ---- town / county: progress and the ledger ---------------------------------------------


@router.get("/progress", response_class=HTMLResponse)
def progress_page(request: Request, caller: CallerDep) -> Response:
    _require_role(caller.actor, PROGRESS_ROLES)
    villages = ledger.task_progress(store_of(request), caller.actor)
    return render(request, "progress.html", {"villages": villages})


@router.get("/ledger", response_class=HTMLResponse)
def ledger_page(request: Request, caller: CallerDep) -> Response:
    figures = ledger.ledger_figures(store_of(request), caller.actor)
    return render(request, "ledger.html", {"figures": figures, "data": figures.to_json()})


@router.get("/api/ledger", tags=["ledger"])
def api_ledger(request: Request, actor: Annotated[Actor, Depends(current_actor)]) -> dict:  # type: ignore[type-arg]
    """The ledger's figures in the caller's scope (department: its forms; town: its subtree)."""
    return ledger.ledger_figures(store_of(request), actor).to_json()
