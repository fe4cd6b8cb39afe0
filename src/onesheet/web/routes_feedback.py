"""反馈: villages and towns flag a burden; town staff, reviewers and admins follow it up."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from onesheet.domain.feedback import KINDS, NEXT, STATUSES
from onesheet.domain.findings import InvalidInput
from onesheet.services.feedback import handle_feedback, list_feedback, submit_feedback
from onesheet.web.auth import Caller, check_csrf
from onesheet.web.deps import MAX_ID, FeedbackId
from onesheet.web.i18n import register
from onesheet.web.pages import CallerDep, lang_of, render, store_of

router = APIRouter()

register(
    {
        "feedback_title": ("反馈负担", "Flag a burden"),
        "feedback_new": ("我要反馈", "New feedback"),
        "feedback_kind": ("类型", "Kind"),
        "feedback_text": ("情况说明", "What happened"),
        "feedback_text_hint": (
            "例如：某部门要求再次填报一张表已有的户籍信息",
            "e.g. a department asked again for register data the sheet holds",
        ),
        "feedback_department": ("涉及部门", "Department"),
        "feedback_send": ("提交反馈", "Send"),
        "feedback_list": ("反馈记录", "Feedback"),
        "feedback_none": ("暂无反馈", "No feedback yet"),
        "feedback_status": ("状态", "Status"),
        "feedback_note": ("处理意见", "Note"),
        "feedback_handle": ("处理", "Handle"),
        "feedback_sent": ("反馈已提交，处理进展可在此查看", "Sent; follow its progress here"),
        "none_selected": ("（不限）", "(none)"),
    }
)


def _page(request: Request, caller: Caller, error: str = "", status: int = 200) -> HTMLResponse:
    store = store_of(request)
    items = list_feedback(store, caller.actor)
    lang = lang_of(request)
    pick = 1 if lang == "en" else 0
    return render(
        request,
        "feedback.html",
        {
            "items": items,
            "kinds": {k: v[pick] for k, v in KINDS.items()},
            "statuses": {k: v[pick] for k, v in STATUSES.items()},
            "next_of": {k: sorted(v) for k, v in NEXT.items()},
            "departments": store.dictionary.departments,
            "can_submit": caller.actor.role in ("village", "town"),
            "can_handle": caller.actor.role in ("town", "reviewer", "admin"),
            "error": error,
            "sent": request.query_params.get("sent") == "1",
        },
        status,
    )


@router.get("/feedback", response_class=HTMLResponse)
def feedback_page(request: Request, caller: CallerDep) -> HTMLResponse:
    return _page(request, caller)


@router.post("/feedback")
def feedback_submit(
    request: Request,
    caller: CallerDep,
    kind: Annotated[str, Form()],
    text: Annotated[str, Form()],
    department: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(caller, csrf_token)
    try:
        submit_feedback(
            store_of(request), caller.actor, kind=kind, text=text, department=department or None
        )
    except InvalidInput as exc:
        return _page(request, caller, exc.message(lang_of(request)), 400)
    return RedirectResponse("/feedback?sent=1", status_code=303)


@router.post("/feedback/{feedback_id}")
def feedback_handle(
    request: Request,
    caller: CallerDep,
    feedback_id: FeedbackId,
    status: Annotated[str, Form()],
    resolution: Annotated[str, Form()] = "",
    version: Annotated[int | None, Form(ge=0, le=MAX_ID)] = None,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(caller, csrf_token)
    try:
        handle_feedback(
            store_of(request),
            caller.actor,
            feedback_id,
            status=status,
            resolution=resolution,
            expected_version=version,
        )
    except InvalidInput as exc:
        return _page(request, caller, exc.message(lang_of(request)), 400)
    return RedirectResponse("/feedback", status_code=303)


@router.get("/api/feedback")
def api_feedback(request: Request, caller: CallerDep) -> list[dict[str, object]]:
    return [vars(i) for i in list_feedback(store_of(request), caller.actor)]
